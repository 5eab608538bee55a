import { legacyMaxTokens, topK } from './body-quirks.js';
import { createOpenAICompatibleAdapter } from './create-adapter.js';

/** https://docs.fireworks.ai/tools-sdks/openai-compatibility */
export const fireworksAdapter = createOpenAICompatibleAdapter({ type: 'fireworks', defaultBaseUrl: 'https://api.fireworks.ai/inference/v1', quirks: [legacyMaxTokens, topK], completions: true });

import { legacyMaxTokens, topK } from './body-quirks.js';
import { createOpenAICompatibleAdapter } from './create-adapter.js';

/** https://docs.together.ai/docs/openai-api-compatibility */
export const togetherAdapter = createOpenAICompatibleAdapter({ type: 'together', defaultBaseUrl: 'https://api.together.xyz/v1', quirks: [legacyMaxTokens, topK], completions: true, rerank: true, images: true });

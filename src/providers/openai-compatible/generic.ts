import { legacyMaxTokens } from './body-quirks.js';
import { createOpenAICompatibleAdapter } from './create-adapter.js';

/** Any other server speaking OpenAI's chat API: `base_url` is required, a key optional. */
export const openaiCompatibleAdapter = createOpenAICompatibleAdapter({ type: 'openai-compatible', requiresKey: false, quirks: [legacyMaxTokens], rerank: true });

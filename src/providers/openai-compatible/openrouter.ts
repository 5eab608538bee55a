import { legacyMaxTokens, topK } from './body-quirks.js';
import { createOpenAICompatibleAdapter } from './create-adapter.js';

/** https://openrouter.ai/docs/api-reference/overview */
export const openrouterAdapter = createOpenAICompatibleAdapter({ type: 'openrouter', defaultBaseUrl: 'https://openrouter.ai/api/v1', embeddings: false, quirks: [legacyMaxTokens, topK] });

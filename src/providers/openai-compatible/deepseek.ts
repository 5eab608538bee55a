import { legacyMaxTokens } from './body-quirks.js';
import { createOpenAICompatibleAdapter } from './create-adapter.js';

/** https://api-docs.deepseek.com/ — the documented base URL has no `/v1`; no embeddings endpoint. */
export const deepseekAdapter = createOpenAICompatibleAdapter({ type: 'deepseek', defaultBaseUrl: 'https://api.deepseek.com', embeddings: false, quirks: [legacyMaxTokens] });

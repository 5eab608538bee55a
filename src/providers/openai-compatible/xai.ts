import { legacyMaxTokens } from './body-quirks.js';
import { createOpenAICompatibleAdapter } from './create-adapter.js';

/** https://docs.x.ai/docs/api-reference */
export const xaiAdapter = createOpenAICompatibleAdapter({ type: 'xai', defaultBaseUrl: 'https://api.x.ai/v1', embeddings: false, quirks: [legacyMaxTokens] });

import { legacyMaxTokens } from './body-quirks.js';
import { createOpenAICompatibleAdapter } from './create-adapter.js';

/** https://inference-docs.cerebras.ai/resources/openai — no embeddings endpoint. */
export const cerebrasAdapter = createOpenAICompatibleAdapter({ type: 'cerebras', defaultBaseUrl: 'https://api.cerebras.ai/v1', embeddings: false, quirks: [legacyMaxTokens] });

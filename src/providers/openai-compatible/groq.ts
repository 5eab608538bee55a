import { legacyMaxTokens } from './body-quirks.js';
import { createOpenAICompatibleAdapter } from './create-adapter.js';

/** https://console.groq.com/docs/openai — no embeddings endpoint. */
export const groqAdapter = createOpenAICompatibleAdapter({ type: 'groq', defaultBaseUrl: 'https://api.groq.com/openai/v1', embeddings: false, quirks: [legacyMaxTokens] });

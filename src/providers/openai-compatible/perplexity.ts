import { legacyMaxTokens } from './body-quirks.js';
import { createOpenAICompatibleAdapter } from './create-adapter.js';

/** https://docs.perplexity.ai/api-reference/chat-completions — the base URL has no `/v1`. */
export const perplexityAdapter = createOpenAICompatibleAdapter({ type: 'perplexity', defaultBaseUrl: 'https://api.perplexity.ai', embeddings: false, quirks: [legacyMaxTokens] });

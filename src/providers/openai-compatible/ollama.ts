import { legacyMaxTokens } from './body-quirks.js';
import { createOpenAICompatibleAdapter } from './create-adapter.js';

/** https://github.com/ollama/ollama/blob/main/docs/openai.md — a local server, no key. */
export const ollamaAdapter = createOpenAICompatibleAdapter({ type: 'ollama', defaultBaseUrl: 'http://127.0.0.1:11434/v1', requiresKey: false, quirks: [legacyMaxTokens], completions: true });

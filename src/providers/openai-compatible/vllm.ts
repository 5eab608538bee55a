import { legacyMaxTokens, topK } from './body-quirks.js';
import { createOpenAICompatibleAdapter } from './create-adapter.js';

/** vLLM's OpenAI-compatible server: wherever it runs (no default URL); a key only with `--api-key`. */
export const vllmAdapter = createOpenAICompatibleAdapter({ type: 'vllm', requiresKey: false, quirks: [legacyMaxTokens, topK], completions: true, rerank: true });

import type { ProviderAdapter } from '../provider.js';
import { cerebrasAdapter } from './cerebras.js';
import { deepseekAdapter } from './deepseek.js';
import { fireworksAdapter } from './fireworks.js';
import { openaiCompatibleAdapter } from './generic.js';
import { groqAdapter } from './groq.js';
import { mistralAdapter } from './mistral.js';
import { ollamaAdapter } from './ollama.js';
import { openaiAdapter } from './openai.js';
import { openrouterAdapter } from './openrouter.js';
import { perplexityAdapter } from './perplexity.js';
import { togetherAdapter } from './together.js';
import { vllmAdapter } from './vllm.js';
import { xaiAdapter } from './xai.js';

/** Every provider type that speaks OpenAI's chat API through the shared base adapter. */
export const openaiFamilyAdapters: ProviderAdapter[] = [
  openaiAdapter,
  groqAdapter,
  mistralAdapter,
  togetherAdapter,
  deepseekAdapter,
  xaiAdapter,
  cerebrasAdapter,
  perplexityAdapter,
  fireworksAdapter,
  openrouterAdapter,
  ollamaAdapter,
  vllmAdapter,
  openaiCompatibleAdapter,
];

export { createOpenAICompatibleAdapter, type OpenAICompatibleOptions } from './create-adapter.js';
export { dropFields, legacyMaxTokens, renameField, topK, type BodyQuirk } from './body-quirks.js';
export { openaiAdapter } from './openai.js';

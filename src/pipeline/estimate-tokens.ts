import type { ChatRequest, EmbeddingRequest } from '../spec/index.js';

/** Characters per token assumed for English-like text; real tokenizers average about four. */
const CHARACTERS_PER_TOKEN = 4;
/**
 * Tokens allowed per image: above what a large image costs on the main providers (Anthropic
 * ≈ width×height/750, ≈1,600 at 1.15 megapixels; OpenAI high detail 765 for 1024×1024; Gemini 258).
 */
const TOKENS_PER_IMAGE = 1_600;
/** Role markers and separators each message adds to the prompt. */
const TOKENS_PER_MESSAGE = 4;

/**
 * A cheap, upper-bound-ish estimate of a chat request's prompt tokens: characters of every text,
 * reasoning, tool call and tool definition divided by four (rounded up), a flat allowance per image
 * and a few tokens per message. Used only to reserve budget and rate-limit room before the call;
 * the bill always uses the usage the provider reports. Non-English text and code tokenize denser
 * than four characters per token, so this can undercount them; reservations are settled afterwards.
 */
export function estimateInputTokens(request: ChatRequest): number {
  let characters = 0;
  let images = 0;
  for (const message of request.messages) {
    for (const part of message.content) {
      if (part.type === 'text' || part.type === 'reasoning') characters += part.text.length;
      else if (part.type === 'image') images++;
      // Documents: their text, or about one token per three bytes of decoded content (PDF pages run 1.5–3k tokens).
      else if (part.type === 'file') characters += part.text?.length ?? Math.ceil(((part.data?.length ?? 0) * 3) / 4) * (CHARACTERS_PER_TOKEN / 3);
    }
    if (message.role === 'assistant' && message.toolCalls) for (const call of message.toolCalls) characters += call.name.length + call.arguments.length;
  }
  if (request.tools) for (const tool of request.tools) characters += tool.name.length + (tool.description?.length ?? 0) + JSON.stringify(tool.parameters ?? {}).length;
  if (request.responseFormat?.type === 'json_schema') characters += JSON.stringify(request.responseFormat.schema).length;
  return Math.ceil(characters / CHARACTERS_PER_TOKEN) + images * TOKENS_PER_IMAGE + request.messages.length * TOKENS_PER_MESSAGE;
}

/** The same estimate for an embeddings request: text characters / 4, or the token ids given. */
export function estimateEmbeddingInputTokens(request: EmbeddingRequest): number {
  let tokens = 0;
  for (const input of request.input) tokens += typeof input === 'string' ? Math.ceil(input.length / CHARACTERS_PER_TOKEN) : input.length;
  return tokens;
}

/** Rough input tokens of texts (rerank's query and documents, a moderation's input, an image prompt). */
export function estimateTextTokens(texts: Iterable<string>): number {
  let characters = 0;
  for (const text of texts) characters += text.length;
  return Math.ceil(characters / CHARACTERS_PER_TOKEN);
}

import type { ChatRequest, TokenCount } from '../spec/index.js';
import { ATTACHMENT_TOKENS, requestText } from './request-text.js';
import { tokenizerFor, type TokenizerName } from './tokenizer-family.js';

interface Encoder {
  count(text: string): number;
}

/** OpenAI's published framing: each message costs 3 tokens around its content, and the reply is primed with 3. */
const PER_MESSAGE_TOKENS = 3;
const REPLY_PRIMING_TOKENS = 3;
/** Texts are encoded in slices this long, yielding to the event loop between them, so a huge prompt never stalls other requests. */
const SLICE_CHARS = 32 * 1024;

const loading = new Map<TokenizerName, Promise<Encoder>>();

/** Loads a tokenizer once, on first use: their rank tables take a second or more to parse, so start-up does not pay for it. */
function encoder(name: TokenizerName): Promise<Encoder> {
  let found = loading.get(name);
  if (found === undefined) {
    found = load(name);
    // A failed load is retried by the next request rather than cached.
    found.catch(() => loading.delete(name));
    loading.set(name, found);
  }
  return found;
}

async function load(name: TokenizerName): Promise<Encoder> {
  if (name === 'claude') {
    const { getTokenizer } = await import('@anthropic-ai/tokenizer');
    const tokenizer = getTokenizer();
    return { count: (text) => tokenizer.encode(text.normalize('NFKC'), 'all').length };
  }
  const [{ Tiktoken }, ranks] = await Promise.all([import('js-tiktoken/lite'), name === 'cl100k_base' ? import('js-tiktoken/ranks/cl100k_base') : import('js-tiktoken/ranks/o200k_base')]);
  const tokenizer = new Tiktoken(ranks.default);
  return { count: (text) => tokenizer.encode(text, 'all').length };
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Estimates a request's input tokens with the tokenizer of its model's family: every text it holds,
 * the per-message framing, and a fixed figure per image or binary file (ATTACHMENT_TOKENS).
 */
export async function countTokensLocally(request: ChatRequest, upstreamModel: string): Promise<TokenCount> {
  const name = tokenizerFor(upstreamModel);
  const tokenizer = await encoder(name);
  const { texts, messages, attachments } = requestText(request);
  let tokens = messages * PER_MESSAGE_TOKENS + REPLY_PRIMING_TOKENS + attachments * ATTACHMENT_TOKENS;
  let sinceYield = 0;
  for (const text of texts) {
    for (let start = 0; start < text.length; start += SLICE_CHARS) {
      tokens += tokenizer.count(text.length <= SLICE_CHARS ? text : text.slice(start, start + SLICE_CHARS));
      sinceYield += Math.min(SLICE_CHARS, text.length - start);
      if (sinceYield >= SLICE_CHARS) {
        sinceYield = 0;
        await yieldToLoop();
      }
    }
  }
  return { inputTokens: tokens, counter: name };
}

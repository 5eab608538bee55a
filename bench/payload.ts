/**
 * The one request every target receives and the one response the mock upstream returns. Keeping
 * both fixed (and byte-identical across targets) is what makes the columns comparable.
 */

/** A model the gateway resolves through its `models` list, so the request needs no `provider/` prefix. */
export const BENCH_MODEL = 'gpt-4o-mini';

export const REPLY_TEXT = 'Hello! How can I help you today?';

/** A small, typical chat request: a system prompt, one user turn and a token cap. */
export const CHAT_REQUEST_BODY = JSON.stringify({
  model: BENCH_MODEL,
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Say hello in one short sentence.' },
  ],
  max_tokens: 32,
  temperature: 0,
});

/**
 * A chat completion exactly as OpenAI returns it (non-streamed):
 * https://platform.openai.com/docs/api-reference/chat/object
 */
export const CHAT_RESPONSE_BODY = JSON.stringify({
  id: 'chatcmpl-bench0000000000000000000000',
  object: 'chat.completion',
  created: 1_735_689_600,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: REPLY_TEXT, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: {
    prompt_tokens: 24,
    completion_tokens: 9,
    total_tokens: 33,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  },
  service_tier: 'default',
  system_fingerprint: 'fp_bench00000',
});

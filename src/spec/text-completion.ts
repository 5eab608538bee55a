/**
 * A chat request that came as a legacy text completion (OpenAI's `/v1/completions`). The chat
 * request carries the prompt as one user message, so any provider can serve it; providers with a
 * native `/completions` endpoint get the prompt itself, with the fields only they take.
 * @example { prompt: 'Say this is a test', suffix: undefined, echo: false }
 */
export interface TextCompletion {
  prompt: string;
  /** Text that comes after the completion (native providers only). */
  suffix?: string;
  /** Echo the prompt before the completion (native providers only). */
  echo?: boolean;
}

import type { Message } from './message.js';
import type { TextCompletion } from './text-completion.js';
import type { Tool, ToolChoice } from './tool.js';

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean; description?: string };

/** A chat request in the gateway's own terms, whatever dialect it arrived in. */
export interface ChatRequest {
  /** What the caller asked for: a route name, `provider/model` or a bare model name. */
  model: string;
  messages: Message[];
  stream: boolean;
  /** Ask for a final usage report in streams (OpenAI `stream_options.include_usage`). */
  includeUsage?: boolean;
  tools?: Tool[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  seed?: number;
  n?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  user?: string;
  reasoningEffort?: 'minimal' | 'low' | 'medium' | 'high' | (string & {});
  /** Token budget for extended thinking (Anthropic/Gemini). */
  thinkingBudget?: number;
  /** Gateway-level extras the caller sent in the body (e.g. per-request `fallbacks`). */
  gateway?: GatewayOptions;
  /**
   * Fields of the inbound body the gateway does not model, keyed by wire name. Encoders of the same
   * dialect pass them through; other encoders drop them and the gateway warns the caller.
   */
  extra?: Record<string, unknown>;
  /** The dialect `extra` belongs to. */
  extraDialect?: string;
  /** Server-side state the caller asked for (OpenAI Responses `store`, `previous_response_id`, `background`). */
  conversation?: ConversationState;
  /** The request came as a legacy text completion: its prompt, for providers that serve those natively. */
  textCompletion?: TextCompletion;
}

/**
 * What a caller asked the gateway to keep or continue. The surface fills it from the body; the
 * stored-responses feature reads it before dispatch (replaying a stored conversation) and after the
 * answer (storing it), through the codec of `dialect`.
 */
export interface ConversationState {
  /** The dialect of `items` (`openai-responses`). */
  dialect: string;
  /** Keep the answer and its input (`store`); undefined means the configured default. */
  store?: boolean;
  /** Continue this stored response: its input and output come before this request's input. */
  previousResponseId?: string;
  /** Answer at once and run the request in the background (`background: true`). */
  background?: boolean;
  /** This request's own input, as sent (already validated by the decoder); turned into items only when stored. */
  input: unknown;
  /** The system text of this request (`instructions`), which is not carried into later turns. */
  instructions?: string;
  /** Top-level fields of the stored response object that echo the request (`instructions`, `metadata`, …). */
  echo: Record<string, unknown>;
  /** The id the answer is stored under, assigned before dispatch. */
  responseId?: string;
}

export interface GatewayOptions {
  fallbacks?: string[];
  /** Turn content logging off for this request. */
  logContent?: boolean;
  metadata?: Record<string, string>;
}

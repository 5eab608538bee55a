import type { AgentTrail } from './agent-trail.js';
import type { ContentPart } from './content.js';
import type { FinishReason } from './finish-reason.js';
import type { ToolCall } from './message.js';
import type { Usage } from './usage.js';

export interface ChatChoice {
  index: number;
  content: ContentPart[];
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  /** The model's refusal message, for dialects that keep it apart from content (OpenAI `message.refusal`). */
  refusal?: string;
}

export interface ChatResponse {
  id: string;
  /** The model the upstream says served the request. */
  model: string;
  /** Unix seconds. */
  created: number;
  choices: ChatChoice[];
  usage: Usage;
  systemFingerprint?: string;
  /** Agent mode: the tool calls the gateway ran before this answer, and their results (src/mcp). */
  agent?: AgentTrail;
}

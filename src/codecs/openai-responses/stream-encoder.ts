import { ERROR_CODES, type FinishReason, type GatewayError, type StreamPart, type Usage } from '../../spec/index.js';
import { STREAM_COST_FIELD, type StreamEncoder, type StreamEncoderOptions, type WireEvent } from '../codec.js';
import { sseFrame } from '../sse-frame.js';
import { withCost } from '../stream-cost.js';

/** The events a Responses stream ends with. */
const TERMINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);
import { functionCallItem, messageItem, outputTextPart, reasoningItem, responseObject, type ItemStatus, type ResponseEnvelope } from './response-object.js';
import { mcpCallItem } from './agent-items.js';
import { encodeStatus } from './status.js';
import { outputItemId, responseIdOf } from './wire.js';

type OpenItem =
  | { kind: 'message'; outputIndex: number; id: string; text: string }
  | { kind: 'reasoning'; outputIndex: number; id: string; text: string; signature: string | undefined };

interface ToolItem {
  outputIndex: number;
  id: string;
  callId: string;
  name: string;
  arguments: string;
  done: boolean;
}

/**
 * Spec stream parts → the Responses API's semantic SSE events, each with `event:` set to its type
 * and a `sequence_number` counting from 0: `response.created` and `response.in_progress` first;
 * then per output item `response.output_item.added`, its content events and
 * `response.output_item.done`; finally `response.completed` (or `response.incomplete`) carrying
 * the whole response with usage. Usage may follow the finish part, so the terminal event is
 * written by end(). A message or reasoning item closes when another item starts; function calls
 * stay open until the finish, because some upstreams interleave the argument deltas of parallel
 * calls.
 */
export class ResponsesStreamEncoder implements StreamEncoder {
  private sequence = 0;
  private started = false;
  private ended = false;
  private readonly responseId: string;
  private readonly output: Record<string, unknown>[] = [];
  private open: OpenItem | undefined;
  private readonly tools = new Map<number, ToolItem>();
  /** Agent mode's tool calls, by the model's call id, until their result comes. */
  private readonly agentCalls = new Map<string, { outputIndex: number; id: string; name: string; arguments: string }>();
  private finishReason: FinishReason | undefined;
  private usage: Usage | undefined;
  private final: Record<string, unknown> | undefined;

  constructor(private readonly options: StreamEncoderOptions) {
    this.responseId = responseIdOf(options.id);
  }

  encode(part: StreamPart): string {
    if (this.ended) return '';
    switch (part.type) {
      case 'start':
        return this.ensureStarted();
      case 'usage':
        this.usage = mergeUsage(this.usage, part.usage);
        return '';
      case 'error':
        return this.fail(part.error);
    }
    // The Responses API has a single output; other choices (n > 1 upstream) cannot be shown.
    if (part.choice !== 0) return '';
    let text = this.ensureStarted();
    switch (part.type) {
      case 'text-delta': {
        if (part.text === '') return text;
        if (this.open?.kind !== 'message') text += this.openMessage();
        const open = this.open as Extract<OpenItem, { kind: 'message' }>;
        open.text += part.text;
        return text + this.event('response.output_text.delta', { item_id: open.id, output_index: open.outputIndex, content_index: 0, delta: part.text, logprobs: [] });
      }
      case 'reasoning-delta': {
        // A signature ends a reasoning block, so reasoning after it starts a new item.
        if (this.open?.kind !== 'reasoning' || this.open.signature !== undefined) text += this.openReasoning();
        const open = this.open as Extract<OpenItem, { kind: 'reasoning' }>;
        if (part.text !== '') {
          open.text += part.text;
          text += this.event('response.reasoning_summary_text.delta', { item_id: open.id, output_index: open.outputIndex, summary_index: 0, delta: part.text });
        }
        if (part.signature !== undefined && part.signature !== '') open.signature = part.signature;
        return text;
      }
      case 'redacted-reasoning': {
        text += this.closeOpen();
        const outputIndex = this.output.length;
        const item = reasoningItem(outputItemId('rs', this.responseId, outputIndex), undefined, part.data, 'completed');
        this.output.push(item);
        return text + this.event('response.output_item.added', { output_index: outputIndex, item }) + this.event('response.output_item.done', { output_index: outputIndex, item });
      }
      case 'tool-call-start': {
        text += this.closeOpen();
        const outputIndex = this.output.length;
        const tool: ToolItem = { outputIndex, id: outputItemId('fc', this.responseId, outputIndex), callId: part.id, name: part.name, arguments: '', done: false };
        this.tools.set(part.index, tool);
        const item = functionCallItem(tool.id, tool.callId, tool.name, '', 'in_progress');
        this.output.push(item);
        return text + this.event('response.output_item.added', { output_index: outputIndex, item });
      }
      case 'tool-call-delta': {
        const tool = this.tools.get(part.index);
        if (tool === undefined || tool.done || part.argumentsDelta === '') return text;
        tool.arguments += part.argumentsDelta;
        return text + this.event('response.function_call_arguments.delta', { item_id: tool.id, output_index: tool.outputIndex, delta: part.argumentsDelta });
      }
      case 'finish':
        this.finishReason = part.finishReason;
        return text + this.closeAll();
      case 'gateway-tool-call': {
        text += this.closeOpen();
        const outputIndex = this.output.length;
        const call = { outputIndex, id: outputItemId('mcp', this.responseId, outputIndex), name: part.name, arguments: part.arguments };
        this.agentCalls.set(part.id, call);
        const item = mcpCallItem(call.id, part.id, part.name, part.arguments, undefined);
        this.output.push(item);
        return text + this.event('response.output_item.added', { output_index: outputIndex, item }) + this.event('response.mcp_call.in_progress', { item_id: call.id, output_index: outputIndex });
      }
      case 'gateway-tool-result': {
        const call = this.agentCalls.get(part.toolCallId);
        if (call === undefined) return text;
        const item = mcpCallItem(call.id, part.toolCallId, call.name, call.arguments, part);
        this.output[call.outputIndex] = item;
        return text + this.event(part.isError ? 'response.mcp_call.failed' : 'response.mcp_call.completed', { item_id: call.id, output_index: call.outputIndex }) + this.event('response.output_item.done', { output_index: call.outputIndex, item });
      }
    }
  }

  end(cost?: string): string {
    if (this.ended) return '';
    let text = this.ensureStarted() + this.closeAll();
    this.ended = true;
    const { status } = encodeStatus(this.finishReason);
    const response = this.response({ status, ...(this.usage === undefined ? {} : { usage: this.usage }), ...(this.finishReason === undefined ? {} : { finishReason: this.finishReason }) });
    this.final = response;
    text += this.event(status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response, ...(cost === undefined ? {} : { [STREAM_COST_FIELD]: cost }) });
    return text;
  }

  /** The terminal event (`response.completed`, `.incomplete`, `.failed`): the cost rides on it. */
  holdsForCost(event: WireEvent): boolean {
    return event.event !== undefined && TERMINAL_EVENTS.has(event.event);
  }

  endForwarded(held: readonly WireEvent[], cost: string): string {
    this.ended = true;
    let text = '';
    for (const event of held) text += sseFrame(withCost(event, cost));
    return text;
  }

  /** The response object of the terminal event (`response.completed`, `.incomplete` or `.failed`), once written. */
  get finalResponse(): Record<string, unknown> | undefined {
    return this.final;
  }

  /** An `error` event, then `response.failed` with the output so far; nothing follows. */
  private fail(error: GatewayError): string {
    let text = this.ensureStarted();
    this.ended = true;
    text += this.event('error', { code: error.code, message: error.message, param: error.param ?? null });
    const response = this.response({ status: 'failed', error: { code: failureCode(error), message: error.message }, ...(this.usage === undefined ? {} : { usage: this.usage }) });
    this.final = response;
    return text + this.event('response.failed', { response });
  }

  private ensureStarted(): string {
    if (this.started) return '';
    this.started = true;
    const response = this.response({ status: 'in_progress' });
    return this.event('response.created', { response }) + this.event('response.in_progress', { response });
  }

  private openMessage(): string {
    let text = this.closeOpen();
    const outputIndex = this.output.length;
    const id = outputItemId('msg', this.responseId, outputIndex);
    this.open = { kind: 'message', outputIndex, id, text: '' };
    const item = messageItem(id, undefined, 'in_progress');
    this.output.push(item);
    text += this.event('response.output_item.added', { output_index: outputIndex, item });
    return text + this.event('response.content_part.added', { item_id: id, output_index: outputIndex, content_index: 0, part: outputTextPart('') });
  }

  private openReasoning(): string {
    let text = this.closeOpen();
    const outputIndex = this.output.length;
    const id = outputItemId('rs', this.responseId, outputIndex);
    this.open = { kind: 'reasoning', outputIndex, id, text: '', signature: undefined };
    const item = reasoningItem(id, undefined, undefined, 'in_progress');
    this.output.push(item);
    text += this.event('response.output_item.added', { output_index: outputIndex, item });
    return text + this.event('response.reasoning_summary_part.added', { item_id: id, output_index: outputIndex, summary_index: 0, part: { type: 'summary_text', text: '' } });
  }

  private closeOpen(): string {
    const open = this.open;
    if (open === undefined) return '';
    this.open = undefined;
    const { id, outputIndex } = open;
    let text: string;
    let item: Record<string, unknown>;
    if (open.kind === 'message') {
      const part = outputTextPart(open.text);
      text = this.event('response.output_text.done', { item_id: id, output_index: outputIndex, content_index: 0, text: open.text, logprobs: [] });
      text += this.event('response.content_part.done', { item_id: id, output_index: outputIndex, content_index: 0, part });
      item = messageItem(id, open.text, this.itemStatus());
    } else {
      text = this.event('response.reasoning_summary_text.done', { item_id: id, output_index: outputIndex, summary_index: 0, text: open.text });
      text += this.event('response.reasoning_summary_part.done', { item_id: id, output_index: outputIndex, summary_index: 0, part: { type: 'summary_text', text: open.text } });
      item = reasoningItem(id, open.text, open.signature, 'completed');
    }
    this.output[outputIndex] = item;
    return text + this.event('response.output_item.done', { output_index: outputIndex, item });
  }

  private closeAll(): string {
    let text = this.closeOpen();
    for (const tool of this.tools.values()) {
      if (tool.done) continue;
      tool.done = true;
      text += this.event('response.function_call_arguments.done', { item_id: tool.id, output_index: tool.outputIndex, name: tool.name, arguments: tool.arguments });
      const item = functionCallItem(tool.id, tool.callId, tool.name, tool.arguments, 'completed');
      this.output[tool.outputIndex] = item;
      text += this.event('response.output_item.done', { output_index: tool.outputIndex, item });
    }
    return text;
  }

  private itemStatus(): ItemStatus {
    return encodeStatus(this.finishReason).status === 'incomplete' ? 'incomplete' : 'completed';
  }

  private response(fields: Omit<ResponseEnvelope, 'id' | 'model' | 'createdAt' | 'output'>): Record<string, unknown> {
    return responseObject({ id: this.responseId, model: this.options.model, createdAt: this.options.created, output: [...this.output], ...fields, ...(this.options.echo === undefined ? {} : { echo: this.options.echo }) });
  }

  private event(type: string, fields: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, ...fields, sequence_number: this.sequence++ })}\n\n`;
  }
}

/** `response.error.code` has OpenAI's own vocabulary; the gateway's code rides on the `error` event. */
function failureCode(error: GatewayError): string {
  const type = ERROR_CODES[error.code].type;
  if (type === 'rate_limit_error') return 'rate_limit_exceeded';
  if (type === 'insufficient_quota') return 'insufficient_quota';
  return 'server_error';
}

function mergeUsage(previous: Usage | undefined, next: Usage): Usage {
  const merged: Usage = { ...(previous ?? { inputTokens: undefined, outputTokens: undefined }) };
  for (const [key, value] of Object.entries(next) as [keyof Usage, number | undefined][]) if (value !== undefined) merged[key] = value;
  return merged;
}

import { randomBytes } from 'node:crypto';
import { decodeResponsesInput, encodeResponsesResponse, OPENAI_RESPONSES_DIALECT, responseObject, responsesInputItems, ResponsesStreamEncoder } from '../codecs/openai-responses/index.js';
import { ContextSlot, type RequestContext } from '../pipeline/context.js';
import type { RequestStage, StageCall, StageVerdict, StreamTap } from '../pipeline/stages.js';
import { GatewayError, type ChatRequest, type ChatResponse, type ConversationState, type Message } from '../spec/index.js';
import type { Logger } from '../lib/logger.js';
import type { ResponseKeeper } from './response-keeper.js';
import { RUNNING } from './response-store.js';

/** A request whose answer is to be kept. */
interface Keeping {
  readonly id: string;
  readonly owner: string;
  readonly background: boolean;
  readonly echo: Readonly<Record<string, unknown>>;
  /** The whole conversation the answer continues: the stored history, then this request's items. */
  readonly items: readonly unknown[];
}

const KEEPING = new ContextSlot<Keeping>();

export interface ConversationSettings {
  storeDefault(): boolean;
}

/**
 * The two places of stored responses in a request's life. Before dispatch (`policy`, ahead of
 * guards and caches, so they see the whole conversation): a `previous_response_id` is replayed
 * through the Responses codec into the request's messages, the answer's id is chosen, and a
 * background request is recorded and detached from its caller. After the answer (`observe`, so
 * that what is stored is what the guards let through): the answer is stored, whole or streamed.
 */
export function conversationStages(keeper: ResponseKeeper, settings: ConversationSettings, logger: Logger): RequestStage[] {
  const replay: RequestStage = {
    name: 'responses-store:replay',
    phase: 'policy',
    beforeDispatch: (context, call) => (replays(call) ? prepare(keeper, settings, context, call.request as ChatRequest) : undefined),
    passes: (_context, call) => !replays(call),
  };
  const keep: RequestStage = {
    name: 'responses-store:keep',
    phase: 'observe',
    afterResponse: (context, call, response) => {
      const keeping = KEEPING.get(context);
      return keeping === undefined || call.operation !== 'chat' ? undefined : keepWhole(keeper, keeping, response as ChatResponse);
    },
    openStream: (context) => {
      const keeping = KEEPING.get(context);
      return keeping === undefined ? undefined : keepStreamed(keeper, keeping, context, logger);
    },
    onRequestEnd: (context) => {
      const keeping = KEEPING.get(context);
      if (keeping === undefined || !keeping.background) return;
      keeper.endRun(keeping.id);
      if (context.error !== undefined) void endFailed(keeper, keeping, context, logger);
    },
  };
  return [replay, keep];
}

/** Whether the call is a Responses request, whose conversation the replay stage prepares. */
function replays(call: StageCall): boolean {
  return call.operation === 'chat' && (call.request as ChatRequest).conversation?.dialect === OPENAI_RESPONSES_DIALECT;
}

async function prepare(keeper: ResponseKeeper, settings: ConversationSettings, context: RequestContext, request: ChatRequest): Promise<StageVerdict | undefined> {
  const conversation = request.conversation!;
  const owner = context.principal?.keyId ?? '';
  let history: unknown[] = [];
  const previousId = conversation.previousResponseId;
  if (previousId !== undefined) {
    const previous = await keeper.load(previousId, owner);
    if (previous === undefined) throw notFound(previousId);
    if ((RUNNING as readonly string[]).includes(previous.row.status)) {
      throw new GatewayError('invalid_request', `Response ${previousId} is still ${previous.row.status}; continue it once it has finished.`, { param: 'previous_response_id' });
    }
    const output = Array.isArray(previous.response.output) ? previous.response.output : [];
    history = [...previous.items, ...output];
    if (history.length > 0) insertHistory(request, decodeResponsesInput(history, undefined));
  }
  const store = conversation.store ?? settings.storeDefault();
  if (conversation.background === true) {
    if (!store) throw new GatewayError('invalid_request', 'A background response must be stored to be fetched: leave out `store` or set it to true.', { param: 'store' });
    if (request.stream) throw new GatewayError('unsupported_parameter', 'Background responses are not streamed here: create it without `stream`, then poll `GET /v1/responses/{id}`.', { param: 'stream' });
  }
  if (!store) return undefined;
  const id = `resp_${randomBytes(24).toString('hex')}`;
  const background = conversation.background === true;
  conversation.responseId = id;
  conversation.echo = { ...conversation.echo, store: true, previous_response_id: previousId ?? null, background };
  const keeping: Keeping = { id, owner, background, echo: conversation.echo, items: [...history, ...responsesInputItems(conversation.input)] };
  KEEPING.set(context, keeping);
  if (!background) return undefined;
  const queued = responseObject({ id, model: request.model, createdAt: Math.floor(context.receivedAt / 1000), output: [], status: 'queued', echo: conversation.echo });
  await keeper.insert({ id, owner, background, response: queued, items: keeping.items });
  return { detach: { acknowledgement: queued, signal: keeper.startRun(id) } };
}

/** The replayed conversation goes after this request's instructions and before its input. */
function insertHistory(request: ChatRequest, history: Message[]): void {
  const conversation = request.conversation as ConversationState;
  const leading = conversation.instructions !== undefined && conversation.instructions.length > 0 && request.messages[0]?.role === 'system' ? 1 : 0;
  request.messages = [...request.messages.slice(0, leading), ...history, ...request.messages.slice(leading)];
}

async function keepWhole(keeper: ResponseKeeper, keeping: Keeping, response: ChatResponse): Promise<ChatResponse> {
  const kept: ChatResponse = { ...response, id: keeping.id };
  const object = encodeResponsesResponse(kept, kept.model, keeping.echo);
  if (keeping.background) await keeper.finish(keeping.id, object);
  else await keeper.insert({ id: keeping.id, owner: keeping.owner, background: false, response: object, items: keeping.items });
  return kept;
}

/** Renders the stream as the caller sees it, beside the caller's own encoder, and stores the final response object. */
function keepStreamed(keeper: ResponseKeeper, keeping: Keeping, context: RequestContext, logger: Logger): StreamTap {
  const encoder = new ResponsesStreamEncoder({ model: context.served?.model ?? context.requestedModel ?? 'unknown', id: keeping.id, created: Math.floor(context.receivedAt / 1000), includeUsage: true, echo: keeping.echo });
  return {
    part(part) {
      encoder.encode(part);
      return [part];
    },
    end(error) {
      encoder.end();
      const final = encoder.finalResponse;
      if (!error && final !== undefined && final.status !== 'failed') {
        keeper.insert({ id: keeping.id, owner: keeping.owner, background: false, response: final, items: keeping.items }).catch((failure: unknown) => {
          logger.error('storing a streamed response failed', { response_id: keeping.id, error: failure instanceof Error ? failure.message : String(failure) });
        });
      }
      return [];
    },
  };
}

/** A background response that failed (or was cancelled: the cancel has stored that already). */
async function endFailed(keeper: ResponseKeeper, keeping: Keeping, context: RequestContext, logger: Logger): Promise<void> {
  const error = context.error!;
  const cancelled = error.code === 'response_cancelled';
  const object = responseObject({
    id: keeping.id,
    model: context.requestedModel ?? 'unknown',
    createdAt: Math.floor(context.receivedAt / 1000),
    output: [],
    status: cancelled ? 'cancelled' : 'failed',
    ...(cancelled ? {} : { error: { code: error.code, message: error.message } }),
    echo: keeping.echo,
  });
  await keeper.finish(keeping.id, object).catch((failure: unknown) => {
    logger.error('storing a failed background response failed', { response_id: keeping.id, error: failure instanceof Error ? failure.message : String(failure) });
  });
}

function notFound(id: string): GatewayError {
  return new GatewayError('response_not_found', `No stored response \`${id}\` for this key: it was not stored (\`store: false\`), was deleted or has expired.`, { param: 'previous_response_id' });
}


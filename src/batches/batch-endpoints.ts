import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import type { Logger } from '../lib/logger.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import type { BudgetHold } from '../pipeline/capabilities.js';
import type { Principal, RequestContext } from '../pipeline/context.js';
import type { OperationEndpoint, OperationResult } from '../pipeline/endpoint.js';
import { targetOf, type Target } from '../pipeline/target.js';
import { GatewayError } from '../spec/index.js';
import { GATEWAY_RUN_ENDPOINTS, jsonLines, parseLine, summarize, type BatchSummary, type LineEstimate } from './batch-input.js';
import { gatewayBatchObject, newBatchId, TERMINAL_STATUSES, type BatchCreation } from './batch-object.js';
import type { BatchRunner } from './batch-runner.js';
import { FREE_USAGE } from './file-endpoints.js';
import { freeAnswer, listPage, scopeOf, sendOpenAIError, sendOpenAIJson, type FilesContext, type FilesSettings } from './files-context.js';
import { BATCH_HOLD_TTL_MS, settleNativeBatch } from './native-settlement.js';
import { callForJson } from './provider-calls.js';
import { cancelTranslated, createTranslated, refreshTranslated } from './translated-batches.js';
import { GATEWAY_PROVIDER, visibleTo, type BatchRecord, type FileRecord } from './records.js';
import { worstCaseUsd } from './worst-case.js';

type BatchOperation = 'create' | 'list' | 'retrieve' | 'cancel';

/** Most groups a gateway-run batch's hold is split into (each released as its lines start). */
const MAX_HOLD_GROUPS = 16;

/** One call of the Batch API, completed with its records once the caller is known. */
export interface BatchCall {
  readonly operation: BatchOperation;
  readonly id: string | undefined;
  readonly query: URLSearchParams;
  readonly creation?: BatchCreation;
  /** `gateway` (answered by the gateway: lists, gateway-run batches) or the provider a native batch runs at. */
  provider: string;
  principal?: Principal;
  record?: BatchRecord;
  file?: FileRecord;
  /** The model a native batch is routed by (its first line's). */
  model?: string;
  /** A batch of a file the gateway keeps, translated to its provider's own batch API; the model each line is sent as. */
  translatedTo?: (model: string) => string;
  worstUsd?: number;
  lines?: readonly LineEstimate[];
  /** Holds taken at submission, until the batch takes them over. */
  holds?: Array<BudgetHold | undefined>;
  holdsTaken?: boolean;
}

/** The Batch API's shared parts beyond the files': the runner, and the holds of native batches this process took. */
export interface BatchesContext extends FilesContext {
  readonly runner: BatchRunner;
  readonly nativeHolds: Map<string, BudgetHold>;
  readonly logger: Logger;
}

const COMPLETION_WINDOWS = ['24h'];

/**
 * OpenAI's Batch API under each prefix: `POST /batches`, `GET /batches`, `GET /batches/{id}`,
 * `POST /batches/{id}/cancel`. A batch of a file kept at a provider with a Batch API runs there
 * (native); a batch of a file the gateway keeps is run by the gateway (BatchRunner). Either way its
 * worst case is held on every budget of the key at submission (402 `budget_exceeded` before the
 * provider sees anything), each line's model must be allowed to the key, and the batch is visible
 * only to its owner.
 */
export function batchRoutes(shared: BatchesContext, prefixes: readonly string[]): HttpRoute[] {
  const endpoint = (operation: BatchOperation): OperationEndpoint<BatchCall, Record<string, unknown>> => ({
    surface: 'openai',
    operation: 'batches',
    readsBody: operation === 'create',
    decode: (body, exchange) => decodeBatchCall(operation, body, exchange),
    authorize: (context, call) => authorizeBatchCall(shared, context, call),
    model: (call) => (call.provider === GATEWAY_PROVIDER ? undefined : (call.model ?? (typeof call.record?.object.model === 'string' ? call.record.object.model : '*'))),
    provider: (call) => call.provider,
    // Nothing to bill unless the operator prices it: the admission reserves nothing.
    units: () => ({ freeUnlessPriced: true }),
    answer: (context, call) => answerLocally(shared, context, call),
    attempt: (target, call, transport, signal) => attemptNative(shared, target, call, transport, signal),
    send: (exchange, context, response) => sendOpenAIJson(exchange, context, response),
    sendError: sendOpenAIError,
  });
  const handler = (operation: BatchOperation) => {
    const built = endpoint(operation);
    return (exchange: HttpExchange) => shared.requests().operationHandler(built)(exchange);
  };
  const handlers = { create: handler('create'), list: handler('list'), retrieve: handler('retrieve'), cancel: handler('cancel') };
  return prefixes.flatMap((prefix): HttpRoute[] => [
    { method: 'POST', path: `${prefix}/batches`, handler: handlers.create, renderError: encodeOpenAIError, ownsHeaders: true },
    { method: 'GET', path: `${prefix}/batches`, handler: handlers.list, renderError: encodeOpenAIError, ownsHeaders: true },
    { method: 'GET', path: `${prefix}/batches/:id`, handler: handlers.retrieve, renderError: encodeOpenAIError, ownsHeaders: true },
    { method: 'POST', path: `${prefix}/batches/:id/cancel`, handler: handlers.cancel, renderError: encodeOpenAIError, ownsHeaders: true },
  ]);
}

function decodeBatchCall(operation: BatchOperation, body: unknown, exchange: HttpExchange): BatchCall {
  const call: BatchCall = { operation, id: exchange.params.id, query: exchange.query, provider: GATEWAY_PROVIDER };
  if (operation !== 'create') return call;
  // Whatever ends the request before the batch takes its holds over (a refusal, a failed upload, a caller gone) gives them back.
  exchange.response.once('close', () => releaseUnclaimed(call));
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new GatewayError('invalid_request', 'The body must be a JSON object with `input_file_id`, `endpoint` and `completion_window`.');
  const fields = body as Record<string, unknown>;
  if (typeof fields.input_file_id !== 'string' || fields.input_file_id.length === 0) throw new GatewayError('invalid_request', '`input_file_id` must name an uploaded file.', { param: 'input_file_id' });
  if (typeof fields.endpoint !== 'string') throw new GatewayError('invalid_request', '`endpoint` must be the endpoint every line calls, e.g. /v1/chat/completions.', { param: 'endpoint' });
  if (typeof fields.completion_window !== 'string' || !COMPLETION_WINDOWS.includes(fields.completion_window)) throw new GatewayError('invalid_request', `\`completion_window\` must be one of ${COMPLETION_WINDOWS.join(', ')}.`, { param: 'completion_window' });
  const metadata = fields.metadata;
  if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata) || Object.values(metadata).some((value) => typeof value !== 'string'))) {
    throw new GatewayError('invalid_request', '`metadata` must be an object of strings.', { param: 'metadata' });
  }
  return { ...call, creation: { input_file_id: fields.input_file_id, endpoint: fields.endpoint, completion_window: fields.completion_window, metadata: (metadata ?? null) as Record<string, string> | null } };
}

async function authorizeBatchCall(shared: BatchesContext, context: RequestContext, call: BatchCall): Promise<void> {
  call.principal = context.principal;
  const settings = shared.settings();
  if (call.operation === 'list') return;
  if (call.operation !== 'create') {
    const record = await shared.store.getBatch(call.id!);
    if (record === undefined || !visibleTo(record, context.principal, settings.files.share_with_team)) throw new GatewayError('batch_not_found', `No batch \`${call.id!.slice(0, 100)}\` for this key.`, { param: 'batch_id' });
    call.record = record;
    call.provider = record.mode === 'gateway' ? GATEWAY_PROVIDER : record.provider;
    return;
  }
  const creation = call.creation!;
  const file = await shared.store.getFile(creation.input_file_id);
  if (file === undefined || !visibleTo(file, context.principal, settings.files.share_with_team)) throw new GatewayError('file_not_found', `No file \`${creation.input_file_id.slice(0, 100)}\` for this key.`, { param: 'input_file_id' });
  call.file = file;
  const summary: BatchSummary | undefined = file.summary ?? (file.provider === GATEWAY_PROVIDER ? await summarize(shared.store.readContent(file.id), settings.batches.max_lines) : undefined);
  if (summary === undefined) throw new GatewayError('invalid_request', `The file \`${file.id}\` was not uploaded with purpose \`batch\`.`, { param: 'input_file_id' });
  if (summary.problem !== undefined) throw new GatewayError('invalid_request', summary.problem, { param: 'input_file_id' });
  if (summary.url !== creation.endpoint) throw new GatewayError('invalid_request', `The lines of \`${file.id}\` call ${summary.url}, not ${creation.endpoint}.`, { param: 'endpoint' });
  const requests = shared.requests();
  // The key's model list applies to each line's model.
  for (const model of new Set(summary.lines.map((line) => line.model))) {
    if (!requests.allowsModel(context.principal, model) && !(file.provider !== GATEWAY_PROVIDER && requests.allowsModel(context.principal, `${file.provider}/${model}`))) {
      throw new GatewayError('model_not_allowed', `The virtual key \`${context.principal?.keyId ?? ''}\` may not use \`${model.slice(0, 100)}\`, which lines of the batch name.`, { param: 'input_file_id' });
    }
  }
  let targetFor: (model: string) => Target;
  if (file.provider === GATEWAY_PROVIDER) {
    if (!GATEWAY_RUN_ENDPOINTS.includes(creation.endpoint)) throw new GatewayError('operation_not_supported', `Batches the gateway runs itself call ${GATEWAY_RUN_ENDPOINTS.join(', ')}; this one calls ${creation.endpoint}.`, { param: 'endpoint' });
    const targets = new Map<string, Target>();
    targetFor = (model) => {
      let target = targets.get(model);
      if (target === undefined) targets.set(model, (target = settings.resolver.resolve(model).groups[0]!.targets[0]!));
      return target;
    };
    // Every line served first by one provider with a batch API of its own: the batch is translated to it.
    const providers = new Set(summary.lines.map((line) => targetFor(line.model).provider));
    const [only] = providers;
    if (providers.size === 1 && only!.adapter.chatBatches !== undefined && only!.adapter.local === undefined && settings.providerConfigs[only!.name]?.batches !== 'gateway') {
      call.provider = only!.name;
      call.model = summary.lines[0]!.model;
      call.translatedTo = (model) => targetFor(model).model;
    }
  } else {
    const instance = settings.providers.get(file.provider);
    if (instance === undefined) throw new GatewayError('provider_not_found', `The provider \`${file.provider}\` that keeps \`${file.id}\` is no longer configured.`, { param: 'input_file_id' });
    targetFor = (model) => targetOf(instance, model);
    call.provider = file.provider;
    call.model = summary.lines[0]!.model;
  }
  call.lines = summary.lines;
  call.worstUsd = worstCaseUsd(summary.lines, targetFor, settings.costs, settings.unpricedRequestUsd);
  const gatewayRun = file.provider === GATEWAY_PROVIDER && call.translatedTo === undefined;
  call.holds = await holdWorstCase(shared, call, targetFor(summary.lines[0]!.model).provider.name, gatewayRun ? groupsOf(summary.lines) : [summary.lines]);
}

function groupsOf(lines: readonly LineEstimate[]): LineEstimate[][] {
  const size = Math.max(1, Math.ceil(lines.length / MAX_HOLD_GROUPS));
  const groups: LineEstimate[][] = [];
  for (let start = 0; start < lines.length; start += size) groups.push(lines.slice(start, start + size));
  return groups;
}

/**
 * Holds the batch's worst case, group by group, on the caller's budgets: all or nothing (a group
 * that does not fit gives every earlier one back and refuses the batch with `budget_exceeded`).
 */
async function holdWorstCase(shared: BatchesContext, call: BatchCall, provider: string, groups: readonly (readonly LineEstimate[])[]): Promise<Array<BudgetHold | undefined>> {
  const holder = shared.holds();
  if (holder === undefined) return [];
  const total = call.lines!.length;
  const holds: BudgetHold[] = [];
  try {
    for (const group of groups) {
      // Each group's share of the worst case, in proportion to its lines' share when the whole was priced.
      const usd = groups.length === 1 ? call.worstUsd! : (call.worstUsd! * group.length) / total;
      holds.push(await holder({ principal: call.principal, provider, usd, ttlMs: BATCH_HOLD_TTL_MS }));
    }
  } catch (error) {
    for (const hold of holds) hold.release();
    if (GatewayError.is(error) && error.code === 'budget_exceeded') {
      throw new GatewayError('budget_exceeded', `The batch's worst case ($${call.worstUsd!.toFixed(6)} for ${total} lines) does not fit: ${error.message}`, { retryable: false });
    }
    throw error;
  }
  return holds;
}

/** Gives back holds the batch never took over (its submission failed). */
function releaseUnclaimed(call: BatchCall): void {
  if (call.holdsTaken === true) return;
  call.holdsTaken = true;
  for (const hold of call.holds ?? []) hold?.release();
}

async function answerLocally(shared: BatchesContext, context: RequestContext, call: BatchCall): Promise<Record<string, unknown>> {
  freeAnswer(context);
  const store = shared.store;
  switch (call.operation) {
    case 'list': {
      const batches = (await store.listBatches(scopeOf(context, shared.settings()))).map((record) => record.object);
      return listPage(batches, call.query, 20);
    }
    case 'retrieve':
      return call.record!.object;
    case 'cancel':
      return shared.runner.cancel(call.record!);
    default:
      try {
        return await createGatewayBatch(shared, call);
      } finally {
        releaseUnclaimed(call);
      }
  }
}

/** Stores a gateway-run batch and its lines, and starts it. */
async function createGatewayBatch(shared: BatchesContext, call: BatchCall): Promise<Record<string, unknown>> {
  const store = shared.store;
  const id = newBatchId();
  const lines = [];
  let index = 0;
  for await (const text of jsonLines(store.readContent(call.file!.id))) {
    const line = parseLine(text, index++);
    lines.push({ index: line.index, customId: line.customId, body: JSON.stringify(line.body), state: 'pending' as const, output: null });
  }
  const record: BatchRecord = {
    id,
    owner: call.principal?.keyId ?? null,
    team: call.principal?.teamId ?? null,
    principal: call.principal,
    provider: GATEWAY_PROVIDER,
    mode: 'gateway',
    object: gatewayBatchObject(id, call.creation!, lines.length),
    worstUsd: call.worstUsd!,
    settled: false,
    createdAt: Date.now(),
  };
  await store.addLines(id, lines);
  await store.putBatch(record);
  const holds = call.holds ?? [];
  call.holdsTaken = true;
  shared.runner.start(record, holds, Math.max(1, Math.ceil(lines.length / Math.max(1, holds.length))));
  return { ...record.object };
}

/** The calls that go to the provider: a native batch's creation, retrieval (which settles it once ended) and cancellation. */
async function attemptNative(shared: BatchesContext, target: Target, call: BatchCall, transport: HttpTransport, signal: AbortSignal): Promise<OperationResult<Record<string, unknown>>> {
  const store = shared.store;
  if (call.operation === 'create' && call.translatedTo !== undefined) {
    try {
      const created = await createTranslated(
        store,
        target,
        { creation: call.creation!, inputFileId: call.file!.id, upstreamModel: call.translatedTo, owner: { owner: call.principal?.keyId ?? null, team: call.principal?.teamId ?? null, principal: call.principal }, worstUsd: call.worstUsd!, model: call.model! },
        transport,
        signal,
      );
      const hold = call.holds?.[0];
      if (hold !== undefined) shared.nativeHolds.set(created.record.id, hold);
      call.holdsTaken = true;
      return { keyId: created.keyId, usage: FREE_USAGE, response: { ...created.record.object } };
    } finally {
      releaseUnclaimed(call);
    }
  }
  if (call.operation === 'create') {
    try {
      const creation = call.creation!;
      const answer = await callForJson(target, { resource: 'batches', method: 'POST', path: '', json: { input_file_id: creation.input_file_id, endpoint: creation.endpoint, completion_window: creation.completion_window, ...(creation.metadata === null ? {} : { metadata: creation.metadata }) } }, transport, signal);
      const id = answer.body.id;
      if (typeof id !== 'string' || id.length === 0) throw new GatewayError('upstream_invalid_response', `${target.provider.name} answered the batch without an id.`);
      await store.putBatch({
        id,
        owner: call.principal?.keyId ?? null,
        team: call.principal?.teamId ?? null,
        principal: call.principal,
        provider: target.provider.name,
        mode: 'native',
        object: { model: call.model, ...answer.body },
        worstUsd: call.worstUsd!,
        settled: false,
        createdAt: Date.now(),
      });
      const hold = call.holds?.[0];
      if (hold !== undefined) shared.nativeHolds.set(id, hold);
      call.holdsTaken = true;
      return { keyId: answer.keyId, usage: FREE_USAGE, response: answer.body };
    } finally {
      releaseUnclaimed(call);
    }
  }
  const record = call.record!;
  if (call.operation === 'cancel') {
    if (record.mode === 'translated') return { keyId: await cancelTranslated(store, target, record, transport, signal), usage: FREE_USAGE, response: { ...record.object } };
    const answer = await callForJson(target, { resource: 'batches', method: 'POST', path: `/${encodeURIComponent(record.id)}/cancel` }, transport, signal);
    record.object = { model: record.object.model, ...answer.body };
    await store.putBatch(record);
    return { keyId: answer.keyId, usage: FREE_USAGE, response: answer.body };
  }
  const refreshed = await refreshBatch(shared, target, record, transport, signal);
  return { keyId: refreshed.keyId, usage: FREE_USAGE, response: refreshed.object };
}

/**
 * Asks the provider how a native or translated batch is doing and records it; once it has ended,
 * settles it (its lines priced, logged and charged, once). A settlement that fails is logged and
 * tried again at the next refresh. Used by `GET /v1/batches/{id}` and the background poll.
 */
export async function refreshBatch(shared: BatchesContext, target: Target, record: BatchRecord, transport: HttpTransport, signal: AbortSignal): Promise<{ keyId: string | undefined; object: Record<string, unknown> }> {
  const store = shared.store;
  const settings: FilesSettings = shared.settings();
  const parts = { store, requests: shared.requests(), holds: shared.holds(), hold: shared.nativeHolds.get(record.id), costs: settings.costs, logger: shared.logger };
  if (record.mode === 'translated') {
    const keyId = await refreshTranslated(target, record, transport, signal, parts);
    if (record.settled) shared.nativeHolds.delete(record.id);
    return { keyId, object: { ...record.object } };
  }
  const answer = await callForJson(target, { resource: 'batches', method: 'GET', path: `/${encodeURIComponent(record.id)}` }, transport, signal);
  record.object = { model: record.object.model, ...answer.body };
  await store.putBatch(record);
  // The provider's output and error files belong to the batch's owner, as its input did.
  for (const field of ['output_file_id', 'error_file_id'] as const) {
    const fileId = answer.body[field];
    if (typeof fileId !== 'string' || fileId.length === 0 || (await store.getFile(fileId)) !== undefined) continue;
    await store.putFile({ id: fileId, owner: record.owner, team: record.team, provider: record.provider, ...(typeof record.object.model === 'string' ? { model: record.object.model } : {}), object: { id: fileId, object: 'file', purpose: 'batch_output', filename: field === 'output_file_id' ? 'batch_output.jsonl' : 'batch_errors.jsonl', created_at: Math.floor(Date.now() / 1000) }, createdAt: Date.now() });
  }
  if (!record.settled && TERMINAL_STATUSES.includes(String(answer.body.status))) {
    try {
      await settleNativeBatch(record, target, transport, signal, parts);
      shared.nativeHolds.delete(record.id);
    } catch (error) {
      // The caller still gets the batch; the next refresh settles it.
      shared.logger.warn('batches: a native batch could not be settled yet', { batch: record.id, error: (error as Error)?.message });
    }
  }
  return { keyId: answer.keyId, object: answer.body };
}

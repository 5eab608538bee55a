import { randomBytes } from 'node:crypto';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import { openaiChatCodec } from '../codecs/openai-chat/index.js';
import { sendJsonAttempt } from '../pipeline/json-attempt.js';
import { targetOf, type Target } from '../pipeline/target.js';
import { sendAttempt, scrubbed } from '../pipeline/upstream-call.js';
import { pickKey } from '../providers/instance.js';
import type { ChatBatchApi, ChatBatchItem, ChatBatchResult, ChatBatchState, ProviderKey } from '../providers/provider.js';
import { readResponseText } from '../providers/transport/read-body.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { GatewayError } from '../spec/index.js';
import { jsonLines, parseLine } from './batch-input.js';
import { gatewayBatchObject, newBatchId, nowSeconds, type BatchCreation } from './batch-object.js';
import type { BatchStore } from './batch-store.js';
import { fileObject, newFileId } from './file-endpoints.js';
import { chargeBatch, logBatchLine, type SettlementParts } from './native-settlement.js';
import { GATEWAY_PROVIDER, type BatchRecord } from './records.js';

/**
 * OpenAI batches of chat completions translated to a provider's own batch API (Anthropic's Message
 * Batches, Gemini's batch mode): the input file is kept by the gateway, each line is decoded as OpenAI's chat request and
 * sent in the provider's dialect; the batch answers as an OpenAI batch object under the gateway's
 * own id, and once the provider has ended it, its results are translated back into an output (and
 * error) file in OpenAI's batch format, each line priced at the provider's batch rate and logged.
 */

function apiOf(target: Target): { api: ChatBatchApi; key: ProviderKey | undefined } {
  const adapter = target.provider.adapter;
  if (adapter.chatBatches === undefined) throw new GatewayError('operation_not_supported', `Provider \`${target.provider.name}\` (${adapter.type}) has no batch API.`);
  return { api: adapter.chatBatches, key: target.key ?? pickKey(target.provider, target.model) };
}

export interface TranslatedCreation {
  readonly creation: BatchCreation;
  readonly inputFileId: string;
  /** The model each line names → the model it is sent as at the provider. */
  readonly upstreamModel: (model: string) => string;
  readonly owner: Pick<BatchRecord, 'owner' | 'team' | 'principal'>;
  readonly worstUsd: number;
  readonly model: string;
}

/** Submits the batch to the provider and records it; answers its OpenAI batch object. */
export async function createTranslated(store: BatchStore, target: Target, creation: TranslatedCreation, transport: HttpTransport, signal: AbortSignal): Promise<{ keyId: string | undefined; record: BatchRecord }> {
  const { api, key } = apiOf(target);
  const items: ChatBatchItem[] = [];
  let index = 0;
  for await (const text of jsonLines(store.readContent(creation.inputFileId))) {
    const line = parseLine(text, index++);
    items.push({ customId: line.customId, request: openaiChatCodec.decodeRequest(line.body), upstreamModel: creation.upstreamModel(line.model) });
  }
  const provider = target.provider;
  const state = await sendJsonAttempt(target, key, api.buildCreate(items, key, provider.settings), transport, signal, (body) => api.readState(body));
  const id = newBatchId();
  const object = { ...gatewayBatchObject(id, creation.creation, items.length), model: creation.model, status: 'in_progress', in_progress_at: nowSeconds() };
  const record: BatchRecord = { id, ...creation.owner, provider: provider.name, mode: 'translated', upstreamId: state.id, object, worstUsd: creation.worstUsd, settled: false, createdAt: Date.now() };
  await store.putBatch(record);
  return { keyId: key?.id, record };
}

/** Cancels the provider's batch; the batch is `cancelling` until the provider ends it. */
export async function cancelTranslated(store: BatchStore, target: Target, record: BatchRecord, transport: HttpTransport, signal: AbortSignal): Promise<string | undefined> {
  const { api, key } = apiOf(target);
  if (['completed', 'cancelled', 'failed', 'expired'].includes(String(record.object.status))) return key?.id;
  // The answer is not read: Gemini's is an empty object; the next retrieve tells how the batch is doing.
  await sendJsonAttempt(target, key, api.buildCancel(record.upstreamId!, key, target.provider.settings), transport, signal, () => undefined);
  Object.assign(record.object, { status: 'cancelling', cancelling_at: nowSeconds() });
  await store.putBatch(record);
  return key?.id;
}

/**
 * Asks the provider how the batch is doing; once it has ended, translates its results into the
 * output and error files, logs and prices each line, and charges the batch's hold (once, across
 * polls and replicas: the settlement is claimed in storage first).
 */
export async function refreshTranslated(target: Target, record: BatchRecord, transport: HttpTransport, signal: AbortSignal, parts: SettlementParts): Promise<string | undefined> {
  const { api, key } = apiOf(target);
  const settings = target.provider.settings;
  if (record.settled) return key?.id;
  const state = await retrieveState(target, api, key, record.upstreamId!, transport, signal);
  if (state.status === 'cancelling' && record.object.status === 'in_progress') Object.assign(record.object, { status: 'cancelling', cancelling_at: nowSeconds() });
  if (state.status !== 'ended' || !(await parts.store.claimSettlement(record.id))) {
    await parts.store.putBatch(record);
    return key?.id;
  }
  const done: string[] = [];
  const failed: string[] = [];
  let totalNano = 0;
  const seen = new Set<string>();
  let index = 0;
  const settleLine = async (result: ChatBatchResult): Promise<void> => {
    seen.add(result.customId);
    const requestId = `${record.id}-${index}`;
    const envelope = { id: `batch_req_${randomBytes(12).toString('hex')}`, custom_id: result.customId };
    if (result.response !== undefined) {
      const served = targetOf(target.provider, result.response.model || String(record.object.model ?? ''));
      totalNano += await logBatchLine(record, served, result.customId, index, 200, result.response.usage, parts);
      done.push(JSON.stringify({ ...envelope, response: { status_code: 200, request_id: requestId, body: openaiChatCodec.encodeResponse(result.response, String(record.object.model ?? served.model)) }, error: null }));
    } else {
      const error = new GatewayError(result.error!.status >= 500 ? 'upstream_error' : 'invalid_request', result.error!.message);
      await logBatchLine(record, target, result.customId, index, result.error!.status, undefined, parts);
      failed.push(JSON.stringify({ ...envelope, response: { status_code: result.error!.status, request_id: requestId, body: encodeOpenAIError(error) }, error: null }));
    }
    index++;
  };
  try {
    if (state.results !== undefined) {
      for (const line of state.results) await settleLine(api.readResult(line));
    } else {
      const { response, scrubber } = await sendAttempt(target, key, api.buildResults(record.upstreamId!, key, settings, state), transport, signal);
      try {
        for await (const text of jsonLines(bodyChunks(response.body))) await settleLine(api.readResult(JSON.parse(scrubber.redactSecrets(text))));
      } catch (error) {
        throw scrubbed(error, scrubber);
      }
    }
    // Requests the provider gave no result for (a batch that failed, expired or was cancelled as a whole) fail.
    const total = (record.object.request_counts as { total: number }).total;
    if (seen.size < total) {
      const inputFileId = String(record.object.input_file_id ?? '');
      let line = 0;
      for await (const text of jsonLines(parts.store.readContent(inputFileId))) {
        const { customId } = parseLine(text, line++);
        if (seen.has(customId)) continue;
        const status = state.failure !== undefined ? 500 : 499;
        await settleLine({ customId, error: { status, message: state.failure ?? (record.object.status === 'cancelling' ? 'The request was cancelled before the provider processed it.' : 'The provider returned no result for this request.') } });
      }
    }
  } catch (error) {
    await parts.store.unclaimSettlement(record.id);
    throw error;
  }
  const outputFile = done.length === 0 ? null : await writeLines(parts.store, record, 'batch_output.jsonl', done);
  const errorFile = failed.length === 0 ? null : await writeLines(parts.store, record, 'batch_errors.jsonl', failed);
  const cancelled = record.object.status === 'cancelling';
  const wholeFailure = state.failure !== undefined && done.length === 0 && !cancelled;
  Object.assign(record.object, {
    status: cancelled ? 'cancelled' : wholeFailure ? 'failed' : 'completed',
    ...(wholeFailure ? { errors: { object: 'list', data: [{ code: 'batch_failed', message: state.failure, param: null, line: null }] }, failed_at: nowSeconds() } : {}),
    output_file_id: outputFile,
    error_file_id: errorFile,
    finalizing_at: nowSeconds(),
    ...(cancelled ? { cancelled_at: nowSeconds() } : wholeFailure ? {} : { completed_at: nowSeconds() }),
    request_counts: { total: (record.object.request_counts as { total: number }).total, completed: done.length, failed: failed.length },
  });
  record.settled = true;
  await parts.store.putBatch(record);
  await chargeBatch(record, totalNano, parts);
  return key?.id;
}

/**
 * The provider's answer about the batch, read after its secrets are redacted: results carried in it
 * (Gemini's inline responses) end up in output files, which must never hold a key an upstream echoes.
 */
async function retrieveState(target: Target, api: ChatBatchApi, key: ProviderKey | undefined, id: string, transport: HttpTransport, signal: AbortSignal): Promise<ChatBatchState> {
  const { response, scrubber } = await sendAttempt(target, key, api.buildRetrieve(id, key, target.provider.settings), transport, signal);
  try {
    let parsed: unknown;
    try {
      parsed = JSON.parse(scrubber.redactSecrets(await readResponseText(response)));
    } catch (error) {
      if (GatewayError.is(error)) throw error;
      throw new GatewayError('upstream_invalid_response', `${target.provider.name} answered about a batch with a body that is not JSON.`, { retryable: true });
    }
    return api.readState(parsed);
  } catch (error) {
    throw scrubbed(error, scrubber);
  }
}

async function* bodyChunks(body: AsyncIterable<Buffer | string>): AsyncIterable<Buffer> {
  for await (const chunk of body) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
}

async function writeLines(store: BatchStore, record: BatchRecord, filename: string, lines: readonly string[]): Promise<string> {
  const id = newFileId();
  async function* content(): AsyncIterable<Buffer> {
    for (const line of lines) yield Buffer.from(`${line}\n`);
  }
  const bytes = await store.writeContent(id, content());
  await store.putFile({ id, owner: record.owner, team: record.team, provider: GATEWAY_PROVIDER, object: fileObject(id, filename, 'batch_output', bytes), createdAt: Date.now() });
  return id;
}


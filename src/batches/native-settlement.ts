import { openaiChatCodec } from '../codecs/openai-chat/index.js';
import { openaiEmbeddingCodec } from '../codecs/openai-embeddings/index.js';
import type { Logger } from '../lib/logger.js';
import type { BudgetHold, BudgetHolder, GatewayRequests } from '../pipeline/capabilities.js';
import type { CostCalculator } from '../pipeline/cost.js';
import { targetOf, type Target } from '../pipeline/target.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { nanoFromFemto } from '../pricing/money.js';
import type { Usage } from '../spec/index.js';
import { jsonLines } from './batch-input.js';
import type { BatchStore } from './batch-store.js';
import { callForContent } from './provider-calls.js';
import type { BatchRecord } from './records.js';

/** How long a native batch's hold may stay unsettled: OpenAI's 24 h completion window and a margin. */
export const BATCH_HOLD_TTL_MS = 26 * 3600_000;

export interface SettlementParts {
  readonly store: BatchStore;
  readonly requests: GatewayRequests;
  readonly holds: BudgetHolder | undefined;
  /** The hold taken at submission, when this process took it (lost with a restart). */
  readonly hold: BudgetHold | undefined;
  readonly costs: CostCalculator | undefined;
  readonly logger: Logger;
}

/** Charges a settled batch's spend: to the hold taken at submission, or (after a restart lost it) as a charge of its own. */
export async function chargeBatch(record: BatchRecord, totalNano: number, parts: Pick<SettlementParts, 'holds' | 'hold'>): Promise<void> {
  const total = totalNano / 1e9;
  if (parts.hold !== undefined) parts.hold.settle(total);
  else if (parts.holds !== undefined && totalNano > 0) {
    // Spend already incurred, whatever the budgets say now.
    const charge = await parts.holds({ principal: record.principal, provider: record.provider, usd: total, ttlMs: BATCH_HOLD_TTL_MS, force: true });
    charge.settle(total);
  }
}

/**
 * Settles a native batch the provider has ended: reads its output file (and error file) from the
 * provider, prices each line's usage at the provider's batch rates, writes one request-log record
 * per line tagged with the batch id and the line's custom_id, and charges the sum to the hold taken
 * at submission (or, after a restart, as a charge of its own). Claimed in storage first, so it
 * happens once across retrieves and replicas.
 */
export async function settleNativeBatch(record: BatchRecord, target: Target, transport: HttpTransport, signal: AbortSignal, parts: SettlementParts): Promise<void> {
  if (!(await parts.store.claimSettlement(record.id))) return;
  // In whole nano-USD, as the ledger counts: the budgets are charged exactly what the lines' records say.
  let totalNano = 0;
  // Numbered across the output and error files, so every line's record has its own id.
  let index = 0;
  try {
    for (const field of ['output_file_id', 'error_file_id'] as const) {
      const fileId = record.object[field];
      if (typeof fileId !== 'string' || fileId.length === 0) continue;
      const content = await callForContent(target, fileId, transport, signal);
      for await (const text of jsonLines(content.body)) totalNano += await recordLine(record, target, text, index++, parts);
    }
  } catch (error) {
    await parts.store.unclaimSettlement(record.id);
    throw error;
  }
  record.settled = true;
  await parts.store.putBatch(record);
  await chargeBatch(record, totalNano, parts);
}

/** Logs one output line of a native batch as a request of its own; answers what it charges, in nano-USD. */
async function recordLine(record: BatchRecord, target: Target, text: string, index: number, parts: SettlementParts): Promise<number> {
  let line: { custom_id?: unknown; response?: { status_code?: unknown; body?: Record<string, unknown> } | null; error?: { code?: unknown; message?: unknown } | null };
  try {
    line = JSON.parse(text) as typeof line;
  } catch {
    parts.logger.warn('batches: an output line of a native batch is not JSON', { batch: record.id, line: index + 1 });
    return 0;
  }
  const body = line.response?.body;
  const status = typeof line.response?.status_code === 'number' ? line.response.status_code : 500;
  const model = typeof body?.model === 'string' ? body.model : String(record.object.model ?? '');
  const usage = status < 400 && body !== undefined ? usageOf(body) : undefined;
  return logBatchLine(record, targetOf(target.provider, model), typeof line.custom_id === 'string' ? line.custom_id : String(index), index, status, usage, parts);
}

/**
 * Logs one line of a batch the provider ran as a request of its own (request id `<batch>-<index>`,
 * tagged with the batch id and custom_id), priced at the provider's batch rates; answers what it
 * charges, in nano-USD (0 when its cost is unknown or it failed).
 */
export async function logBatchLine(record: BatchRecord, served: Target, customId: string, index: number, status: number, usage: Usage | undefined, parts: Pick<SettlementParts, 'requests' | 'holds' | 'costs'>): Promise<number> {
  const model = served.model;
  const cost = usage === undefined ? undefined : parts.costs?.cost(served, usage, { batch: true });
  const charged = cost?.known === true && cost.femtoUsd !== undefined ? Number(nanoFromFemto(cost.femtoUsd)) : 0;
  const charging = parts.holds !== undefined;
  await parts.requests.perform(
    {
      id: `${record.id}-${index}`,
      surface: 'openai',
      operation: 'chat',
      subject: model,
      principal: record.principal,
      path: String(record.object.endpoint ?? '/v1/chat/completions'),
      headers: { 'x-tollgate-metadata': JSON.stringify({ batch_id: record.id, custom_id: customId }) },
      clientAddress: undefined,
      signal: AbortSignal.timeout(60_000),
    },
    async (context) => {
      context.served = served;
      context.usage = usage;
      context.cost = cost;
      context.status = status;
      // What the line charges the budgets, for `tollgate reconcile` (the batch's hold is settled with the sum).
      if (charging) context.attempts.push({ target: served, keyId: undefined, status, errorCode: undefined, errorMessage: undefined, latencyMs: 0, upstream: true, chargedNanoUsd: charged });
    },
  );
  return charged;
}

/** A line's usage, read as a chat completion's, else as an embeddings answer's. */
function usageOf(body: Record<string, unknown>): Usage | undefined {
  for (const decode of [(value: unknown) => openaiChatCodec.decodeResponse(value).usage, (value: unknown) => openaiEmbeddingCodec.decodeResponse(value).usage]) {
    try {
      const usage = decode(body);
      if (usage !== undefined && (usage.inputTokens !== undefined || usage.outputTokens !== undefined)) return usage;
    } catch {
      // Not this shape.
    }
  }
  return undefined;
}

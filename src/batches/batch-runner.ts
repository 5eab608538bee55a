import { randomBytes } from 'node:crypto';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import { openaiChatCodec } from '../codecs/openai-chat/index.js';
import type { Logger } from '../lib/logger.js';
import type { BudgetHold, GatewayRequests } from '../pipeline/capabilities.js';
import { GatewayError, toGatewayError, type ChatRequest, type ChatResponse } from '../spec/index.js';
import { nowSeconds } from './batch-object.js';
import type { BatchStore } from './batch-store.js';
import { fileObject, newFileId } from './file-endpoints.js';
import { GATEWAY_PROVIDER, type BatchLine, type BatchRecord } from './records.js';

export interface BatchRunnerOptions {
  readonly store: BatchStore;
  readonly requests: () => GatewayRequests;
  /** `batches.concurrency`, read as lines start. */
  readonly concurrency: () => number;
  readonly logger: Logger;
}

/** A batch being run: its lines' holds (one per group of `groupSize` lines, released as the group starts). */
interface Running {
  readonly record: BatchRecord;
  readonly controller: AbortController;
  cancelled: boolean;
  readonly holds: Array<BudgetHold | undefined>;
  readonly groupSize: number;
  done: Promise<void>;
}

/** How long to wait for the pipeline when a resumed batch starts before the gateway is built. */
const NOT_BUILT_RETRY_MS = 20;

/**
 * Runs the batches of providers without a Batch API: each pending line becomes a chat request the
 * gateway makes for the batch's owner (GATEWAY_REQUESTS `chat`: stages, model authorization,
 * admission against the key's limits and budgets, routing with retries and fallbacks, pricing, one
 * request-log record tagged with the batch id), at most `batches.concurrency` lines at once across
 * every batch. A line's outcome is stored as it ends, so a gateway stopped mid-batch resumes the
 * pending lines at its next start and never runs a finished line again. Once every line has ended
 * (or the batch is cancelled), the output and error files are written in OpenAI's batch format.
 */
export class BatchRunner {
  private readonly running = new Map<string, Running>();
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(private readonly options: BatchRunnerOptions) {}

  /** Starts a batch whose lines are stored; `holds` cover its lines group by group (empty after a restart). */
  start(record: BatchRecord, holds: Array<BudgetHold | undefined> = [], groupSize = 1): void {
    if (this.closed || this.running.has(record.id)) return;
    const running: Running = { record, controller: new AbortController(), cancelled: false, holds, groupSize, done: Promise.resolve() };
    this.running.set(record.id, running);
    running.done = this.run(running)
      .catch((error: unknown) => this.options.logger.error('batches: a gateway-run batch stopped', { batch: record.id, error: (error as Error)?.message }))
      .finally(() => {
        for (const hold of running.holds) hold?.release();
        this.running.delete(record.id);
      });
  }

  /** Resumes the batches an earlier run of the gateway left unfinished. */
  async resume(): Promise<void> {
    if (this.closed) return;
    for (const record of await this.options.store.unfinishedGatewayBatches()) {
      if (record.object.status === 'cancelling') await this.finalize(record, 'cancelled');
      else this.start(record);
    }
  }

  /** Stops taking the batch's pending lines; the batch ends `cancelled` once the lines in flight end. Undefined when not found. */
  async cancel(record: BatchRecord): Promise<Record<string, unknown>> {
    const running = this.running.get(record.id);
    const status = String(record.object.status);
    if (!['validating', 'in_progress', 'finalizing'].includes(status)) return record.object;
    if (running === undefined) {
      // Not running here (its gateway stopped before it began): nothing is in flight.
      await this.finalize(record, 'cancelled');
      return record.object;
    }
    running.cancelled = true;
    Object.assign(running.record.object, { status: 'cancelling', cancelling_at: nowSeconds() });
    await this.options.store.putBatch(running.record);
    return { ...running.record.object };
  }

  /** Stops every batch (their lines in flight are abandoned and stay pending, for the next start). */
  async close(): Promise<void> {
    this.closed = true;
    for (const running of this.running.values()) running.controller.abort(new GatewayError('shutting_down', 'The gateway is stopping; the batch resumes at its next start.'));
    for (const resolve of this.waiting.splice(0)) resolve();
    await Promise.all([...this.running.values()].map((running) => running.done));
  }

  private async run(running: Running): Promise<void> {
    const { store } = this.options;
    const record = running.record;
    if (record.object.status === 'validating') {
      Object.assign(record.object, { status: 'in_progress', in_progress_at: nowSeconds() });
      await store.putBatch(record);
    }
    const pending = await store.lines(record.id, 'pending');
    const tasks: Promise<void>[] = [];
    for (const line of pending) {
      if (running.cancelled || this.closed) break;
      await this.acquire();
      if (running.cancelled || this.closed) {
        this.release();
        break;
      }
      // The group's share of the batch's hold is given back as its first line starts: the line's own admission takes it again.
      const group = Math.floor(line.index / running.groupSize);
      running.holds[group]?.release();
      running.holds[group] = undefined;
      tasks.push(this.runLine(running, line).finally(() => this.release()));
    }
    await Promise.all(tasks);
    if (this.closed) return;
    await this.finalize(record, running.cancelled ? 'cancelled' : 'completed');
  }

  private async runLine(running: Running, line: BatchLine): Promise<void> {
    const { store } = this.options;
    const record = running.record;
    const requestId = `${record.id}-${line.index}`;
    let output: Record<string, unknown>;
    let state: 'done' | 'failed';
    try {
      const request = openaiChatCodec.decodeRequest(JSON.parse(line.body));
      const response = await this.chat(running, requestId, line, request);
      output = { id: `batch_req_${randomBytes(12).toString('hex')}`, custom_id: line.customId, response: { status_code: 200, request_id: requestId, body: openaiChatCodec.encodeResponse(response, request.model) }, error: null };
      state = 'done';
    } catch (error) {
      if (running.controller.signal.aborted) return;
      const failure = GatewayError.is(error) ? error : toGatewayError(error);
      output = { id: `batch_req_${randomBytes(12).toString('hex')}`, custom_id: line.customId, response: { status_code: failure.status, request_id: requestId, body: encodeOpenAIError(failure) }, error: null };
      state = 'failed';
    }
    if (!(await store.finishLine(record.id, line.index, state, JSON.stringify(output)))) return;
    const counts = record.object.request_counts as { total: number; completed: number; failed: number };
    if (state === 'done') counts.completed++;
    else counts.failed++;
    await store.putBatch(record);
  }

  private async chat(running: Running, requestId: string, line: BatchLine, request: ChatRequest): Promise<ChatResponse> {
    const record = running.record;
    const init = {
      id: requestId,
      surface: 'openai',
      operation: 'chat',
      subject: request.model,
      principal: record.principal,
      path: String(record.object.endpoint ?? '/v1/chat/completions'),
      // The batch's id and the line's custom_id tag the line's request-log record.
      headers: { 'x-tollgate-metadata': JSON.stringify({ batch_id: record.id, custom_id: line.customId }) },
      clientAddress: undefined,
      signal: running.controller.signal,
    };
    for (;;) {
      try {
        return await Promise.resolve().then(() => this.options.requests().chat(init, request));
      } catch (error) {
        // A batch resumed at start-up may reach the pipeline a moment before the gateway has built it.
        if (GatewayError.is(error) || !(error instanceof Error) || !error.message.includes('before the gateway is built') || running.controller.signal.aborted) throw error;
        await new Promise((resolve) => setTimeout(resolve, NOT_BUILT_RETRY_MS));
      }
    }
  }

  /** Writes the output and error files and ends the batch in `status`. */
  private async finalize(record: BatchRecord, status: 'completed' | 'cancelled'): Promise<void> {
    const { store } = this.options;
    const lines = await store.lines(record.id);
    const done = lines.filter((line) => line.state === 'done');
    const failed = lines.filter((line) => line.state === 'failed');
    Object.assign(record.object, { status: 'finalizing', finalizing_at: nowSeconds() });
    const outputFile = done.length === 0 ? null : await this.writeFile(record, 'batch_output.jsonl', done);
    const errorFile = failed.length === 0 ? null : await this.writeFile(record, 'batch_errors.jsonl', failed);
    const ended = nowSeconds();
    Object.assign(record.object, {
      status,
      output_file_id: outputFile,
      error_file_id: errorFile,
      ...(status === 'completed' ? { completed_at: ended } : { cancelled_at: ended }),
      request_counts: { total: lines.length, completed: done.length, failed: failed.length },
    });
    await store.putBatch(record);
  }

  private async writeFile(record: BatchRecord, filename: string, lines: readonly BatchLine[]): Promise<string> {
    const { store } = this.options;
    const id = newFileId();
    async function* content(): AsyncIterable<Buffer> {
      for (const line of lines) yield Buffer.from(`${line.output}\n`);
    }
    const bytes = await store.writeContent(id, content());
    await store.putFile({ id, owner: record.owner, team: record.team, provider: GATEWAY_PROVIDER, object: fileObject(id, filename, 'batch_output', bytes), createdAt: Date.now() });
    return id;
  }

  private async acquire(): Promise<void> {
    if (this.inFlight < this.options.concurrency()) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.inFlight--;
  }
}

import { RawHttpClient, type Outcome } from './raw-http-client.js';

/** Where the load goes and what it sends; identical for every target except the origin. */
export interface LoadTarget {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** A body per request instead (the n-th request of a window), when requests must differ. */
  bodyFor?: (n: number) => string;
}

/** What one measured window produced. Latencies are in milliseconds, successful requests only. */
export interface LoadResult {
  /** Successful (HTTP 200) requests started inside the measured window. */
  succeeded: number;
  /** Non-200 answers and transport errors inside the measured window. */
  failed: number;
  /** First failure seen, for the report. */
  firstFailure?: string;
  durationMs: number;
  latenciesMs: number[];
  /** Every request that finished, warm-up included (to divide the server's CPU time by). */
  completedTotal: number;
}

export interface ClosedLoopOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Called once when the warm-up ends and the measured window begins. */
  onWindowStart?: () => void;
}

/**
 * Closed loop: `concurrency` workers, each sending its next request as soon as the previous one
 * finished. Requests started during warm-up are not recorded; workers stop starting new requests
 * when the window ends and the ones in flight are still counted.
 */
export async function runClosedLoop(target: LoadTarget, options: ClosedLoopOptions): Promise<LoadResult> {
  const client = new RawHttpClient(target.origin, target.path, target.headers, options.concurrency);
  const send = sender(client, target);
  const recorder = new Recorder();
  const startedAt = performance.now();
  const measureFrom = startedAt + options.warmupMs;
  const measureUntil = measureFrom + options.durationMs;
  const windowStart = options.onWindowStart === undefined ? undefined : setTimeout(options.onWindowStart, options.warmupMs);
  const worker = async () => {
    for (;;) {
      const sentAt = performance.now();
      if (sentAt >= measureUntil) return;
      const outcome = await send();
      recorder.completed++;
      if (sentAt >= measureFrom) recorder.record(outcome, performance.now() - sentAt);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    clearTimeout(windowStart);
    client.close();
  }
  return recorder.result(options.durationMs);
}

export interface OpenLoopOptions {
  ratePerSecond: number;
  warmupMs: number;
  durationMs: number;
  /** Upper bound on connections; past it requests queue for one (and the wait counts as latency). */
  maxConnections: number;
  /** Called about every `sampleEveryMs` during the measured window (RSS sampling). */
  onSample?: () => void;
  sampleEveryMs?: number;
}

/**
 * Open loop: requests go out on a fixed schedule whether or not earlier ones have answered, and
 * each latency is measured from the request's scheduled time, so a stalled server shows up as
 * latency instead of silently lowering the offered load (no coordinated omission).
 */
export async function runOpenLoop(target: LoadTarget, options: OpenLoopOptions): Promise<LoadResult> {
  const client = new RawHttpClient(target.origin, target.path, target.headers, options.maxConnections);
  const send = sender(client, target);
  const recorder = new Recorder();
  const intervalMs = 1000 / options.ratePerSecond;
  const startedAt = performance.now();
  const measureFrom = startedAt + options.warmupMs;
  const measureUntil = measureFrom + options.durationMs;
  const inFlight = new Set<Promise<void>>();
  let scheduled = 0;
  let nextSampleAt = measureFrom;
  let lastMeasuredAnswerAt = measureUntil;
  const sampleEveryMs = options.sampleEveryMs ?? 250;
  try {
    for (;;) {
      const now = performance.now();
      if (now >= measureUntil) break;
      if (options.onSample !== undefined && now >= nextSampleAt) {
        options.onSample();
        nextSampleAt += sampleEveryMs;
      }
      // Catch up on every send that fell due since the last turn (timers fire at ~1 ms granularity).
      for (let dueAt = startedAt + scheduled * intervalMs; dueAt <= now && dueAt < measureUntil; dueAt = startedAt + scheduled * intervalMs) {
        scheduled++;
        const measured = dueAt >= measureFrom;
        const request: Promise<void> = send().then((outcome) => {
          recorder.completed++;
          if (measured) {
            const answeredAt = performance.now();
            recorder.record(outcome, answeredAt - dueAt);
            lastMeasuredAnswerAt = Math.max(lastMeasuredAnswerAt, answeredAt);
          }
          inFlight.delete(request);
        });
        inFlight.add(request);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(inFlight);
  } finally {
    client.close();
  }
  // A server that falls behind is still answering after the window: its throughput is what it
  // actually delivered, over the time it took, not the offered rate.
  return recorder.result(lastMeasuredAnswerAt - measureFrom);
}

/** Requests sent with a per-request body so far (numbers them, so each differs). */
let sent = 0;

/** Sends the target's request: its bytes built once, or per request when the body varies. */
function sender(client: RawHttpClient, target: LoadTarget): () => Promise<Outcome> {
  const { bodyFor } = target;
  if (bodyFor !== undefined) return () => client.send(client.request(bodyFor(sent++)));
  const request = client.request(target.body);
  return () => client.send(request);
}

class Recorder {
  completed = 0;
  private readonly latencies: number[] = [];
  private failed = 0;
  private firstFailure: string | undefined;

  record(outcome: Outcome, latencyMs: number): void {
    if (outcome === undefined) {
      this.latencies.push(latencyMs);
      return;
    }
    this.failed++;
    this.firstFailure ??= outcome;
  }

  result(durationMs: number): LoadResult {
    return {
      succeeded: this.latencies.length,
      failed: this.failed,
      ...(this.firstFailure === undefined ? {} : { firstFailure: this.firstFailure }),
      durationMs,
      latenciesMs: this.latencies,
      completedTotal: this.completed,
    };
  }
}

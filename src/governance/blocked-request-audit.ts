import type { AuditSink } from '../pipeline/audit-sink.js';
import type { RequestContext } from '../pipeline/context.js';
import type { RequestObserver } from '../pipeline/hooks.js';
import { isoTime } from '../lib/iso-time.js';

/** Error codes that mean governance refused the request. */
const BLOCKING_CODES: ReadonlySet<string> = new Set(['invalid_api_key', 'key_expired', 'key_inactive', 'model_not_allowed', 'provider_not_allowed', 'rate_limit_exceeded', 'concurrency_limit_exceeded', 'budget_exceeded', 'tool_not_allowed']);

/** After a caller's first refusal for a reason, further ones for the same reason are summed up over this period. */
const BURST_WINDOW_MS = 60_000;
/** Callers × reasons summed up at once; refusals past it are counted together (see `overflow`). */
const MAX_BURSTS = 10_000;

interface Burst {
  actor: string;
  target: string | undefined;
  code: string;
  startedAt: number;
  repeats: number;
  lastRequestId: string | undefined;
}

export interface BlockedRequestAuditOptions {
  windowMs?: number;
  maxBursts?: number;
  now?: () => number;
}

/**
 * Appends governance's refusals to the audit log (never the key's value). A caller's first refusal
 * for a reason is appended in full (`request.blocked` with the request id, code, status, message,
 * model, path and client). Further refusals of that caller for that reason within `windowMs` are
 * counted, and one `request.blocked` entry with `repeats`, the period and the last request id
 * closes the burst. One entry per refused request let any caller, even without a valid key, grow
 * the audit log at the gateway's full request rate (a hash-chained row each, written on the event
 * loop); every refused request still has its own record in the request log.
 */
export class BlockedRequestAudit implements RequestObserver {
  private readonly bursts = new Map<string, Burst>();
  /** Refusals that found no room for a burst of their own, since the last sweep. */
  private overflow = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly windowMs: number;
  private readonly maxBursts: number;
  private readonly now: () => number;

  constructor(
    private readonly audit: AuditSink,
    options: BlockedRequestAuditOptions = {},
  ) {
    this.windowMs = options.windowMs ?? BURST_WINDOW_MS;
    this.maxBursts = options.maxBursts ?? MAX_BURSTS;
    this.now = options.now ?? Date.now;
  }

  onRequestEnd(context: RequestContext): void {
    const error = context.error;
    if (error === undefined || !BLOCKING_CODES.has(error.code) || context.served !== undefined) return;
    const actor = context.principal === undefined ? 'anonymous' : `key:${context.principal.keyId}`;
    const key = `${actor}\u0000${error.code}`;
    const now = this.now();
    const burst = this.bursts.get(key);
    if (burst !== undefined) {
      if (now - burst.startedAt < this.windowMs) {
        burst.repeats++;
        burst.lastRequestId = context.id;
        return;
      }
      this.end(key, burst, now);
    }
    if (this.bursts.size >= this.maxBursts) {
      this.overflow++;
      return;
    }
    const target = context.principal?.keyId;
    this.audit.append({
      actor,
      action: 'request.blocked',
      target,
      details: { request_id: context.id, code: error.code, status: error.status, message: error.message, model: context.requestedModel, path: context.path, client: context.clientAddress },
    });
    this.bursts.set(key, { actor, target, code: error.code, startedAt: now, repeats: 0, lastRequestId: undefined });
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(false), Math.max(1, Math.floor(this.windowMs / 4)));
      this.timer.unref();
    }
  }

  /** Closes the bursts whose period ended (all of them with `all`), appending a summary for each that repeated. */
  sweep(all: boolean): void {
    const now = this.now();
    for (const [key, burst] of this.bursts) if (all || now - burst.startedAt >= this.windowMs) this.end(key, burst, now);
    if (this.overflow > 0) {
      this.audit.append({ actor: 'gateway', action: 'request.blocked', details: { code: 'various', repeats: this.overflow, until: isoTime(now), reason: `more than ${this.maxBursts} callers and reasons were refused within one period` } });
      this.overflow = 0;
    }
    if (this.bursts.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Ends a burst: its summary, when it repeated. */
  private end(key: string, burst: Burst, now: number): void {
    this.bursts.delete(key);
    if (burst.repeats === 0) return;
    this.audit.append({
      actor: burst.actor,
      action: 'request.blocked',
      target: burst.target,
      details: { code: burst.code, repeats: burst.repeats, since: isoTime(burst.startedAt), until: isoTime(now), last_request_id: burst.lastRequestId },
    });
  }

  /** Appends what is still being counted (at shutdown, before the audit log closes). */
  close(): void {
    this.sweep(true);
  }
}

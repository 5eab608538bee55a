import type { RequestContext } from '../pipeline/context.js';
import type { AttemptOutcome, RoutingSession } from '../pipeline/hooks.js';
import type { RoutePlan, Target } from '../pipeline/target.js';
import { keyServes } from '../providers/instance.js';
import type { ProviderKey } from '../providers/provider.js';
import type { UpstreamTimeouts } from '../providers/transport/http-transport.js';
import { GatewayError } from '../spec/index.js';
import { describeTrail, mostRelevantError } from './attempt-trail.js';
import { failureKind } from './failure-kind.js';
import type { KeyHealth, TargetHealth } from './health-registry.js';
import { chooseKey, hasUsableKey } from './key-choice.js';
import type { RouterState } from './router-state.js';
import { choose } from './strategies.js';

/** A target chosen for an attempt, with the key it goes with (`null`: the provider needs none). */
interface Keyed {
  readonly target: Target;
  readonly health: TargetHealth;
  readonly key: ProviderKey | null;
}

/**
 * Scratch space for one selection: the eligible targets of a group and their health. Selection is
 * synchronous, so one pair of arrays serves every session and choosing allocates nothing.
 */
const eligibleTargets: Target[] = [];
const eligibleHealth: TargetHealth[] = [];

/** `x-tollgate-fallbacks` values, made once. */
const GROUP_NUMBERS = Array.from({ length: 16 }, (_, index) => String(index));

/** The attempt in progress, until the pipeline reports its outcome. */
interface Outstanding {
  readonly health: TargetHealth;
  readonly key: KeyHealth | undefined;
  /** performance.now() when it was handed out. */
  readonly startedAt: number;
}

type Decision = Keyed | 'next-target' | 'stop';

/**
 * One request's walk through its plan. Group by group; within a group the strategy picks among
 * eligible targets; a failed attempt is retried on the same target (another key when there is one)
 * up to the provider's `max_retries`, then the next target, then the next group (each with its own
 * retries), all within `routing.retry.max_attempts`. Health bookkeeping happens in `settle`, which
 * the router's observer calls for every attempt's outcome.
 */
export class ResilientSession implements RoutingSession {
  private groupIndex = 0;
  /** Refs already handed out: the first one, then (from the second on) a set. */
  private firstTried: string | undefined;
  private tried: Set<string> | undefined;
  private current: Keyed | undefined;
  private retriesLeft = 0;
  private retryCount = 0;
  /** Keys of the current target that failed in this request (created on the first failure). */
  private failedKeys: Set<string> | undefined;
  private attemptsMade = 0;
  /** Created on the first failure or skip: a request that succeeds at once allocates neither. */
  private failures: GatewayError[] | undefined;
  private skipped: { ref: string; why: string; waitMs: number }[] | undefined;
  private outstanding: Outstanding | undefined;

  constructor(
    private readonly state: RouterState,
    private readonly context: RequestContext,
    private readonly plan: RoutePlan,
    private readonly timeoutOverrideMs: number | undefined,
  ) {}

  /** Synchronous unless a failure must be handled (it may wait out a backoff). */
  next(previous: AttemptOutcome | undefined): Promise<Target | undefined> | Target | undefined {
    if (previous?.error !== undefined) return this.afterAttemptFailed(previous.error);
    if (this.context.signal.aborted) return undefined;
    return this.nextTarget();
  }

  private async afterAttemptFailed(error: GatewayError): Promise<Target | undefined> {
    (this.failures ??= []).push(error);
    if (this.context.signal.aborted) return undefined;
    if (this.current !== undefined) {
      const decision = await this.afterFailure(error, this.current);
      if (decision === 'stop') return this.exhausted(error);
      if (decision !== 'next-target') return this.dispatch(decision);
    }
    return this.nextTarget();
  }

  /** The next target by strategy (first attempt on it), or the end of the plan. */
  private nextTarget(): Target | undefined {
    if (this.attemptsMade >= this.state.config.retry.max_attempts) return this.exhausted(undefined);
    const picked = this.pickTarget();
    if (picked === undefined) return this.exhausted(undefined);
    const ref = picked.target.ref;
    if (this.firstTried === undefined) this.firstTried = ref;
    else (this.tried ??= new Set([this.firstTried])).add(ref);
    this.retriesLeft = picked.target.provider.maxRetries;
    this.retryCount = 0;
    this.failedKeys = undefined;
    return this.dispatch(picked);
  }

  /** Health bookkeeping for the attempt in progress (called by the router's observer). */
  settle(outcome: AttemptOutcome): void {
    const attempt = this.outstanding;
    if (attempt === undefined) return;
    this.outstanding = undefined;
    attempt.health.inFlight--;
    if (attempt.key !== undefined) attempt.key.inFlight--;
    const now = this.state.environment.now();
    const { health, key } = attempt;
    if (outcome.ok) {
      const ttft = outcome.timeToFirstTokenMs;
      const latency = this.context.stream && ttft !== undefined ? this.context.startedAt + ttft - attempt.startedAt : performance.now() - attempt.startedAt;
      health.latency.observe(Math.max(0, latency), now);
      health.breaker.success(now);
      key?.breaker.success(now);
      return;
    }
    const error = outcome.error;
    if (error === undefined || this.context.signal.aborted) return this.abandon(attempt);
    const reason = `${error.upstreamStatus ?? error.status} ${error.code}`;
    switch (failureKind(error)) {
      case 'key-auth':
        if (key === undefined) health.breaker.failure(now, reason);
        else {
          key.breaker.trip(now + this.state.config.keys.auth_cooldown_ms, `refused by the provider: ${reason}`);
          health.breaker.abandon();
        }
        return;
      case 'key-rate-limited':
        if (key === undefined) health.breaker.failure(now, reason);
        else {
          if (error.retryAfterMs !== undefined && error.retryAfterMs > 0) key.breaker.trip(now + error.retryAfterMs, `rate-limited: Retry-After ${Math.ceil(error.retryAfterMs)} ms`);
          else key.breaker.failure(now, reason);
          health.breaker.abandon();
        }
        return;
      case 'upstream-retryable':
        if (error.code === 'upstream_timeout') health.latency.observe(performance.now() - attempt.startedAt, now);
        health.breaker.failure(now, reason);
        key?.breaker.abandon();
        return;
      default:
        return this.abandon(attempt);
    }
  }

  /** The request is over: an attempt never reported (the caller left) gives its slot and probe back. */
  end(): void {
    const attempt = this.outstanding;
    if (attempt === undefined) return;
    this.outstanding = undefined;
    attempt.health.inFlight--;
    if (attempt.key !== undefined) attempt.key.inFlight--;
    this.abandon(attempt);
  }

  private abandon(attempt: Outstanding): void {
    attempt.health.breaker.abandon();
    attempt.key?.breaker.abandon();
  }

  private async afterFailure(error: GatewayError, current: Keyed): Promise<Decision> {
    const { config, environment, health } = this.state;
    const kind = failureKind(error);
    if (kind === 'caller-fault') return 'stop';
    if (kind === 'local' || kind === 'upstream-final') return 'next-target';
    if (this.attemptsMade >= config.retry.max_attempts) return 'next-target';
    if (current.key !== null) (this.failedKeys ??= new Set()).add(current.key.id);
    const now = environment.now();

    if (kind === 'key-auth') {
      // Another key may well work; trying it costs no retry.
      const key = chooseKey(current.target, health, now, environment.random, this.failedKeys);
      return key === undefined || key === null ? 'next-target' : { ...current, key };
    }
    if (this.retriesLeft <= 0) return 'next-target';
    if (kind === 'key-rate-limited') {
      const other = chooseKey(current.target, health, now, environment.random, this.failedKeys);
      if (other !== undefined && other !== null) {
        this.retriesLeft--;
        return { ...current, key: other };
      }
    } else if (!current.health.breaker.allows(now)) {
      return 'next-target';
    }
    const waitMs = error.retryAfterMs ?? this.backoffMs();
    if (waitMs > config.retry.max_retry_after_ms) return 'next-target';
    this.retriesLeft--;
    this.retryCount++;
    if (waitMs > 0) {
      await environment.sleep(waitMs, this.context.signal);
      if (this.context.signal.aborted) return 'stop';
    }
    const later = environment.now();
    // Prefer a key that has not failed yet; else any usable one; after waiting out a 429, the same key.
    const key = chooseKey(current.target, health, later, environment.random, this.failedKeys) ?? chooseKey(current.target, health, later, environment.random, undefined);
    if (key === undefined) return kind === 'key-rate-limited' ? current : 'next-target';
    return { ...current, key };
  }

  private backoffMs(): number {
    const { base_backoff_ms: base, max_backoff_ms: max } = this.state.config.retry;
    const ceiling = Math.min(base * 2 ** this.retryCount, max);
    return ceiling / 2 + this.state.environment.random() * (ceiling / 2);
  }

  /** The next eligible target of the current group (by strategy), moving on to later groups as needed. */
  private pickTarget(): Keyed | undefined {
    const { environment, health } = this.state;
    const now = environment.now();
    const groups = this.plan.groups;
    for (; this.groupIndex < groups.length; this.groupIndex++) {
      const group = groups[this.groupIndex]!;
      let count = 0;
      for (const target of group.targets) {
        if (this.wasTried(target.ref)) continue;
        const targetHealth = health.target(target);
        if (!targetHealth.breaker.allows(now)) {
          this.skip(target.ref, `circuit open (${targetHealth.breaker.reason ?? 'probe in flight'})`, targetHealth.breaker.remainingMs(now));
          continue;
        }
        if (!hasUsableKey(target, health, now)) {
          this.skip(target.ref, 'every key is cooling down or rate-limited', this.earliestKey(target, now));
          continue;
        }
        eligibleTargets[count] = target;
        eligibleHealth[count] = targetHealth;
        count++;
      }
      if (count === 0) continue;
      const index = choose(group.strategy, eligibleTargets, eligibleHealth, count, environment.random);
      const target = eligibleTargets[index]!;
      const targetHealth = eligibleHealth[index]!;
      // Drop the references, so the scratch arrays never keep a reloaded-away provider alive.
      eligibleTargets.length = 0;
      eligibleHealth.length = 0;
      const key = chooseKey(target, health, now, environment.random, undefined);
      return { target, health: targetHealth, key: key ?? null };
    }
    return undefined;
  }

  private wasTried(ref: string): boolean {
    return ref === this.firstTried || (this.tried !== undefined && this.tried.has(ref));
  }

  private earliestKey(target: Target, now: number): number {
    let earliest = Infinity;
    for (const key of target.provider.keys) {
      if (!keyServes(key, target.model)) continue;
      earliest = Math.min(earliest, this.state.health.key(target.provider.name, key).breaker.remainingMs(now));
    }
    return earliest === Infinity ? 0 : earliest;
  }

  private skip(ref: string, why: string, waitMs: number): void {
    const skipped = (this.skipped ??= []);
    if (!skipped.some((entry) => entry.ref === ref)) skipped.push({ ref, why, waitMs });
  }

  private dispatch(chosen: Keyed): Target {
    const { health, environment } = this.state;
    const now = environment.now();
    this.current = chosen;
    this.attemptsMade++;
    const keyHealth = chosen.key === null ? undefined : health.key(chosen.target.provider.name, chosen.key);
    chosen.health.inFlight++;
    chosen.health.breaker.begin(now);
    if (keyHealth !== undefined) {
      keyHealth.inFlight++;
      keyHealth.breaker.begin(now);
    }
    this.outstanding = { health: chosen.health, key: keyHealth, startedAt: performance.now() };
    const headers = this.context.responseHeaders;
    headers['x-tollgate-fallbacks'] = GROUP_NUMBERS[this.groupIndex] ?? String(this.groupIndex);
    if (chosen.key !== null) headers['x-tollgate-key-id'] = chosen.key.id;
    else if (headers['x-tollgate-key-id'] !== undefined) delete headers['x-tollgate-key-id'];
    const target = chosen.target;
    // Written out (no spread) so every attempt's target has one shape.
    return { provider: target.provider, model: target.model, ref: target.ref, weight: target.weight, key: chosen.key ?? undefined, timeouts: this.timeoutsFor(target) };
  }

  private timeoutsFor(target: Target): UpstreamTimeouts | undefined {
    const base = this.state.timeouts.get(target.provider.name);
    if (base === undefined || this.timeoutOverrideMs === undefined) return base;
    return { ...base, firstByteMs: this.timeoutOverrideMs, idleMs: this.timeoutOverrideMs };
  }

  /** Nothing more to try: the most relevant error, with the attempt trail; or why nothing was tried. */
  private exhausted(stopError: GatewayError | undefined): undefined {
    const attempts = this.context.attempts;
    if (attempts.length > 0) this.context.responseHeaders['x-tollgate-attempt-trail'] = headerSafe(describeTrail(attempts));
    if (stopError !== undefined) throw stopError;
    const best = mostRelevantError(this.failures ?? [], attempts);
    if (best !== undefined) throw best;
    const skipped = this.skipped;
    if (skipped !== undefined) {
      const waitMs = Math.min(...skipped.map((entry) => entry.waitMs));
      const reasons = skipped.map((entry) => `${entry.ref}: ${entry.why}`).join('; ');
      throw new GatewayError('no_target_available', `No provider is available for \`${this.plan.requested}\` right now: ${reasons}.`, waitMs > 0 ? { retryAfterMs: waitMs } : {});
    }
    return undefined;
  }
}

function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 2000);
}

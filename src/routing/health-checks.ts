import type { HealthCheckConfig } from '../config/routing-schema.js';
import { attemptChat } from '../pipeline/chat-attempt.js';
import type { Target } from '../pipeline/target.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import type { Logger } from '../lib/logger.js';
import { toGatewayError, type ChatRequest } from '../spec/index.js';
import { failureKind } from './failure-kind.js';
import { chooseKey } from './key-choice.js';
import type { RouterState } from './router-state.js';

/** The smallest request every chat API accepts: one short user turn, one token back. */
function checkRequest(model: string): ChatRequest {
  return { model, stream: false, maxOutputTokens: 1, messages: [{ role: 'user', content: [{ type: 'text', text: 'ping' }] }] };
}

/**
 * Optional active health checks (`routing.health_checks`): every `interval_ms`, a one-token chat
 * request to each target whose circuit is open (or, with `targets: all`, to every configured
 * target). A success closes an open circuit at once, so a recovered provider gets its traffic back
 * without waiting for `open_ms` and without a caller's request being the probe; a failure opens (or
 * keeps open) the circuit before callers run into it. Checks are real requests the provider bills,
 * so they are off by default.
 */
export class HealthChecks {
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<string>();
  private readonly controller = new AbortController();
  private targets: readonly Target[] = [];

  constructor(
    private readonly state: RouterState,
    private readonly transport: HttpTransport,
    private readonly logger: Logger | undefined,
  ) {}

  /** The targets to watch (every configured one; rebuilt on reload) and the schedule from the config. */
  configure(targets: readonly Target[]): void {
    this.targets = targets;
    clearInterval(this.timer);
    this.timer = undefined;
    const config = this.state.config.health_checks;
    if (!config.enabled) return;
    this.timer = setInterval(() => void this.runOnce(), config.interval_ms);
    // Checks never keep the process alive on their own.
    this.timer.unref();
  }

  /** One round of checks; resolves when every check of the round has reported. */
  async runOnce(): Promise<void> {
    const config = this.state.config.health_checks;
    const now = this.state.environment.now();
    const due = this.targets.filter((target) => !this.running.has(target.ref) && (config.targets === 'all' || this.state.health.target(target).breaker.state(now) !== 'closed'));
    await Promise.all(due.map((target) => this.check(target, config)));
  }

  /** Whether rounds run on their own (`enabled` in the config in effect). */
  get scheduled(): boolean {
    return this.timer !== undefined;
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.controller.abort();
  }

  private async check(target: Target, config: HealthCheckConfig): Promise<void> {
    const { health, environment } = this.state;
    const targetHealth = health.target(target);
    const key = chooseKey(target, health, environment.now(), environment.random, undefined);
    // Every key is cooling down: nothing to check with until one comes back.
    if (key === undefined) return;
    this.running.add(target.ref);
    const timeouts = { firstByteMs: config.timeout_ms, idleMs: config.timeout_ms, totalMs: config.timeout_ms };
    try {
      await attemptChat(key === null ? { ...target, timeouts } : { ...target, key, timeouts }, checkRequest(target.model), this.transport, this.controller.signal);
      const wasOpen = targetHealth.breaker.state(environment.now()) !== 'closed';
      targetHealth.breaker.recover(environment.now());
      if (key !== null) health.key(target.provider.name, key).breaker.success(environment.now());
      if (wasOpen) this.logger?.info('health check passed, circuit closed', { target: target.ref });
    } catch (thrown) {
      if (this.controller.signal.aborted) return;
      const error = toGatewayError(thrown);
      const now = environment.now();
      const reason = `health check: ${error.upstreamStatus ?? error.status} ${error.code}`;
      switch (failureKind(error)) {
        case 'key-auth':
          if (key !== null) health.key(target.provider.name, key).breaker.trip(now + this.state.config.keys.auth_cooldown_ms, `refused by the provider: ${reason}`);
          break;
        case 'key-rate-limited':
          // The provider answered: it is up, only busy.
          if (key !== null && error.retryAfterMs !== undefined) health.key(target.provider.name, key).breaker.trip(now + error.retryAfterMs, `rate-limited: ${reason}`);
          break;
        case 'upstream-retryable':
          if (targetHealth.breaker.state(now) === 'closed') targetHealth.breaker.failure(now, reason);
          else targetHealth.breaker.trip(now + this.state.config.circuit_breaker.open_ms, reason);
          this.logger?.warn('health check failed', { target: target.ref, error: error.code, message: error.message });
          break;
        default:
          // The check itself was refused (a model that wants more than one token, …): it says nothing about health.
          this.logger?.warn('health check could not run', { target: target.ref, error: error.code, message: error.message });
      }
    } finally {
      this.running.delete(target.ref);
    }
  }
}

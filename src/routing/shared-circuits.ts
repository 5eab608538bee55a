import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.js';
import type { BreakerChange, CircuitBreaker } from './circuit-breaker.js';
import type { RouterState } from './router-state.js';

type Kind = 'target' | 'key';

/** What one replica tells the others: a circuit it opened (for `ms` more) or closed. */
interface CircuitMessage {
  /** The replica that decided (its own messages come back and are skipped). */
  readonly o: string;
  readonly k: Kind;
  readonly i: string;
  readonly s: 'open' | 'closed';
  readonly ms?: number;
  readonly r?: string;
}

/** A claim for the half-open probe is made this long before the open period ends, so no local probe slips out first. */
const CLAIM_EARLY_MS = 100;
/** Claims after a lease wait this much past its expiry, so the expired key is gone. */
const LEASE_SLACK_MS = 5;
/** How long the first connection may take before the gateway starts with local circuits. */
const CONNECT_WAIT_MS = 2_000;

/**
 * Circuit-breaker state shared through Redis. Every breaker's own decisions (open until, closed)
 * are published on a channel and kept as keys with a TTL (the open period), so a provider that is
 * down for one replica is down for all within a pub/sub hop, and a replica that starts or
 * reconnects later reads the open circuits from the keys. Requests still read only the local
 * breaker: nothing here is on the hot path.
 *
 * Half-open probes are coordinated: shortly before a circuit's open period ends, each replica tries
 * `SET probe:… NX PX open_ms`; the one that gets it lets its next request through as the probe,
 * the others hold the circuit open for the lease. The probe's outcome (closed, or open again) is
 * published like any decision, so recovery is seen by all. A prober that gets no traffic lets its
 * lease run out and the claim is made again.
 *
 * Redis down: fail open to local state — each replica keeps deciding for itself, probes are not
 * coordinated — and the open circuits are read again once it is back (ioredis reconnects).
 */
export class SharedCircuits {
  private readonly origin = randomUUID();
  private readonly channel: string;
  private readonly claims = new Map<string, NodeJS.Timeout>();
  /** Opens heard for a breaker this replica has not created yet (a target it has not routed to). */
  private readonly pending = new Map<string, { until: number; reason: string }>();
  private closed = false;
  private outageLogged = false;

  private constructor(
    private readonly state: RouterState,
    private readonly commands: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly shownUrl: string,
    private readonly logger: Logger,
  ) {
    this.channel = `${prefix}circuits`;
  }

  /** Connects (ioredis imported only now), subscribes, wires every breaker. Never throws: Redis unreachable means local circuits until it is. */
  static async open(state: RouterState, location: { url: string; prefix: string }, logger: Logger): Promise<SharedCircuits> {
    const { Redis } = await import('ioredis');
    const options = {
      lazyConnect: true,
      connectionName: 'tollgate-routing',
      // Fail at once while disconnected (the caller falls back to local state), reconnect forever.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 2_000),
    };
    const commands = new Redis(location.url, options);
    // The subscriber queues SUBSCRIBE until it first connects (Redis may be down at start-up); ioredis re-subscribes after a reconnect.
    const subscriber = new Redis(location.url, { ...options, enableOfflineQueue: true, maxRetriesPerRequest: null });
    const shared = new SharedCircuits(state, commands, subscriber, location.prefix, redactedUrl(location.url), logger);
    await shared.start();
    return shared;
  }

  /** Whether decisions are being shared right now (for readiness). */
  get connected(): boolean {
    return this.commands.status === 'ready' && this.subscriber.status === 'ready';
  }

  /** Throws while Redis is unreachable (readiness reports it; the policy is to fail open). */
  async check(): Promise<void> {
    if (!this.connected) throw new Error(`shared routing state: Redis at ${this.shownUrl} is ${this.commands.status}; circuits are per replica until it is back`);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.claims.values()) clearTimeout(timer);
    this.claims.clear();
    for (const client of [this.subscriber, this.commands]) {
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    }
  }

  private async start(): Promise<void> {
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', (error: Error) => this.outage(error.message));
    }
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    });
    // After every (re)connect: the circuits opened meanwhile are in the keys.
    this.commands.on('ready', () => {
      if (this.outageLogged) this.logger.info('routing: shared circuit state reachable again', { url: this.shownUrl });
      this.outageLogged = false;
      void this.loadOpen();
    });
    this.state.health.watchBreakers((kind, id, breaker) => this.watch(kind, id, breaker));
    this.commands.connect().catch(() => undefined);
    this.subscriber.connect().catch(() => undefined);
    const subscribed = this.subscriber.subscribe(this.channel);
    subscribed.catch(() => undefined);
    const ready = (client: Redis) => (client.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => client.once('ready', () => resolve())));
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      Promise.all([ready(this.commands), subscribed]).then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CONNECT_WAIT_MS))),
    ]).catch(() => false);
    clearTimeout(timer);
    if (waited) await this.loadOpen();
    else this.outage('not reachable at start-up');
  }

  private outage(reason: string): void {
    if (this.closed || this.outageLogged) return;
    this.outageLogged = true;
    this.logger.warn('routing: shared circuit state unreachable; circuits are per replica until it is back', { url: this.shownUrl, error: reason });
  }

  private watch(kind: Kind, id: string, breaker: CircuitBreaker): void {
    breaker.onChange = (change) => this.publish(kind, id, breaker, change);
    const heard = this.pending.get(`${kind}:${id}`);
    if (heard !== undefined) {
      this.pending.delete(`${kind}:${id}`);
      if (heard.until > this.state.environment.now()) this.holdOpen(kind, id, breaker, heard.until, heard.reason);
    }
  }

  private publish(kind: Kind, id: string, breaker: CircuitBreaker, change: BreakerChange): void {
    if (this.closed) return;
    const name = `${kind}:${id}`;
    const now = this.state.environment.now();
    let message: CircuitMessage;
    const batch = this.commands.multi();
    batch.del(`${this.prefix}probe:${name}`);
    if (change.state === 'open') {
      const ms = Math.max(1, Math.ceil(change.until - now));
      message = { o: this.origin, k: kind, i: id, s: 'open', ms, r: change.reason };
      batch.set(`${this.prefix}open:${name}`, change.reason, 'PX', ms);
      this.scheduleClaim(kind, id, breaker, change.until);
    } else {
      message = { o: this.origin, k: kind, i: id, s: 'closed' };
      batch.del(`${this.prefix}open:${name}`);
      this.cancelClaim(name);
    }
    batch.publish(this.channel, JSON.stringify(message));
    // Unreachable Redis: this replica's decision stays local (fail open); the others decide for themselves.
    batch.exec().catch(() => undefined);
  }

  private receive(text: string): void {
    let message: CircuitMessage;
    try {
      message = JSON.parse(text) as CircuitMessage;
    } catch {
      return;
    }
    if (message.o === this.origin || (message.k !== 'target' && message.k !== 'key') || typeof message.i !== 'string') return;
    const breaker = this.breaker(message.k, message.i);
    const now = this.state.environment.now();
    if (message.s === 'open' && typeof message.ms === 'number' && message.ms > 0) {
      const reason = `${String(message.r ?? 'opened')} (on another replica)`;
      if (breaker === undefined) return this.remember(message.k, message.i, now + message.ms, reason);
      this.holdOpen(message.k, message.i, breaker, now + message.ms, reason);
    } else if (message.s === 'closed') {
      this.pending.delete(`${message.k}:${message.i}`);
      if (breaker === undefined) return;
      this.cancelClaim(`${message.k}:${message.i}`);
      breaker.closeFromElsewhere();
    }
  }

  /** Reads every open circuit from the keys (after a connect or reconnect). */
  private async loadOpen(): Promise<void> {
    try {
      const pattern = `${this.prefix}open:*`;
      let cursor = '0';
      do {
        const [next, keys] = await this.commands.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        for (const key of keys) {
          const [[, reason], [, ttl]] = (await this.commands.multi().get(key).pttl(key).exec()) as [[unknown, string | null], [unknown, number]];
          if (reason === null || ttl <= 0) continue;
          const name = key.slice(this.prefix.length + 'open:'.length);
          const colon = name.indexOf(':');
          const kind = name.slice(0, colon) as Kind;
          const id = name.slice(colon + 1);
          const until = this.state.environment.now() + ttl;
          const breaker = this.breaker(kind, id);
          if (breaker === undefined) this.remember(kind, id, until, `${reason} (on another replica)`);
          else this.holdOpen(kind, id, breaker, until, `${reason} (on another replica)`);
        }
      } while (cursor !== '0');
    } catch {
      // Lost again: the next 'ready' reads them.
    }
  }

  private breaker(kind: Kind, id: string): CircuitBreaker | undefined {
    return kind === 'target' ? this.state.health.targetBreaker(id) : this.state.health.keyBreaker(id);
  }

  private remember(kind: Kind, id: string, until: number, reason: string): void {
    if (this.pending.size >= 10_000) this.pending.clear();
    this.pending.set(`${kind}:${id}`, { until, reason });
  }

  private holdOpen(kind: Kind, id: string, breaker: CircuitBreaker, until: number, reason: string): void {
    breaker.holdOpen(until, reason);
    const openUntil = breaker.openUntilMs;
    if (openUntil !== undefined) this.scheduleClaim(kind, id, breaker, openUntil);
  }

  /**
   * At `at` (by default shortly before `until`), claims the half-open probe for this replica, or
   * holds the circuit open while another one has it. Skipped when the circuit changed meanwhile.
   */
  private scheduleClaim(kind: Kind, id: string, breaker: CircuitBreaker, until: number, at = until - CLAIM_EARLY_MS): void {
    const name = `${kind}:${id}`;
    this.cancelClaim(name);
    const delay = Math.max(0, at - this.state.environment.now());
    const timer = setTimeout(() => {
      this.claims.delete(name);
      if (breaker.openUntilMs !== until) return;
      void this.claim(kind, id, breaker, until);
    }, delay);
    timer.unref();
    this.claims.set(name, timer);
  }

  private async claim(kind: Kind, id: string, breaker: CircuitBreaker, until: number): Promise<void> {
    const key = `${this.prefix}probe:${kind}:${id}`;
    const leaseMs = this.state.config.circuit_breaker.open_ms;
    try {
      const won = await this.commands.set(key, this.origin, 'PX', leaseMs, 'NX');
      if (breaker.openUntilMs !== until) return;
      const now = this.state.environment.now();
      if (won === 'OK') {
        // This replica probes. Without traffic here its lease runs out: then everyone claims again.
        this.scheduleClaim(kind, id, breaker, until, now + leaseMs + LEASE_SLACK_MS);
        return;
      }
      const left = await this.commands.pttl(key);
      if (breaker.openUntilMs !== until) return;
      const heldUntil = this.state.environment.now() + Math.max(0, left) + LEASE_SLACK_MS;
      breaker.holdOpen(heldUntil, 'half-open probe by another replica');
      if (breaker.openUntilMs === heldUntil) this.scheduleClaim(kind, id, breaker, heldUntil, heldUntil);
    } catch {
      // Redis unreachable: this replica probes on its own (fail open).
    }
  }

  private cancelClaim(name: string): void {
    const timer = this.claims.get(name);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.claims.delete(name);
  }
}

function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'the configured URL';
  }
}

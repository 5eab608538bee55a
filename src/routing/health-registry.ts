import type { RoutingConfig } from '../config/routing-schema.js';
import type { ProviderKey } from '../providers/provider.js';
import type { Target } from '../pipeline/target.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { PeakEwma } from './peak-ewma.js';

/** Shared state of one target (`provider/model`) across requests. */
export interface TargetHealth {
  readonly ref: string;
  readonly provider: string;
  readonly model: string;
  readonly breaker: CircuitBreaker;
  readonly latency: PeakEwma;
  inFlight: number;
}

/** Shared state of one provider key across requests and models. */
export interface KeyHealth {
  readonly provider: string;
  readonly keyId: string;
  readonly breaker: CircuitBreaker;
  inFlight: number;
}

/** Every target's and key's health, created on first sight and kept for the gateway's lifetime. */
export class HealthRegistry {
  private readonly targets = new Map<string, TargetHealth>();
  /** Keyed by provider name, then key id. */
  private readonly keys = new Map<string, Map<string, KeyHealth>>();
  /**
   * The same by key object, for the hot path: one identity lookup instead of two by name. Cleared on
   * reload, which builds new key objects (their health is found again by name and id).
   */
  private readonly keysByObject = new Map<ProviderKey, KeyHealth>();

  /** Called with every breaker created (shared routing state wires it to the other replicas). */
  private watcher: ((kind: 'target' | 'key', id: string, breaker: CircuitBreaker) => void) | undefined;

  constructor(private config: RoutingConfig) {}

  /** Calls `watcher` for every breaker now and for each one created later. */
  watchBreakers(watcher: (kind: 'target' | 'key', id: string, breaker: CircuitBreaker) => void): void {
    this.watcher = watcher;
    for (const health of this.targets.values()) watcher('target', health.ref, health.breaker);
    for (const health of this.allKeys()) watcher('key', keyName(health.provider, health.keyId), health.breaker);
  }

  /** A target's breaker by `provider/model`, when that target was seen. */
  targetBreaker(ref: string): CircuitBreaker | undefined {
    return this.targets.get(ref)?.breaker;
  }

  /** A key's breaker by its keyName, when that key was seen. */
  keyBreaker(name: string): CircuitBreaker | undefined {
    const split = name.indexOf(KEY_NAME_SEPARATOR);
    return this.keys.get(name.slice(0, split))?.get(name.slice(split + 1))?.breaker;
  }

  /** New thresholds on a config reload; every target's and key's state is kept. */
  reconfigure(config: RoutingConfig): void {
    this.config = config;
    for (const health of this.targets.values()) health.breaker.reconfigure(config.circuit_breaker);
    for (const health of this.allKeys()) health.breaker.reconfigure(config.circuit_breaker);
    this.keysByObject.clear();
  }

  target(target: Target): TargetHealth {
    let health = this.targets.get(target.ref);
    if (health === undefined) {
      health = { ref: target.ref, provider: target.provider.name, model: target.model, breaker: new CircuitBreaker(this.config.circuit_breaker), latency: new PeakEwma(this.config.latency_decay_ms), inFlight: 0 };
      this.targets.set(target.ref, health);
      this.watcher?.('target', health.ref, health.breaker);
    }
    return health;
  }

  key(provider: string, key: ProviderKey): KeyHealth {
    const known = this.keysByObject.get(key);
    if (known !== undefined && known.provider === provider) return known;
    let byId = this.keys.get(provider);
    if (byId === undefined) this.keys.set(provider, (byId = new Map()));
    let health = byId.get(key.id);
    if (health === undefined) {
      health = { provider, keyId: key.id, breaker: new CircuitBreaker(this.config.circuit_breaker), inFlight: 0 };
      byId.set(key.id, health);
      this.watcher?.('key', keyName(provider, key.id), health.breaker);
    }
    // Keys come from the config, so the cache stays small; the cap only guards against a caller that
    // builds key objects per request.
    if (this.keysByObject.size >= 10_000) this.keysByObject.clear();
    this.keysByObject.set(key, health);
    return health;
  }

  allTargets(): IterableIterator<TargetHealth> {
    return this.targets.values();
  }

  *allKeys(): Iterable<KeyHealth> {
    for (const byId of this.keys.values()) yield* byId.values();
  }
}

const KEY_NAME_SEPARATOR = '\u001f';

/** How a provider key is named across replicas: provider name and key id, split by a control character neither holds. */
export function keyName(provider: string, keyId: string): string {
  return `${provider}${KEY_NAME_SEPARATOR}${keyId}`;
}

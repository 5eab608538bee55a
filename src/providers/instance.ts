import type { ModelPatterns } from '../lib/model-patterns.js';
import type { UpstreamChatCodec } from '../codecs/codec.js';
import type { ProviderAdapter, ProviderKey, ProviderSettings } from './provider.js';

/** One configured provider (`providers.<name>`), built once at start-up. */
export interface ProviderInstance {
  readonly name: string;
  readonly adapter: ProviderAdapter;
  readonly settings: ProviderSettings;
  readonly keys: readonly ProviderKey[];
  /**
   * Models this instance serves (`providers.<name>.models`); undefined = any model asked for by
   * `name/model`. Exact entries are also reachable by their bare name; wildcard entries only as `name/model`.
   */
  readonly models: ModelPatterns | undefined;
  /** Retries of the same target on a retryable failure (`max_retries`). */
  readonly maxRetries: number;
  /** Milliseconds to wait for the upstream's response headers and between body chunks (`timeout_ms`). */
  readonly timeoutMs: number;
}

/** True when `key` may serve `model` (its `models` list, if any, matches it). */
export function keyServes(key: ProviderKey, model: string): boolean {
  return key.models === undefined || key.models.matches(model);
}

/**
 * Weighted random choice among the keys allowed to serve `model`. Returns undefined when the
 * provider is keyless; throws nothing: the caller checks `keysFor(model).length` when it needs a key.
 */
export function pickKey(instance: ProviderInstance, model: string, random: () => number = Math.random): ProviderKey | undefined {
  const keys = instance.keys;
  if (keys.length === 0) return undefined;
  if (keys.length === 1) return keyServes(keys[0]!, model) ? keys[0] : undefined;
  let total = 0;
  for (const key of keys) if (keyServes(key, model)) total += key.weight;
  if (total <= 0) return undefined;
  let point = random() * total;
  for (const key of keys) {
    if (!keyServes(key, model)) continue;
    point -= key.weight;
    if (point < 0) return key;
  }
  for (let index = keys.length - 1; index >= 0; index--) {
    const key = keys[index]!;
    if (keyServes(key, model)) return key;
  }
  return undefined;
}

/** True when the instance's `models` list (if any) names `model`, whatever its keys allow. */
export function listsModel(instance: ProviderInstance, model: string): boolean {
  return instance.models === undefined || instance.models.matches(model);
}

/** True when some key (or no key at all, for keyless providers) may serve `model`. */
export function hasKeyFor(instance: ProviderInstance, model: string): boolean {
  if (instance.keys.length === 0) return !instance.adapter.requiresKey;
  return instance.keys.some((key) => keyServes(key, model));
}

/** True when the instance lists `model` and some key (or no key at all, for keyless providers) can serve it. */
export function canServe(instance: ProviderInstance, model: string): boolean {
  return listsModel(instance, model) && hasKeyFor(instance, model);
}

/** The codec `model` is served in by this instance: the adapter's `chatCodecFor` when it has one, else its `chatCodec`. */
export function chatCodecOf(instance: ProviderInstance, model: string): UpstreamChatCodec {
  const adapter = instance.adapter;
  return adapter.chatCodecFor === undefined ? adapter.chatCodec : adapter.chatCodecFor(model, instance.settings.options);
}

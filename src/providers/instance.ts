import type { ProviderAdapter, ProviderKey, ProviderSettings } from './provider.js';

/** One configured provider (`providers.<name>`), built once at start-up. */
export interface ProviderInstance {
  readonly name: string;
  readonly adapter: ProviderAdapter;
  readonly settings: ProviderSettings;
  readonly keys: readonly ProviderKey[];
  /** Models this instance serves (`providers.<name>.models`); undefined = any model asked for by `name/model`. */
  readonly models: ReadonlySet<string> | undefined;
  /** Retries of the same target on a retryable failure (`max_retries`). */
  readonly maxRetries: number;
  /** Milliseconds to wait for the upstream's response headers and between body chunks (`timeout_ms`). */
  readonly timeoutMs: number;
}

/**
 * Weighted random choice among the keys allowed to serve `model`. Returns undefined when the
 * provider is keyless; throws nothing: the caller checks `keysFor(model).length` when it needs a key.
 */
export function pickKey(instance: ProviderInstance, model: string, random: () => number = Math.random): ProviderKey | undefined {
  const keys = instance.keys;
  if (keys.length === 0) return undefined;
  if (keys.length === 1) return keys[0]!.models === undefined || keys[0]!.models.has(model) ? keys[0] : undefined;
  let total = 0;
  for (const key of keys) if (key.models === undefined || key.models.has(model)) total += key.weight;
  if (total <= 0) return undefined;
  let point = random() * total;
  for (const key of keys) {
    if (key.models !== undefined && !key.models.has(model)) continue;
    point -= key.weight;
    if (point < 0) return key;
  }
  for (let index = keys.length - 1; index >= 0; index--) {
    const key = keys[index]!;
    if (key.models === undefined || key.models.has(model)) return key;
  }
  return undefined;
}

/** True when some key (or no key at all, for keyless providers) can serve `model`. */
export function canServe(instance: ProviderInstance, model: string): boolean {
  if (instance.models !== undefined && !instance.models.has(model)) return false;
  if (instance.keys.length === 0) return !instance.adapter.requiresKey;
  return instance.keys.some((key) => key.models === undefined || key.models.has(model));
}

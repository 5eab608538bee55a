import { keyServes } from '../providers/instance.js';
import type { ProviderKey } from '../providers/provider.js';
import type { Target } from '../pipeline/target.js';
import type { HealthRegistry } from './health-registry.js';

/**
 * A key of `target`'s provider that may serve its model, is not cooling down or rate-limited, and
 * is not in `avoid` (keys that already failed in this request); weighted random among those.
 * Returns undefined when none is usable. `null` means the provider needs no key.
 */
export function chooseKey(target: Target, health: HealthRegistry, now: number, random: () => number, avoid: ReadonlySet<string> | undefined): ProviderKey | undefined | null {
  const keys = target.provider.keys;
  if (keys.length === 0) return null;
  let total = 0;
  let usable = 0;
  let only: ProviderKey | undefined;
  for (const key of keys) {
    if (!isUsable(key, target, health, now, avoid)) continue;
    total += key.weight;
    usable++;
    only = key;
  }
  if (usable <= 1) return only;
  if (total <= 0) return only;
  let point = random() * total;
  for (const key of keys) {
    if (!isUsable(key, target, health, now, avoid)) continue;
    point -= key.weight;
    if (point < 0) return key;
  }
  return only;
}

/** Whether `target` has a key it could use now (or needs none): what makes it eligible, without choosing. */
export function hasUsableKey(target: Target, health: HealthRegistry, now: number): boolean {
  const keys = target.provider.keys;
  if (keys.length === 0) return true;
  for (const key of keys) if (isUsable(key, target, health, now, undefined)) return true;
  return false;
}

function isUsable(key: ProviderKey, target: Target, health: HealthRegistry, now: number, avoid: ReadonlySet<string> | undefined): boolean {
  if (!keyServes(key, target.model)) return false;
  if (avoid !== undefined && avoid.has(key.id)) return false;
  return health.key(target.provider.name, key).breaker.allows(now);
}

import type { IncomingHttpHeaders } from 'node:http';
import type { CacheConfig, CacheOverride } from '../config/cache-schema.js';
import type { Principal } from '../pipeline/context.js';
import { GatewayError } from '../spec/index.js';

export type CacheMode = 'exact' | 'semantic';
export type NamespaceScope = 'key' | 'team' | 'customer' | 'global';

/** The cache settings of one virtual key: the top-level `cache` with the key's own `cache` over it. */
export interface KeySettings {
  readonly enabled: boolean;
  readonly mode: CacheMode;
  readonly ttlSeconds: number;
  readonly threshold: number;
  readonly namespace: NamespaceScope;
  readonly allowNamespaceHeader: boolean;
}

/** What one request asks of the cache, with its headers applied. */
export interface RequestSettings {
  readonly mode: CacheMode;
  readonly ttlMs: number;
  readonly threshold: number;
  readonly namespace: string;
  readonly store: boolean;
}

export function keySettings(config: CacheConfig, override: CacheOverride | undefined): KeySettings {
  return {
    enabled: override?.enabled ?? config.enabled,
    mode: override?.mode ?? config.mode,
    ttlSeconds: override?.ttl_seconds ?? config.ttl_seconds,
    threshold: override?.threshold ?? config.threshold,
    namespace: override?.namespace ?? config.namespace,
    allowNamespaceHeader: override?.allow_namespace_header ?? config.allow_namespace_header,
  };
}

/** Longest TTL a request may ask for (30 days). */
const MAX_TTL_SECONDS = 30 * 24 * 3600;
const SUB_NAMESPACE = /^[A-Za-z0-9_.:@-]{1,128}$/;

/**
 * The request's settings, or `off` when `x-tollgate-cache: off` says to skip the cache. Headers
 * can narrow what the key allows, never widen it: `semantic` on a key in exact mode stays exact,
 * and `x-tollgate-cache-namespace` names a sub-namespace inside the key's own namespace. A malformed
 * header is a 400 naming it.
 */
export function requestSettings(settings: KeySettings, principal: Principal | undefined, headers: IncomingHttpHeaders): RequestSettings | 'off' {
  const asked = header(headers, 'x-tollgate-cache');
  let mode = settings.mode;
  if (asked !== undefined) {
    const word = asked.trim().toLowerCase();
    if (word === 'off') return 'off';
    if (word === 'exact') mode = 'exact';
    else if (word !== 'semantic') throw invalid('x-tollgate-cache', 'off, exact or semantic');
  }
  let ttlSeconds = settings.ttlSeconds;
  const ttl = header(headers, 'x-tollgate-cache-ttl');
  if (ttl !== undefined) {
    const seconds = Number(ttl.trim());
    if (!/^\d+$/.test(ttl.trim()) || seconds <= 0 || seconds > MAX_TTL_SECONDS) throw invalid('x-tollgate-cache-ttl', `whole seconds from 1 to ${MAX_TTL_SECONDS}`);
    ttlSeconds = seconds;
  }
  let threshold = settings.threshold;
  const similarity = header(headers, 'x-tollgate-cache-threshold');
  if (similarity !== undefined) {
    const value = Number(similarity.trim());
    if (similarity.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) throw invalid('x-tollgate-cache-threshold', 'a number from 0 to 1');
    threshold = value;
  }
  let namespace = baseNamespace(settings.namespace, principal);
  const sub = header(headers, 'x-tollgate-cache-namespace');
  if (sub !== undefined) {
    if (!settings.allowNamespaceHeader) throw new GatewayError('invalid_request', 'This key may not choose a cache namespace (`x-tollgate-cache-namespace`): set `cache.allow_namespace_header: true` on it.', { param: 'x-tollgate-cache-namespace' });
    if (!SUB_NAMESPACE.test(sub.trim())) throw invalid('x-tollgate-cache-namespace', 'letters, digits and `_ . : @ -` (1–128 characters)');
    namespace = `${namespace}/${sub.trim()}`;
  }
  const noStore = header(headers, 'x-tollgate-cache-no-store');
  return { mode, ttlMs: ttlSeconds * 1000, threshold, namespace, store: noStore === undefined || noStore.trim().toLowerCase() !== 'true' };
}

/** The namespace a key's entries live in; the narrower one when the key has no team or customer. */
export function baseNamespace(scope: NamespaceScope, principal: Principal | undefined): string {
  if (principal === undefined) return 'anonymous';
  if (scope === 'global') return 'global';
  if (scope === 'customer' && principal.customerId !== undefined) return `customer:${principal.customerId}`;
  if ((scope === 'team' || scope === 'customer') && principal.teamId !== undefined) return `team:${principal.teamId}`;
  return `key:${principal.keyId}`;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function invalid(name: string, expected: string): GatewayError {
  return new GatewayError('invalid_request', `\`${name}\` must be ${expected}.`, { param: name });
}

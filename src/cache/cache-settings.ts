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
  /** Whether entries are shared by the dialects a request can come in (else each dialect has its own). */
  readonly shareDialects: boolean;
  /** Whether a whole request waits for an identical one in flight (see CacheStage, request coalescing). */
  readonly coalesce: boolean;
}

/** What one request asks of the cache, with its headers applied. */
export interface RequestSettings {
  readonly mode: CacheMode;
  readonly ttlMs: number;
  readonly threshold: number;
  readonly namespace: string;
  readonly store: boolean;
  /** Whether the request may wait for an identical one in flight (KeySettings.coalesce). */
  readonly coalesce: boolean;
}

/** The top-level settings. */
export function globalSettings(config: CacheConfig): KeySettings {
  return { enabled: config.enabled, mode: config.mode, ttlSeconds: config.ttl_seconds, threshold: config.threshold, namespace: config.namespace, allowNamespaceHeader: config.allow_namespace_header, shareDialects: config.share_across_dialects, coalesce: config.coalesce };
}

/** `base` with what `override` (a route's or a key's `cache`) sets over it. */
export function overlay(base: KeySettings, override: CacheOverride | undefined): KeySettings {
  if (override === undefined) return base;
  return {
    enabled: override.enabled ?? base.enabled,
    mode: override.mode ?? base.mode,
    ttlSeconds: override.ttl_seconds ?? base.ttlSeconds,
    threshold: override.threshold ?? base.threshold,
    namespace: override.namespace ?? base.namespace,
    allowNamespaceHeader: override.allow_namespace_header ?? base.allowNamespaceHeader,
    shareDialects: override.share_across_dialects ?? base.shareDialects,
    coalesce: override.coalesce ?? base.coalesce,
  };
}

/**
 * The settings of a request: the top level, then its route's `cache`, then its key's `cache` (from
 * the config or the admin API), each over the one before; the request's headers then narrow them
 * (requestSettings). Built once per route and per key's settings object, then looked up.
 */
export class SettingsTable {
  private readonly defaults: KeySettings;
  /** Whether the top level or a route enables the cache (a key's own settings aside). */
  readonly anyEnabled: boolean;
  private readonly perRoute = new Map<string, KeySettings>();
  /** Per key settings object (a key record's `cache`; a new object when the key changes), per base (top level or a route's). */
  private readonly perKey = new WeakMap<CacheOverride, Map<KeySettings, KeySettings>>();

  constructor(config: CacheConfig, routes: Readonly<Record<string, { cache?: CacheOverride | undefined }>>) {
    this.defaults = globalSettings(config);
    for (const [name, route] of Object.entries(routes)) if (route.cache !== undefined) this.perRoute.set(name, overlay(this.defaults, route.cache));
    this.anyEnabled = this.defaults.enabled || [...this.perRoute.values()].some((settings) => settings.enabled);
  }

  of(key: CacheOverride | undefined, route: string | undefined): KeySettings {
    const base = route === undefined ? this.defaults : (this.perRoute.get(route) ?? this.defaults);
    if (key === undefined) return base;
    let byBase = this.perKey.get(key);
    if (byBase === undefined) {
      byBase = new Map();
      this.perKey.set(key, byBase);
    }
    let settings = byBase.get(base);
    if (settings === undefined) {
      settings = overlay(base, key);
      byBase.set(base, settings);
    }
    return settings;
  }
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
  return { mode, ttlMs: ttlSeconds * 1000, threshold, namespace, store: noStore === undefined || noStore.trim().toLowerCase() !== 'true', coalesce: settings.coalesce };
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

/**
 * The route part of a request's scope (the exact key, the semantic filter, the raw index): what its
 * model routes to and, unless the settings share entries across dialects, the dialect the caller
 * speaks (the surface and operation it came by: `openai/chat`, `anthropic/chat`, `openai/completions`…).
 */
export function scopeRoute(identity: string, settings: KeySettings, surface: string, operation: string): string {
  return settings.shareDialects ? identity : `${identity} via ${surface}/${operation}`;
}

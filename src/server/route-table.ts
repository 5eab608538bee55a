import type { HttpHandler, HttpMethod, HttpRoute, PathPrefix } from '../http/http-route.js';

export type RouteMatch =
  | { kind: 'found'; route: HttpRoute; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

interface PatternRoute {
  route: HttpRoute;
  segments: string[];
}

/**
 * Exact paths are one Map lookup; parameterised paths (admin API) are matched segment by segment.
 * Built once at start-up.
 */
export class RouteTable {
  private readonly exact = new Map<string, Map<string, HttpRoute>>();
  private readonly patterns: PatternRoute[] = [];
  /** Longest first, so the most specific prefix wins. */
  private readonly prefixes: { under: string; prefix: PathPrefix }[] = [];

  add(route: HttpRoute): this {
    if (route.path.includes('/:') || route.path.includes('/*')) {
      this.patterns.push({ route, segments: route.path.split('/') });
      return this;
    }
    let byMethod = this.exact.get(route.path);
    if (byMethod === undefined) this.exact.set(route.path, (byMethod = new Map()));
    if (byMethod.has(route.method)) throw new Error(`duplicate route ${route.method} ${route.path}`);
    byMethod.set(route.method, route);
    return this;
  }

  addAll(routes: Iterable<HttpRoute>): this {
    for (const route of routes) this.add(route);
    return this;
  }

  /** Declares what paths under `prefix.prefix` share (see PathPrefix), routes or not. */
  addPrefix(prefix: PathPrefix): this {
    const path = prefix.prefix.endsWith('/') ? prefix.prefix.slice(0, -1) : prefix.prefix;
    if (!path.startsWith('/') || path.length < 2) throw new Error(`a path prefix starts with / and names a segment: ${prefix.prefix}`);
    if (this.prefixes.some((entry) => entry.prefix.prefix === path)) throw new Error(`duplicate path prefix ${path}`);
    this.prefixes.push({ under: `${path}/`, prefix: { ...prefix, prefix: path } });
    this.prefixes.sort((a, b) => b.under.length - a.under.length);
    return this;
  }

  /** The most specific prefix `path` falls under, if any. Looked up on error paths only. */
  prefixOf(path: string): PathPrefix | undefined {
    for (const { under, prefix } of this.prefixes) if (path.startsWith(under) || path === prefix.prefix) return prefix;
    return undefined;
  }

  match(method: string, path: string): RouteMatch {
    const normalized = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const byMethod = this.exact.get(normalized);
    if (byMethod !== undefined) {
      const route = byMethod.get(method);
      if (route !== undefined) return { kind: 'found', route, params: {} };
      return { kind: 'method-not-allowed', allowed: [...byMethod.keys()] as HttpMethod[] };
    }
    if (this.patterns.length === 0) return { kind: 'not-found' };
    const segments = normalized.split('/');
    const allowed: HttpMethod[] = [];
    for (const pattern of this.patterns) {
      const params = matchSegments(pattern.segments, segments);
      if (params === undefined) continue;
      if (pattern.route.method === method) return { kind: 'found', route: pattern.route, params };
      allowed.push(pattern.route.method);
    }
    return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
  }
}

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | undefined {
  const rest = pattern[pattern.length - 1]!.startsWith('*');
  if (rest ? segments.length < pattern.length : pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < pattern.length; index++) {
    const expected = pattern[index]!;
    const actual = segments[index]!;
    if (rest && index === pattern.length - 1) {
      const tail = segments.slice(index).join('/');
      if (tail.length === 0) return undefined;
      try {
        params[expected.slice(1)] = decodeURIComponent(tail);
      } catch {
        return undefined;
      }
      return params;
    }
    if (expected.startsWith(':')) {
      if (actual.length === 0) return undefined;
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (expected !== actual) return undefined;
  }
  return params;
}

export type { HttpHandler };

import type { RequestContext } from '../pipeline/context.js';
import type { RawChatCall } from '../pipeline/stages.js';
import type { ChatRequest } from '../spec/index.js';
import { Lru } from './lru.js';

/** Bodies remembered at most, and the memory they take at most: each body's key and its decoded request, counted as twice the key's length. */
const MAX_BODIES = 10_000;
const MAX_BYTES = 64 * 1024 * 1024;

/** What a body seen before decodes to, and the exact key its answer was stored under, with the scope that key was made in. */
export interface RawRoute {
  /** The request the body decodes to (shared by every hit: read, never changed). */
  readonly request: ChatRequest;
  /** The entry's exact key (request-key.ts). */
  readonly id: string;
  /** The namespace and the route part of the scope (scopeRoute) the key holds: a hit needs the request's own to be these now. */
  readonly namespace: string;
  readonly route: string;
  /** The body's length in bytes (set by RawIndex.set). */
  readonly bodyBytes?: number;
}

/**
 * The exact layer's first index: chat bodies seen before, byte for byte, by endpoint and caller,
 * mapped to the exact key their answer is stored under (remembered when the body first hits that
 * key: most stored answers are never asked for again). A body sent again is then answered without
 * being parsed, decoded or keyed. It holds no answers: the store is still asked for the entry, so
 * expiry, deletion and clearing apply as they do to the exact key. The key a body is remembered by
 * is its bytes exactly (as a one-byte string, so equal keys are equal bytes: no hash to collide),
 * after the endpoint, the caller's virtual key and the sub-namespace header, so callers sharing a
 * namespace each learn their own bodies; whatever else the exact key holds that is not in the body
 * (the namespace, the route the model resolves to) is checked against the request's own at each hit.
 */
export class RawIndex {
  private readonly routes: Lru<string, RawRoute>;
  private bytes = 0;
  /** How many remembered bodies have each length in bytes: a body of a length none has is not looked up (no key to make and hash). */
  private readonly lengths = new Map<number, number>();

  constructor(maxBodies = MAX_BODIES, private readonly maxBytes = MAX_BYTES) {
    this.routes = new Lru(maxBodies, (key, route) => this.forget(key, route));
  }

  /** Whether a body of this many bytes may be remembered: false for most new bodies, which then cost a lookup of one number. */
  mayHold(bodyBytes: number): boolean {
    return this.lengths.has(bodyBytes);
  }

  /** The key of a body sent by the request's caller. */
  static keyOf(context: RequestContext, raw: RawChatCall): string {
    const sub = context.headers['x-tollgate-cache-namespace'];
    return `${raw.endpoint}\n${context.principal?.keyId ?? ''}\n${typeof sub === 'string' ? sub : (sub?.join(',') ?? '')}\n${raw.body.toString('latin1')}`;
  }

  get(key: string): RawRoute | undefined {
    return this.routes.get(key);
  }

  /** Remembers `route` under `key`, the key of a body of `bodyBytes` bytes. */
  set(key: string, bodyBytes: number, route: RawRoute): void {
    if (2 * key.length > this.maxBytes / 4) return;
    const known = this.routes.peek(key);
    if (known !== undefined) this.forget(key, known);
    this.bytes += 2 * key.length;
    this.lengths.set(bodyBytes, (this.lengths.get(bodyBytes) ?? 0) + 1);
    this.routes.set(key, { ...route, bodyBytes });
    while (this.bytes > this.maxBytes) {
      const oldest = this.routes.leastRecent();
      if (oldest === undefined) break;
      this.routes.delete(oldest[0]);
      this.forget(oldest[0], oldest[1]);
    }
  }

  private forget(key: string, route: RawRoute): void {
    this.bytes -= 2 * key.length;
    const count = this.lengths.get(route.bodyBytes!)!;
    if (count <= 1) this.lengths.delete(route.bodyBytes!);
    else this.lengths.set(route.bodyBytes!, count - 1);
  }

  get size(): number {
    return this.routes.size;
  }
}

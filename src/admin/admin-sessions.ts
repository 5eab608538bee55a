import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The console's session cookie: HTTP-only, SameSite=Strict, a random id naming a session held here. */
export const SESSION_COOKIE = 'tollgate_session';
/** State-changing admin calls made with the session cookie carry the session's CSRF token in this header. */
export const CSRF_HEADER = 'x-tollgate-csrf';
/** A session lasts this long from login (absolute, not sliding). */
export const SESSION_TTL_MS = 8 * 3_600_000;
/** Past this many live sessions the oldest is dropped (bounded memory whatever logins arrive). */
const MAX_SESSIONS = 10_000;

export interface AdminSession {
  readonly csrf: string;
  readonly expiresAt: number;
  /**
   * What the session was opened with, hashed: the admin token's SHA-256, or for an account
   * `accountBinding(name, password_hash)`. A session only opens the gateway whose token made it,
   * and an account's ends when its password (or the account) changes.
   */
  readonly tokenDigest: Buffer;
  /** The account that logged in; undefined for the admin token. */
  readonly user?: string;
}

export function digestOf(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** What an account's session is bound to: its name and its current password hash. */
export function accountBinding(name: string, passwordHash: string): Buffer {
  return digestOf(`account\u0000${name}\u0000${passwordHash}`);
}

/**
 * Console sessions, in memory (one process; a restart logs everyone out). Ids are 256 random bits;
 * the map is keyed by the id's SHA-256 so a timing side channel on the lookup reveals nothing usable.
 */
export class AdminSessions {
  private readonly sessions = new Map<string, AdminSession>();

  constructor(private readonly now: () => number = Date.now) {}

  open(tokenDigest: Buffer, user?: string): { id: string; session: AdminSession } {
    this.prune();
    const id = randomBytes(32).toString('base64url');
    const session: AdminSession = { csrf: randomBytes(32).toString('base64url'), expiresAt: this.now() + SESSION_TTL_MS, tokenDigest, ...(user === undefined ? {} : { user }) };
    this.sessions.set(keyOf(id), session);
    return { id, session };
  }

  find(id: string | undefined): AdminSession | undefined {
    if (id === undefined || id.length === 0 || id.length > 128) return undefined;
    const key = keyOf(id);
    const session = this.sessions.get(key);
    if (session === undefined) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  close(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(keyOf(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(key);
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
  }
}

function keyOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** The process's sessions: the console's login route opens them, every admin guard reads them. */
export const adminSessions = new AdminSessions();

/** The session cookie's value in a Cookie header, if any. */
export function sessionIdFrom(headers: IncomingHttpHeaders): string | undefined {
  const cookie = headers.cookie;
  if (typeof cookie !== 'string') return undefined;
  for (const part of cookie.split(';')) {
    const at = part.indexOf('=');
    if (at === -1) continue;
    if (part.slice(0, at).trim() === SESSION_COOKIE) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Constant-time equality of two texts (hashed first, so lengths do not leak). */
export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(digestOf(presented), digestOf(expected));
}

/** `Origin` names the same host as `Host` (or is absent, as on same-origin GETs and non-browser clients). */
export function sameOrigin(headers: IncomingHttpHeaders): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  const host = headers.host ?? headers[':authority'];
  try {
    return typeof host === 'string' && new URL(origin).host === host;
  } catch {
    return false;
  }
}

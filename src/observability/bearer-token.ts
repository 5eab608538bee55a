import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Checks `Authorization: Bearer <token>` in constant time; false when no token is configured. */
export function bearerChecker(token: string | undefined): (headers: IncomingHttpHeaders) => boolean {
  const expected = token === undefined ? undefined : digest(token);
  return (headers) => {
    if (expected === undefined) return false;
    const header = headers.authorization;
    const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    return presented !== undefined && timingSafeEqual(digest(presented), expected);
  };
}

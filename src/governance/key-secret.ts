import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Prefix of generated virtual keys, so that a leaked one is recognisable (and scannable). */
export const KEY_PREFIX = 'tg-';

/** The only form in which a virtual key is kept: SHA-256, hex. */
export function hashKey(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** A new secret: `tg-` and 32 random bytes in base64url (256 bits). */
export function generateKeySecret(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * The virtual key a caller presented: `x-tollgate-key` first (so a client may also send a provider
 * header for pass-through), then `Authorization: Bearer`, `x-api-key` (Anthropic SDKs) and
 * `x-goog-api-key` (Gemini SDKs).
 */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const explicit = single(headers['x-tollgate-key']);
  if (explicit) return explicit;
  const authorization = single(headers.authorization);
  if (authorization !== undefined && /^bearer /i.test(authorization)) {
    const value = authorization.slice(7).trim();
    if (value.length > 0) return value;
  }
  return single(headers['x-api-key']) || single(headers['x-goog-api-key']) || undefined;
}

function single(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const trimmed = text?.trim();
  return trimmed === undefined || trimmed.length === 0 ? undefined : trimmed;
}

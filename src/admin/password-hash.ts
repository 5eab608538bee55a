import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { PASSWORD_HASH_PATTERN } from '../config/schema.js';

/**
 * Console passwords are stored as `scrypt$<N>$<r>$<p>$<salt>$<hash>` (salt and hash base64url):
 * node:crypto's scrypt, memory-hard, no dependency. `tollgate admin hash-password` makes one.
 */
/** N=2^15, r=8, p=1: about 32 MiB and tens of milliseconds per check, on the thread pool. */
const DEFAULTS = { N: 32_768, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password.normalize('NFKC'), salt, length, { ...options, maxmem: 256 * options.N! * options.r! + (1 << 20) }, (error, key) => (error ? reject(error) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, DEFAULTS, KEY_LENGTH);
  return `scrypt$${DEFAULTS.N}$${DEFAULTS.r}$${DEFAULTS.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** True when `password` matches `stored`; false for a malformed hash or parameters past sane bounds. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = PASSWORD_HASH_PATTERN.exec(stored);
  if (match === null) return false;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (N < 2 || N > 1 << 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const expected = Buffer.from(match[5]!, 'base64url');
  const key = await derive(password, Buffer.from(match[4]!, 'base64url'), { N, r, p }, expected.length);
  return timingSafeEqual(key, expected);
}

/** Checked in place of a hash for unknown user names, so a refusal takes as long either way. */
export const DECOY_PASSWORD_HASH = `scrypt$${DEFAULTS.N}$${DEFAULTS.r}$${DEFAULTS.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_LENGTH).toString('base64url')}`;

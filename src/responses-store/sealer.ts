import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PREFIX = 'aes256gcm:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Seals stored content (JSON text) for the database, and opens it again. */
export interface Sealer {
  /** `id` (the response's) is bound to the sealed value: it opens only under the same id. */
  seal(text: string, id: string): string;
  open(stored: string, id: string): string;
}

/** No key configured: content is stored as it is. A sealed row cannot be opened without the key. */
export const PLAIN: Sealer = {
  seal: (text) => text,
  open(stored) {
    if (stored.startsWith(PREFIX)) throw new Error('A stored response is encrypted, but no `responses.encryption_key` is configured.');
    return stored;
  },
};

/** A 32-byte key from 64 hex digits or base64 (validated by the config schema). */
export function keyFrom(text: string): Buffer {
  return /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
}

/**
 * AES-256-GCM: each value gets a fresh 96-bit nonce; the stored text is `aes256gcm:` and the base64 of
 * nonce, tag and ciphertext. The response id, as additional authenticated data, binds a sealed value to its row, so a value
 * copied to another row does not open. Plain rows (stored before a key was configured) still open.
 */
export function aesGcmSealer(key: Buffer): Sealer {
  if (key.length !== 32) throw new Error('responses.encryption_key must be 32 bytes.');
  return {
    seal(text, id) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(id, 'utf8'));
      const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    open(stored, id) {
      if (!stored.startsWith(PREFIX)) return stored;
      const raw = Buffer.from(stored.slice(PREFIX.length), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(id, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    },
  };
}

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const PREFIX = 'aes256gcm:';

/**
 * AES-256-GCM for secrets the gateway stores and must read back (the MCP module's OAuth tokens and
 * admin-added servers' configs, providers added through the admin API): the key is the SHA-256 of
 * a configured passphrase (`mcp.oauth.encryption_key`, `storage.encryption_key`); each sealed text
 * is `aes256gcm:` and the base64 of a fresh 12-byte nonce, the 16-byte tag and the ciphertext.
 * Without a key, texts are stored as they are (each feature says what it then refuses or logs).
 */
export class Sealer {
  private readonly key: Buffer | undefined;

  constructor(
    secret: string | undefined,
    /** The setting that holds the key, named when a sealed text cannot be opened without it. */
    private readonly setting = 'mcp.oauth.encryption_key',
  ) {
    this.key = secret === undefined ? undefined : createHash('sha256').update(secret).digest();
  }

  get encrypts(): boolean {
    return this.key !== undefined;
  }

  seal(text: string): string {
    if (this.key === undefined) return text;
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    const sealed = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([nonce, cipher.getAuthTag(), sealed]).toString('base64');
  }

  /** Throws when the text was sealed with another key (or altered), or is sealed and no key is set. */
  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    if (this.key === undefined) throw new Error(`stored data is encrypted and ${this.setting} is not set`);
    const bytes = Buffer.from(stored.slice(PREFIX.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  }
}

import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** One link of the audit chain. */
export interface AuditEntry {
  /** 1, 2, 3, … without gaps. */
  seq: number;
  /** ISO 8601. */
  time: string;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  /** The previous entry's hash (GENESIS_HASH for the first). */
  prev_hash: string;
  /** SHA-256 (hex) of the canonical JSON of {seq, time, actor, action, target, details} followed by prev_hash. */
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

export function hashEntry(entry: Omit<AuditEntry, 'hash' | 'prev_hash'>, previousHash: string): string {
  const body = canonicalJson({ seq: entry.seq, time: entry.time, actor: entry.actor, action: entry.action, target: entry.target, details: entry.details });
  return createHash('sha256').update(body).update(previousHash).digest('hex');
}

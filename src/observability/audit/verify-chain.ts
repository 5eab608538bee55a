import { GENESIS_HASH, hashEntry, type AuditEntry } from './audit-entry.js';

export interface ChainVerdict {
  ok: boolean;
  /** Entries checked. */
  entries: number;
  /** The first entry that is altered, out of place or missing. */
  firstBadSeq: number | null;
  reason: string | null;
}

/**
 * Walks the chain in seq order and stops at the first entry whose hash does not match its content,
 * whose prev_hash is not its predecessor's hash, or whose seq skips (a deleted entry).
 */
export async function verifyChain(pages: AsyncIterable<readonly AuditEntry[]>): Promise<ChainVerdict> {
  let previousHash = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  for await (const page of pages) {
    for (const entry of page) {
      if (entry.seq !== expectedSeq) {
        return { ok: false, entries: count, firstBadSeq: expectedSeq, reason: entry.seq > expectedSeq ? `entry ${expectedSeq} is missing (next is ${entry.seq})` : `entry ${entry.seq} is out of order` };
      }
      if (entry.prev_hash !== previousHash) return { ok: false, entries: count, firstBadSeq: entry.seq, reason: `entry ${entry.seq} does not link to entry ${entry.seq - 1} (prev_hash differs)` };
      if (hashEntry(entry, entry.prev_hash) !== entry.hash) return { ok: false, entries: count, firstBadSeq: entry.seq, reason: `entry ${entry.seq} was altered (its hash does not match its content)` };
      previousHash = entry.hash;
      expectedSeq++;
      count++;
    }
  }
  return { ok: true, entries: count, firstBadSeq: null, reason: null };
}

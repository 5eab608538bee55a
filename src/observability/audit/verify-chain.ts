import { GENESIS_HASH, hashEntry, type AuditEntry } from './audit-entry.js';

/** The newest link of a chain: kept outside the gateway, it shows later whether entries were cut off the end. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export interface ChainVerdict {
  ok: boolean;
  /** Entries checked. */
  entries: number;
  /** The first entry that is altered, out of place or missing. */
  firstBadSeq: number | null;
  reason: string | null;
  /** The last entry verified (null for an empty chain, or when the first entry is bad). */
  head: ChainHead | null;
}

/**
 * Walks the chain in seq order and stops at the first entry whose hash does not match its content,
 * whose prev_hash is not its predecessor's hash, or whose seq skips (a deleted entry). A chain alone
 * cannot show that its newest entries were removed: with `expectedHead` (a head recorded earlier),
 * a chain that no longer reaches that entry, or reaches it with another hash, fails too.
 */
export async function verifyChain(pages: AsyncIterable<readonly AuditEntry[]>, expectedHead?: ChainHead): Promise<ChainVerdict> {
  let previousHash = GENESIS_HASH;
  let expectedSeq = 1;
  let count = 0;
  let head: ChainHead | null = null;
  const bad = (firstBadSeq: number, reason: string): ChainVerdict => ({ ok: false, entries: count, firstBadSeq, reason, head });
  for await (const page of pages) {
    for (const entry of page) {
      if (entry.seq !== expectedSeq) return bad(expectedSeq, entry.seq > expectedSeq ? `entry ${expectedSeq} is missing (next is ${entry.seq})` : `entry ${entry.seq} is out of order`);
      if (entry.prev_hash !== previousHash) return bad(entry.seq, `entry ${entry.seq} does not link to entry ${entry.seq - 1} (prev_hash differs)`);
      if (hashEntry(entry, entry.prev_hash) !== entry.hash) return bad(entry.seq, `entry ${entry.seq} was altered (its hash does not match its content)`);
      if (expectedHead !== undefined && entry.seq === expectedHead.seq && entry.hash !== expectedHead.hash) return bad(entry.seq, `entry ${entry.seq} is not the recorded head (its hash differs from ${expectedHead.hash})`);
      previousHash = entry.hash;
      head = { seq: entry.seq, hash: entry.hash };
      expectedSeq++;
      count++;
    }
  }
  if (expectedHead !== undefined && expectedSeq <= expectedHead.seq) return bad(expectedSeq, `entries ${expectedSeq} to ${expectedHead.seq} are missing (the chain ends before the recorded head)`);
  return { ok: true, entries: count, firstBadSeq: null, reason: null, head };
}

import { randomFillSync } from 'node:crypto';

const SAFE_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

/** Reuses the caller's `x-request-id` when it is a sane token; otherwise makes one (timeOrderedId). */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SAFE_ID.test(value) ? value : timeOrderedId();
}

/**
 * A UUID version 7 (RFC 9562 §5.7): the first 48 bits are the Unix time in milliseconds, the rest
 * random (version and variant bits set). Ids made later sort later, so the request log's
 * `request_id` index takes each new id near the previous one instead of at a random page: with
 * random (version 4) ids every insert dirtied a different index page: at 200,000 records the SQLite
 * writer spent 2.7× the wall time per record (`npm run bench:log-writes`). The 74 random bits come
 * from a pool refilled 4 KiB at a time; the text is written into one scratch buffer and decoded once.
 */
export function timeOrderedId(now = Date.now()): string {
  if (poolOffset + RANDOM_BYTES > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  let time = Math.floor(now);
  // 12 hex digits of time: positions 0-7 and 9-12 (a dash at 8).
  for (let index = 12; index >= 0; index--) {
    if (index === 8) continue;
    scratch[index] = HEX[time % 16]!;
    time = Math.floor(time / 16);
  }
  scratch[14] = 0x37; // '7': the version
  scratch[15] = HEX[pool[poolOffset]! & 0x0f]!;
  scratch[16] = HEX[pool[poolOffset + 1]! >> 4]!;
  scratch[17] = HEX[pool[poolOffset + 1]! & 0x0f]!;
  scratch[19] = HEX[0x8 | (pool[poolOffset + 2]! & 0x03)]!; // the variant: 10xx
  scratch[20] = HEX[pool[poolOffset + 3]! >> 4]!;
  scratch[21] = HEX[pool[poolOffset + 3]! & 0x0f]!;
  scratch[22] = HEX[pool[poolOffset + 4]! >> 4]!;
  for (let index = 0; index < 12; index++) scratch[24 + index] = HEX[(pool[poolOffset + 5 + (index >> 1)]! >> (index & 1 ? 0 : 4)) & 0x0f]!;
  poolOffset += RANDOM_BYTES;
  return scratch.toString('latin1', 0, 36);
}

/** Random bytes an id draws: 4 bits + 8 + 2 + 8 + 4 + 48, rounded up per byte used. */
const RANDOM_BYTES = 11;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
/** `xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx`: the dashes stay, the rest is rewritten per id. */
const scratch = Buffer.from('00000000-0000-7000-8000-000000000000', 'latin1');

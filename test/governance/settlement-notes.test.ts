import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Redis } from 'ioredis';
import { RedisSpendStore } from '../../src/governance/redis-spend-store.js';
import { SettlementNoteKeeper, withUnloggedSettlements } from '../../src/governance/settlement-notes.js';
import { UNLOGGED_AFTER_MS } from '../../src/governance/spend-store.js';
import type { RequestCharges } from '../../src/pipeline/capabilities.js';
import { connectRedis, deleteKeys, uniquePrefix } from './redis.js';

/**
 * The Redis ledger notes each settlement with its request id until the request log has stored the
 * record; reconciliation counts a stale note whose request has no record as `unlogged` and drops the
 * notes of requests that were logged (their forget was merely late).
 */

let redis: Redis;
const prefix = uniquePrefix('notes');

before(async () => {
  redis = await connectRedis();
});

after(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

const COUNTER = 'key:k1|usd|lifetime|0';

async function settled(store: RedisSpendStore, amount: number, requestId: string): Promise<string> {
  // A rate-limit line beside the budget: only the budget's counter is noted (reconciliation reads budgets).
  const lines = [
    { counter: COUNTER, windowEnd: Number.POSITIVE_INFINITY, limit: 1e15, amount, chargeOnExpiry: amount },
    { counter: 'key:k1|requests|lifetime|0', windowEnd: Number.POSITIVE_INFINITY, limit: 1e15, amount: 1, chargeOnExpiry: 1 },
  ];
  const reserved = await store.reserve(lines, Date.now(), 60_000);
  assert.ok(reserved.ok);
  await store.settle(reserved.id, [amount, 1], lines, requestId);
  return reserved.id;
}

test('stale notes of unlogged requests explain the ledger; logged ones are forgotten; fresh ones are not counted yet', async () => {
  const store = new RedisSpendStore(redis, prefix);
  await settled(store, 1_000, 'before-noting');
  store.noteSettlements();
  await settled(store, 2_000, 'logged');
  const lostId = await settled(store, 4_000, 'lost');
  const counters = await store.list('|usd|');
  assert.equal(counters[0]!.used, 7_000);

  // Fresh notes are not counted: their records may still be on their way.
  const fresh = await withUnloggedSettlements(store, counters, async () => new Set());
  assert.equal(fresh[0]!.unlogged, undefined);

  const later = Date.now() + UNLOGGED_AFTER_MS + 1;
  const asked: string[][] = [];
  const explained = await withUnloggedSettlements(store, counters, async (ids) => (asked.push([...ids].sort()), new Set(['logged'])), later);
  assert.deepEqual(asked, [['logged', 'lost']], 'only noted settlements are looked up (not those before noting began)');
  assert.equal(explained[0]!.unlogged, 4_000);
  assert.equal(explained[0]!.unloggedCount, 1);
  // The logged request's note was dropped; the lost one stays until someone forgets it.
  assert.deepEqual((await store.notesBefore(later)).map((note) => [note.id, note.requestId, note.amounts]), [[lostId, 'lost', [{ counter: COUNTER, amount: 4_000 }]]]);
  await store.forgetSettlements([lostId]);
  assert.deepEqual(await store.notesBefore(later), []);
});

test('a forget round whose wait for the request log fails keeps its ids for the next round and never rejects (the interval behind it has nobody to hand a failure to)', async () => {
  const store = new RedisSpendStore(redis, prefix);
  let failNext = true;
  const charges: RequestCharges = {
    flush: async () => {},
    sum: async () => ({ nanoUsd: 0, records: 0 }),
    logged: async () => new Set(),
    accepted: () => 1,
    stored: async () => {
      if (failNext) {
        failNext = false;
        throw new Error('request journal: mark 1 is older than the last batch stored');
      }
    },
  };
  const keeper = new SettlementNoteKeeper(store, charges);
  const id = await settled(store, 3_000, 'kept-noted');
  keeper.settled(id);
  const notedIds = async () => (await store.notesBefore(Number.MAX_SAFE_INTEGER)).map((note) => note.id);
  await keeper.forget();
  assert.ok((await notedIds()).includes(id), 'the failed round forgot nothing');
  await keeper.forget();
  assert.ok(!(await notedIds()).includes(id), 'the next round forgot it');
  await keeper.close();
});

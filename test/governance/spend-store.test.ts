import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemorySpendStore } from '../../src/governance/memory-spend-store.js';
import { RedisSpendStore } from '../../src/governance/redis-spend-store.js';
import type { LimitLine, SpendStore } from '../../src/governance/spend-store.js';
import type { Redis } from 'ioredis';
import { connectRedis, deleteKeys, keysUnder, uniquePrefix } from './redis.js';

const line = (counter: string, limit: number, amount: number, chargeOnExpiry = amount): LimitLine => ({ counter, windowEnd: 10_000, limit, amount, chargeOnExpiry });

let redis: Redis;
const prefixes: string[] = [];
before(async () => {
  redis = await connectRedis();
});
after(async () => {
  for (const prefix of prefixes) await deleteKeys(redis, prefix);
  await redis.quit();
});

/** A Redis ledger of its own (a fresh prefix) on the real Redis, through ioredis. */
function redisStore(): RedisSpendStore {
  const prefix = uniquePrefix('spend');
  prefixes.push(prefix);
  return new RedisSpendStore(redis, prefix);
}

/** One suite every SpendStore passes. */
const backends: [string, () => SpendStore][] = [
  ['memory', () => new MemorySpendStore()],
  ['redis', redisStore],
];

for (const [name, open] of backends) {
  describe(`SpendStore: ${name}`, () => {
    test('a reservation is all or nothing across lines', async () => {
      const store = open();
      const first = await store.reserve([line('team|usd', 10, 6), line('key|usd', 100, 6)], 0, 1_000);
      assert.equal(first.ok, true);
      const refused = await store.reserve([line('key|usd', 100, 6), line('team|usd', 10, 6)], 0, 1_000);
      assert.equal(refused.ok, false);
      assert.equal(refused.ok ? -1 : refused.index, 1);
      assert.deepEqual(refused.ok ? undefined : refused.state, { used: 0, reserved: 6, credit: 0 });
      // The key line of the refused reservation was not touched.
      assert.deepEqual(await store.peek('key|usd'), { used: 0, reserved: 6, credit: 0 });
    });

    test('settle replaces the reservation with the actual amounts; release gives it back', async () => {
      const store = open();
      const reservation = await store.reserve([line('key|usd', 10, 4)], 0, 1_000);
      assert.ok(reservation.ok);
      await store.settle(reservation.id, [1.5]);
      assert.deepEqual(await store.peek('key|usd'), { used: 1.5, reserved: 0, credit: 0 });
      const second = await store.reserve([line('key|usd', 10, 4)], 0, 1_000);
      assert.ok(second.ok);
      await store.settle(second.id, [0]);
      assert.deepEqual(await store.peek('key|usd'), { used: 1.5, reserved: 0, credit: 0 });
      // Settling twice is harmless.
      await store.settle(second.id, [5]);
      assert.equal((await store.peek('key|usd')).used, 1.5);
    });

    test('an exhausted counter refuses even a zero-cost request; credit raises the ceiling', async () => {
      const store = open();
      const reservation = await store.reserve([line('key|usd', 1, 1)], 0, 1_000);
      assert.ok(reservation.ok);
      await store.settle(reservation.id, [1]);
      assert.equal((await store.reserve([line('key|usd', 1, 0)], 0, 1_000)).ok, false);
      await store.addCredit('key|usd', 10_000, 0.5, 0);
      assert.equal((await store.reserve([line('key|usd', 1, 0.5)], 0, 1_000)).ok, true);
      assert.equal((await store.reserve([line('key|usd', 1, 0.01)], 0, 1_000)).ok, false);
    });

    test('a zero limit refuses everything', async () => {
      const store = open();
      assert.equal((await store.reserve([line('key|requests', 0, 1)], 0, 1_000)).ok, false);
    });

    test('reservations of crashed requests expire after their TTL and are charged their expiry amount', async () => {
      const store = open();
      const crashed = await store.reserve([line('key|usd', 10, 4, 4), line('key|concurrency', 1, 1, 0)], 0, 1_000);
      assert.ok(crashed.ok);
      assert.equal((await store.reserve([line('key|concurrency', 1, 1, 0)], 0, 1_000)).ok, false);
      await store.sweep(999);
      assert.deepEqual(await store.peek('key|usd'), { used: 0, reserved: 4, credit: 0 });
      await store.sweep(1_000);
      assert.deepEqual(await store.peek('key|usd'), { used: 4, reserved: 0, credit: 0 });
      assert.deepEqual(await store.peek('key|concurrency'), { used: 0, reserved: 0, credit: 0 });
      assert.equal((await store.reserve([line('key|concurrency', 1, 1, 0)], 1_000, 1_000)).ok, true);
      // A late settle of the expired reservation changes nothing.
      await store.settle(crashed.id, [1, 0]);
      assert.equal((await store.peek('key|usd')).used, 4);
    });

    test('reset zeroes a scope and its sub-scopes only', async () => {
      const store = open();
      for (const counter of ['key:k1|usd', 'key:k1/provider:p|usd', 'key:k10|usd']) {
        const reservation = await store.reserve([line(counter, 10, 2)], 0, 1_000);
        assert.ok(reservation.ok);
        await store.settle(reservation.id, [2]);
      }
      await store.resetScope('key:k1');
      assert.equal((await store.peek('key:k1|usd')).used, 0);
      assert.equal((await store.peek('key:k1/provider:p|usd')).used, 0);
      assert.equal((await store.peek('key:k10|usd')).used, 2);
    });

    test('concurrent reservations never pass the limit', async () => {
      const store = open();
      const results = await Promise.all(Array.from({ length: 100 }, () => store.reserve([line('key|usd', 1, 0.1)], 0, 1_000)));
      assert.equal(results.filter((result) => result.ok).length, 10);
      assert.ok(Math.abs((await store.peek('key|usd')).reserved - 1) < 1e-9);
    });
  });
}

test('the memory store reports changed counters once and forgets ended windows once flushed', () => {
  const store = new MemorySpendStore();
  const reservation = store.reserve([line('key:k1|usd', 10, 2)], 0, 1_000);
  assert.ok(reservation.ok);
  store.settle(reservation.id, [2]);
  assert.equal(store.takeChanged().length, 1);
  assert.equal(store.takeChanged().length, 0);
  store.sweep(10_000);
  assert.equal(store.peek('key:k1|usd').used, 0);
  assert.equal(store.pending, 0);
});

test('the Redis store loads its scripts again after SCRIPT FLUSH (EVALSHA falls back to EVAL once)', async () => {
  const store = redisStore();
  const first = await store.reserve([line('key|usd', 10, 1)], 0, 1_000);
  assert.ok(first.ok);
  await redis.script('FLUSH');
  const second = await store.reserve([line('key|usd', 10, 1)], 0, 1_000);
  assert.ok(second.ok);
  assert.deepEqual(await store.peek('key|usd'), { used: 0, reserved: 2, credit: 0 });
});

test('the Redis ledger keeps every key under its prefix', async () => {
  const store = redisStore();
  const prefix = prefixes.at(-1)!;
  const reservation = await store.reserve([line('key:k1|usd', 10, 1)], 0, 1_000);
  assert.ok(reservation.ok);
  const keys = await keysUnder(redis, prefix);
  // The counter, the reservation, the expiry index and the id sequence.
  assert.equal(keys.length, 4, `keys: ${keys.join(', ')}`);
  assert.equal(await deleteKeys(redis, prefix), keys.length);
  assert.deepEqual(await store.peek('key:k1|usd'), { used: 0, reserved: 0, credit: 0 });
});

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
      const reservation = await store.reserve([line('key|usd', 100, 40)], 0, 1_000);
      assert.ok(reservation.ok);
      await store.settle(reservation.id, [15]);
      assert.deepEqual(await store.peek('key|usd'), { used: 15, reserved: 0, credit: 0 });
      const second = await store.reserve([line('key|usd', 100, 40)], 0, 1_000);
      assert.ok(second.ok);
      await store.settle(second.id, [0]);
      assert.deepEqual(await store.peek('key|usd'), { used: 15, reserved: 0, credit: 0 });
      // Settling twice is harmless.
      await store.settle(second.id, [50]);
      assert.equal((await store.peek('key|usd')).used, 15);
    });

    test('an exhausted counter refuses even a zero-cost request; credit raises the ceiling', async () => {
      const store = open();
      const reservation = await store.reserve([line('key|usd', 100, 100)], 0, 1_000);
      assert.ok(reservation.ok);
      await store.settle(reservation.id, [100]);
      assert.equal((await store.reserve([line('key|usd', 100, 0)], 0, 1_000)).ok, false);
      await store.addCredit('key|usd', 10_000, 50, 0);
      assert.equal((await store.reserve([line('key|usd', 100, 50)], 0, 1_000)).ok, true);
      assert.equal((await store.reserve([line('key|usd', 100, 1)], 0, 1_000)).ok, false);
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

    test('sums are exact integers: a thousand charges of 1,234,567 nano-USD and amounts past 10^14', async () => {
      const store = open();
      for (let index = 0; index < 1000; index++) {
        const reservation = await store.reserve([line('key:k1|usd|1d|0', 1e15, 1_234_567)], 0, 1_000);
        assert.ok(reservation.ok);
        await store.settle(reservation.id, [1_234_567]);
      }
      assert.equal((await store.peek('key:k1|usd|1d|0')).used, 1_234_567_000);
      // $300,000 in nano-USD is 3e14: Lua would print it as 3e+14, which HINCRBY refuses.
      const large = await store.reserve([line('key:k1|usd|1d|0', 1e15, 300_000_000_000_001)], 0, 1_000);
      assert.ok(large.ok);
      await store.settle(large.id, [300_000_000_000_001]);
      assert.equal((await store.peek('key:k1|usd|1d|0')).used, 300_001_234_567_001);
      assert.equal((await store.peek('key:k1|usd|1d|0')).reserved, 0);
    });

    test('list names each counter with the part of its spend expired reservations charged', async () => {
      const store = open();
      const settled = await store.reserve([line('key:k1|usd|1d|0', 1_000, 40), line('key:k1|requests|1m|0', 10, 1)], 0, 1_000);
      assert.ok(settled.ok);
      await store.settle(settled.id, [25, 1]);
      const crashed = await store.reserve([line('key:k1|usd|1d|0', 1_000, 40)], 0, 1_000);
      assert.ok(crashed.ok);
      const open_ = await store.reserve([line('key:k1|usd|1d|0', 1_000, 7)], 0, 5_000);
      assert.ok(open_.ok);
      await store.sweep(2_000);
      const listed = await store.list('|usd|');
      assert.deepEqual(listed, [{ counter: 'key:k1|usd|1d|0', used: 65, reserved: 7, credit: 0, expired: 40, expiredCount: 1 }]);
    });

    test('a settle given the reservation\'s lines charges as one that reads them back, and never after a sweep', async () => {
      const store = open();
      const lines = [line('key:k1|usd|1d|0', 1_000, 40), line('key:k1|requests|1m|0', 10, 1), line('key:k1|concurrency', 2, 1, 0)];
      const first = await store.reserve(lines, 0, 1_000);
      assert.ok(first.ok);
      assert.deepEqual(first.remaining, [960, 9, 1]);
      await store.settle(first.id, [25, 1, 0], lines);
      assert.deepEqual(await store.peek('key:k1|usd|1d|0'), { used: 25, reserved: 0, credit: 0 });
      assert.deepEqual(await store.peek('key:k1|requests|1m|0'), { used: 1, reserved: 0, credit: 0 });
      assert.deepEqual(await store.peek('key:k1|concurrency'), { used: 0, reserved: 0, credit: 0 });
      // Settling twice is harmless.
      await store.settle(first.id, [25, 1, 0], lines);
      assert.equal((await store.peek('key:k1|usd|1d|0')).used, 25);
      // Swept (charged its expiry amounts) before its settle arrived: the settle changes nothing.
      const late = await store.reserve(lines, 0, 1_000);
      assert.ok(late.ok);
      await store.sweep(1_000);
      await store.settle(late.id, [3, 1, 0], lines);
      assert.deepEqual(await store.peek('key:k1|usd|1d|0'), { used: 65, reserved: 0, credit: 0 });
      assert.deepEqual(await store.peek('key:k1|concurrency'), { used: 0, reserved: 0, credit: 0 });
    });

    test('a request-count line (final) is counted once however its reservation ends: settled, released, settled from the stored lines or expired', async () => {
      const store = open();
      const requests: LimitLine = { ...line('key:k1|requests|1m|0', 4, 1), final: true };
      const lines = [line('key:k1|usd|1d|0', 1_000, 40), requests];
      const settled = await store.reserve(lines, 0, 1_000);
      assert.ok(settled.ok);
      assert.deepEqual(settled.remaining, [960, 3]);
      const released = await store.reserve(lines, 0, 1_000);
      const stored = await store.reserve(lines, 0, 1_000);
      const expired = await store.reserve(lines, 0, 500);
      assert.ok(released.ok && stored.ok && expired.ok);
      assert.deepEqual(expired.remaining, [840, 0]);
      const refused = await store.reserve(lines, 0, 1_000);
      assert.ok(!refused.ok);
      assert.equal(refused.index, 1);
      await store.settle(settled.id, [25, 1], lines);
      await store.settle(released.id, [0, 1], lines);
      await store.settle(stored.id, [10, 1]);
      await store.sweep(500);
      assert.deepEqual(await store.peek('key:k1|requests|1m|0'), { used: 4, reserved: 0, credit: 0 });
      assert.deepEqual(await store.peek('key:k1|usd|1d|0'), { used: 25 + 10 + 40, reserved: 0, credit: 0 });
    });

    test('reservations asked for together each leave the room the earlier ones left, and all-or-nothing holds for each', async () => {
      const store = open();
      const lines = [line('key|usd', 100, 30), { ...line('key|requests', 3, 1), final: true }];
      const results = await Promise.all([store.reserve(lines, 0, 1_000), store.reserve(lines, 0, 1_000), store.reserve([line('key|usd', 100, 50)], 0, 1_000), store.reserve(lines, 0, 1_000), store.reserve(lines, 0, 1_000)]);
      assert.deepEqual(
        results.map((result) => (result.ok ? result.remaining : [result.index, result.state])),
        [[70, 2], [40, 1], [0, { used: 0, reserved: 60, credit: 0 }], [10, 0], [0, { used: 0, reserved: 90, credit: 0 }]],
      );
      assert.deepEqual(await store.peek('key|usd'), { used: 0, reserved: 90, credit: 0 });
      // A final line may go to `used` at once (LimitLine.final).
      const requests = await store.peek('key|requests');
      assert.equal(requests.used + requests.reserved, 3);
    });

    test('concurrent reservations never pass the limit', async () => {
      const store = open();
      const results = await Promise.all(Array.from({ length: 100 }, () => store.reserve([line('key|usd', 1_000_000_000, 100_000_000)], 0, 1_000)));
      assert.equal(results.filter((result) => result.ok).length, 10);
      assert.equal((await store.peek('key|usd')).reserved, 1_000_000_000);
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

test('a Redis counter gets its TTL when a reservation creates it, and again when a settle creates it anew', async () => {
  const store = redisStore();
  const prefix = prefixes.at(-1)!;
  const now = Date.now();
  const lines = [{ counter: 'key:k1|usd|1d|0', windowEnd: now + 60_000, limit: 1_000, amount: 40, chargeOnExpiry: 40 }];
  const first = await store.reserve(lines, now, 1_000);
  assert.ok(first.ok);
  const ttl = await redis.pttl(`${prefix}c:key:k1|usd|1d|0`);
  assert.ok(ttl > 86_400_000 && ttl <= 86_460_000, `pttl ${ttl}`);
  // The counter expired while the request ran: the settle's HINCRBY creates it again, with a TTL.
  await redis.del(`${prefix}c:key:k1|usd|1d|0`);
  await store.settle(first.id, [25], lines);
  assert.deepEqual(await store.peek('key:k1|usd|1d|0'), { used: 25, reserved: 0, credit: 0 });
  const again = await redis.pttl(`${prefix}c:key:k1|usd|1d|0`);
  assert.ok(again > 86_400_000 && again <= 86_460_000, `pttl ${again}`);
});

test('a Redis settle answers its budget counters\' states, which the budget-alert check then reads without a command of its own', async () => {
  const store = redisStore();
  const lines = [line('key:k1|usd|1d|0', 1_000, 40), line('key:k1|requests|1m|0', 10, 1)];
  const reservation = await store.reserve(lines, 0, 1_000);
  assert.ok(reservation.ok);
  await store.addCredit('key:k1|usd|1d|0', 10_000, 5, 0);
  await store.settle(reservation.id, [25, 1], lines);
  // Within the same turn of the event loop: no round trip (a value, not a promise).
  const state = store.peek('key:k1|usd|1d|0');
  assert.ok(!(state instanceof Promise));
  assert.deepEqual(state, { used: 25, reserved: 0, credit: 5 });
  // A turn later Redis is asked again.
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(store.peek('key:k1|usd|1d|0') instanceof Promise);
  assert.deepEqual(await store.peek('key:k1|requests|1m|0'), { used: 1, reserved: 0, credit: 0 });
});

test('Redis settles made in one turn go together, each charged as its own, a swept one not at all', async () => {
  const store = redisStore();
  const lines = [line('key:k1|usd|1d|0', 1_000_000, 40), line('key:k1|requests|1m|0', 1_000, 1)];
  const reservations = [];
  for (let index = 0; index < 100; index++) {
    const reserved = await store.reserve(lines, 0, index === 0 ? 1_000 : 5_000);
    assert.ok(reserved.ok);
    reservations.push(reserved.id);
  }
  // The first expires (charged its 40) before its settle arrives with the others.
  await store.sweep(1_000);
  await Promise.all(reservations.map((id, index) => store.settle(id, [index, 1], lines)));
  const expected = 40 + (99 * 100) / 2;
  assert.deepEqual(await store.peek('key:k1|usd|1d|0'), { used: expected, reserved: 0, credit: 0 });
  assert.deepEqual(await store.peek('key:k1|requests|1m|0'), { used: 100, reserved: 0, credit: 0 });
});

test('the Redis ledger keeps every key under its prefix', async () => {
  const store = redisStore();
  const prefix = prefixes.at(-1)!;
  const reservation = await store.reserve([line('key:k1|usd', 10, 1)], 0, 1_000);
  assert.ok(reservation.ok);
  const keys = await keysUnder(redis, prefix);
  // The counter, the reservation's bucket, the bucket index, the id sequence and the unit marker.
  assert.equal(keys.length, 5, `keys: ${keys.join(', ')}`);
  assert.equal(await deleteKeys(redis, prefix), keys.length);
  assert.deepEqual(await store.peek('key:k1|usd'), { used: 0, reserved: 0, credit: 0 });
});

test('Redis reservations live in a hash per expiry bucket: a swept bucket leaves the index, and one written again is indexed again', async () => {
  const store = redisStore();
  const prefix = prefixes.at(-1)!;
  const crashed = await store.reserve([line('key|usd', 100, 10)], 0, 1_000);
  assert.ok(crashed.ok);
  assert.equal(crashed.id.endsWith('-0'), true, crashed.id);
  assert.deepEqual(await redis.zrange(`${prefix}rb`, '0', '-1'), ['0']);
  assert.deepEqual((await redis.hkeys(`${prefix}rb:0`)).sort(), [crashed.id, 's']);
  await store.sweep(1_000);
  assert.deepEqual(await store.peek('key|usd'), { used: 10, reserved: 0, credit: 0 });
  assert.equal(await redis.exists(`${prefix}rb:0`), 0);
  assert.equal(await redis.zcard(`${prefix}rb`), 0);
  // Reserved later into the same bucket (a replica's clock behind, or a replay of old spend).
  const late = await store.reserve([line('key|usd', 100, 5)], 500, 500);
  assert.ok(late.ok);
  await store.sweep(2_000);
  assert.deepEqual(await store.peek('key|usd'), { used: 15, reserved: 0, credit: 0 });
  assert.equal(await redis.zcard(`${prefix}rb`), 0);
});

test('a Redis batch in which one counter takes both final and reserved lines is decided reservation by reservation', async () => {
  const store = redisStore();
  const counted = { ...line('key|requests', 10, 1), final: true };
  const held = line('key|requests', 10, 2);
  const [first, second] = await Promise.all([store.reserve([counted], 0, 1_000), store.reserve([held], 0, 1_000)]);
  assert.ok(first.ok && second.ok);
  assert.deepEqual([first.remaining, second.remaining], [[9], [7]]);
  assert.deepEqual(await store.peek('key|requests'), { used: 1, reserved: 2, credit: 0 });
  await Promise.all([store.settle(first.id, [1], [counted]), store.settle(second.id, [1], [held])]);
  assert.deepEqual(await store.peek('key|requests'), { used: 2, reserved: 0, credit: 0 });
});

test('Redis reservations of the earlier layout (a hash each, a sorted set by expiry) still settle and expire', async () => {
  const store = redisStore();
  const prefix = prefixes.at(-1)!;
  const usd = `${prefix}c:key:k1|usd|1d|0`;
  const requests = `${prefix}c:key:k1|requests|1m|0`;
  // What a replica of the earlier version leaves: two reservations, counters holding them.
  await redis.hset(usd, 'used', '0', 'reserved', '70');
  await redis.hset(requests, 'used', '2');
  const stored = (amount: number) => JSON.stringify([[usd, String(amount), String(amount), '86400000'], [requests, '0', '0', '60000', '1']]);
  await redis.hset(`${prefix}r:7`, 'd', stored(40));
  await redis.hset(`${prefix}r:8`, 'd', stored(30));
  await redis.zadd(`${prefix}reservations`, '1000', '7', '2000', '8');
  await store.settle('7', [25, 1]);
  assert.deepEqual(await store.peek('key:k1|usd|1d|0'), { used: 25, reserved: 30, credit: 0 });
  await store.sweep(2_000);
  assert.deepEqual(await store.list('|usd|'), [{ counter: 'key:k1|usd|1d|0', used: 55, reserved: 0, credit: 0, expired: 30, expiredCount: 1 }]);
  assert.deepEqual(await store.peek('key:k1|requests|1m|0'), { used: 2, reserved: 0, credit: 0 });
  assert.equal(await redis.exists(`${prefix}r:7`, `${prefix}r:8`, `${prefix}reservations`), 0);
});

test('the Redis ledger converts counters and reservations written as float USD to nano-USD once', async () => {
  const prefix = uniquePrefix('spend');
  prefixes.push(prefix);
  // What the ledger held before amounts were integers.
  await redis.hset(`${prefix}c:key:k1|usd|1d|0`, 'used', '1.25', 'reserved', '0.5', 'credit', '0.000000001');
  await redis.hset(`${prefix}c:key:k1|requests|1m|0`, 'used', '3', 'reserved', '1');
  await redis.hset(`${prefix}r:7`, 'n', '2', 'k1', `${prefix}c:key:k1|usd|1d|0`, 'a1', '0.5', 'e1', '0.5', 'w1', '86400000', 'k2', `${prefix}c:key:k1|requests|1m|0`, 'a2', '1', 'e2', '1', 'w2', '60000');
  const store = new RedisSpendStore(redis, prefix);
  assert.equal(await store.upgrade(), 2);
  assert.deepEqual(await store.peek('key:k1|usd|1d|0'), { used: 1_250_000_000, reserved: 500_000_000, credit: 1 });
  assert.deepEqual(await store.peek('key:k1|requests|1m|0'), { used: 3, reserved: 1, credit: 0 });
  await store.settle('7', [200_000_000, 1]);
  assert.deepEqual(await store.peek('key:k1|usd|1d|0'), { used: 1_450_000_000, reserved: 0, credit: 1 });
  // A second replica starting later converts nothing again.
  assert.equal(await new RedisSpendStore(redis, prefix).upgrade(), 0);
  assert.equal((await store.peek('key:k1|usd|1d|0')).used, 1_450_000_000);
});

test('a Redis that lost its data while the gateway kept serving is not converted again by the next replica to start (spend stays as charged)', async () => {
  const prefix = uniquePrefix('spend');
  prefixes.push(prefix);
  const store = new RedisSpendStore(redis, prefix);
  assert.equal(await store.upgrade(), 0, 'a fresh ledger only gets the marker');
  const line = { counter: 'key:k1|usd|1d|0', windowEnd: Date.now() + 86_400_000, limit: 10_000_000_000, amount: 3_000, chargeOnExpiry: 3_000 };
  const charge = async (amount: number) => {
    const reserved = await store.reserve([line], Date.now(), 60_000);
    assert.ok(reserved.ok);
    await store.settle(reserved.id, [amount], [line], 'request');
  };
  await charge(2_000);
  // Redis restarted without persistence: every key is gone, and this replica serves on.
  for (const key of await redis.keys(`${prefix}*`)) await redis.del(key);
  await charge(1_500);
  assert.equal((await store.peek(line.counter)).used, 1_500);
  // A replica (or a --workers child forked again) starting now finds nano-USD, not floats.
  assert.equal(await new RedisSpendStore(redis, prefix).upgrade(), 0);
  assert.equal((await store.peek(line.counter)).used, 1_500);
  // A top-up through the admin API is the first write after the loss: the same.
  for (const key of await redis.keys(`${prefix}*`)) await redis.del(key);
  await store.addCredit(line.counter, line.windowEnd, 5_000, Date.now());
  assert.equal(await new RedisSpendStore(redis, prefix).upgrade(), 0);
  assert.equal((await store.peek(line.counter)).credit, 5_000);
});

test('the Redis store writes its batched commands byte-exact: a prefix, request id and counter name beyond ASCII', async () => {
  // The store writes the reserve and settle commands in RESP itself (redis-wire.ts): a length
  // counted in characters instead of bytes would desynchronise the connection.
  const prefix = uniquePrefix('spënd-€');
  prefixes.push(prefix);
  const store = new RedisSpendStore(redis, prefix);
  store.noteSettlements();
  const lines = [line('key:clé|usd|1d|0', 1_000, 40), { ...line('key:clé|requests|1m|0', 10, 1), final: true }];
  const reserved = await Promise.all([store.reserve(lines, 0, 60_000), store.reserve(lines, 0, 60_000)]);
  assert.ok(reserved.every((result) => result.ok));
  await Promise.all(reserved.map((result, index) => store.settle(result.ok ? result.id : '', [25, 1], lines, `requête-${index}`)));
  assert.deepEqual(await store.peek('key:clé|usd|1d|0'), { used: 50, reserved: 0, credit: 0 });
  assert.deepEqual(await store.peek('key:clé|requests|1m|0'), { used: 2, reserved: 0, credit: 0 });
  const notes = await store.notesBefore(Date.now() + 1);
  assert.deepEqual(notes.map((note) => note.requestId).sort(), ['requête-0', 'requête-1']);
  assert.deepEqual(notes[0]!.amounts, [{ counter: 'key:clé|usd|1d|0', amount: 25 }]);
  // The connection still answers in step.
  assert.equal(await redis.ping(), 'PONG');
});

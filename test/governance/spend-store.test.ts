import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemorySpendStore } from '../../src/governance/memory-spend-store.js';
import type { LimitLine } from '../../src/governance/spend-store.js';

const line = (counter: string, limit: number, amount: number, chargeOnExpiry = amount): LimitLine => ({ counter, windowEnd: 10_000, limit, amount, chargeOnExpiry });

test('a reservation is all or nothing across lines', () => {
  const store = new MemorySpendStore();
  const first = store.reserve([line('team|usd', 10, 6), line('key|usd', 100, 6)], 0, 1_000);
  assert.equal(first.ok, true);
  const refused = store.reserve([line('key|usd', 100, 6), line('team|usd', 10, 6)], 0, 1_000);
  assert.equal(refused.ok, false);
  assert.equal(refused.ok ? -1 : refused.index, 1);
  // The key line of the refused reservation was not touched.
  assert.deepEqual(store.peek('key|usd'), { used: 0, reserved: 6, credit: 0 });
});

test('settle replaces the reservation with the actual amounts; release gives it back', () => {
  const store = new MemorySpendStore();
  const reservation = store.reserve([line('key|usd', 10, 4)], 0, 1_000);
  assert.ok(reservation.ok);
  store.settle(reservation.id, [1.5]);
  assert.deepEqual(store.peek('key|usd'), { used: 1.5, reserved: 0, credit: 0 });
  const second = store.reserve([line('key|usd', 10, 4)], 0, 1_000);
  assert.ok(second.ok);
  store.settle(second.id, [0]);
  assert.deepEqual(store.peek('key|usd'), { used: 1.5, reserved: 0, credit: 0 });
  // Settling twice is harmless.
  store.settle(second.id, [5]);
  assert.equal(store.peek('key|usd').used, 1.5);
});

test('an exhausted counter refuses even a zero-cost request; credit raises the ceiling', () => {
  const store = new MemorySpendStore();
  const reservation = store.reserve([line('key|usd', 1, 1)], 0, 1_000);
  assert.ok(reservation.ok);
  store.settle(reservation.id, [1]);
  assert.equal(store.reserve([line('key|usd', 1, 0)], 0, 1_000).ok, false);
  store.addCredit('key|usd', 10_000, 0.5);
  assert.equal(store.reserve([line('key|usd', 1, 0.5)], 0, 1_000).ok, true);
  assert.equal(store.reserve([line('key|usd', 1, 0.01)], 0, 1_000).ok, false);
});

test('reservations of crashed requests expire after their TTL and are charged their expiry amount', () => {
  const store = new MemorySpendStore();
  const crashed = store.reserve([line('key|usd', 10, 4, 4), line('key|concurrency', 1, 1, 0)], 0, 1_000);
  assert.ok(crashed.ok);
  assert.equal(store.reserve([line('key|concurrency', 1, 1, 0)], 0, 1_000).ok, false);
  store.sweep(999);
  assert.equal(store.pending, 1);
  store.sweep(1_000);
  assert.equal(store.pending, 0);
  assert.deepEqual(store.peek('key|usd'), { used: 4, reserved: 0, credit: 0 });
  assert.deepEqual(store.peek('key|concurrency'), { used: 0, reserved: 0, credit: 0 });
  assert.equal(store.reserve([line('key|concurrency', 1, 1, 0)], 1_000, 1_000).ok, true);
});

test('reset zeroes a scope and its sub-scopes only; ended windows are forgotten once flushed', () => {
  const store = new MemorySpendStore();
  for (const name of ['key:k1|usd', 'key:k1/provider:p|usd', 'key:k10|usd']) {
    const reservation = store.reserve([line(name, 10, 2)], 0, 1_000);
    assert.ok(reservation.ok);
    store.settle(reservation.id, [2]);
  }
  store.resetScope('key:k1');
  assert.equal(store.peek('key:k1|usd').used, 0);
  assert.equal(store.peek('key:k1/provider:p|usd').used, 0);
  assert.equal(store.peek('key:k10|usd').used, 2);
  assert.equal(store.takeChanged().length, 3);
  assert.equal(store.takeChanged().length, 0);
  store.sweep(10_000);
  assert.equal(store.peek('key:k10|usd').used, 0);
});

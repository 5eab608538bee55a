import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestIdFrom, timeOrderedId } from '../../src/server/request-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('made request ids are UUID version 7: the creation time in milliseconds, then random bits', () => {
  const at = Date.parse('2026-11-30T05:00:00.000Z');
  const id = timeOrderedId(at);
  assert.match(id, UUID_V7);
  assert.equal(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at);
  assert.notEqual(timeOrderedId(at), id, 'the random part differs between ids of the same millisecond');
});

test('ids made later sort later, so a log index on them grows at its end', () => {
  const ids = [0, 1, 255, 256, 60_000, 86_400_000].map((offset) => timeOrderedId(1_700_000_000_000 + offset));
  assert.deepEqual([...ids].sort(), ids);
});

test("the caller's x-request-id is kept when it is a sane token, replaced otherwise", () => {
  assert.equal(requestIdFrom('trace-42.a:b'), 'trace-42.a:b');
  assert.equal(requestIdFrom(['first', 'second']), 'first');
  assert.match(requestIdFrom('has spaces'), UUID_V7);
  assert.match(requestIdFrom('x'.repeat(129)), UUID_V7);
  assert.match(requestIdFrom(undefined), UUID_V7);
});

test('ids of the same millisecond are unique and every random position takes every value it may', () => {
  const at = Date.parse('2026-11-30T06:00:00.000Z');
  const ids = Array.from({ length: 20_000 }, () => timeOrderedId(at));
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, UUID_V7);
  // Positions 15–17, 20–22 and 24–35 are random hex; 19 is the variant (8, 9, a or b).
  const randomPositions = [15, 16, 17, 20, 21, 22, ...Array.from({ length: 12 }, (_, index) => 24 + index)];
  for (const position of randomPositions) assert.equal(new Set(ids.map((id) => id[position])).size, 16, `position ${position}`);
  assert.deepEqual([...new Set(ids.map((id) => id[19]))].sort(), ['8', '9', 'a', 'b']);
});

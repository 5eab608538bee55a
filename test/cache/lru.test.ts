import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lru } from '../../src/cache/lru.js';

/** The use-ordered map under the exact stores, against a plain model of the same order (an array). */

test('get and set make an entry the most recent, peek does not; past capacity the least recently used goes', () => {
  const evicted: string[] = [];
  const lru = new Lru<string, number>(3, (key) => evicted.push(key));
  lru.set('a', 1);
  lru.set('b', 2);
  lru.set('c', 3);
  assert.equal(lru.get('a'), 1);
  assert.equal(lru.peek('b'), 2);
  lru.set('d', 4);
  assert.deepEqual(evicted, ['b']);
  assert.deepEqual([...lru.entries()], [['c', 3], ['a', 1], ['d', 4]]);
  lru.set('c', 30);
  assert.deepEqual([...lru.entries()].map(([key]) => key), ['a', 'd', 'c']);
  assert.equal(lru.delete('d'), true);
  assert.equal(lru.delete('d'), false);
  assert.deepEqual([...lru.entries()], [['a', 1], ['c', 30]]);
  lru.clear();
  assert.equal(lru.size, 0);
  assert.deepEqual([...lru.entries()], []);
  lru.set('e', 5);
  assert.deepEqual([...lru.entries()], [['e', 5]]);
});

test('random uses keep the same order and evictions as a model', () => {
  let state = 7;
  const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const evicted: number[] = [];
  const expectedEvicted: number[] = [];
  const lru = new Lru<number, number>(50, (key) => evicted.push(key));
  let model: number[] = [];
  for (let step = 0; step < 20_000; step++) {
    const key = Math.floor(random() * 120);
    const action = random();
    if (action < 0.4) {
      const found = lru.get(key);
      assert.equal(found !== undefined, model.includes(key));
      if (found !== undefined) model = [...model.filter((item) => item !== key), key];
    } else if (action < 0.9) {
      lru.set(key, step);
      model = [...model.filter((item) => item !== key), key];
      while (model.length > 50) expectedEvicted.push(model.shift()!);
    } else {
      assert.equal(lru.delete(key), model.includes(key));
      model = model.filter((item) => item !== key);
    }
  }
  assert.deepEqual([...lru.entries()].map(([key]) => key), model);
  assert.deepEqual(evicted, expectedEvicted);
  assert.equal(lru.size, model.length);
});

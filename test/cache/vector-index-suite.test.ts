import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HnswVectorIndex } from '../../src/cache/hnsw-vector-index.js';
import { connectQdrant, pointId, QdrantVectorIndex } from '../../src/cache/qdrant-vector-index.js';
import type { VectorIndex, VectorMeta } from '../../src/cache/vector-index.js';
import { startQdrantFake, type QdrantFake } from '../fakes/qdrant-fake.js';
import { direction } from './embedding-fake.js';
import { tempDbPath } from './helpers.js';

/** One conformance suite for the semantic layer's vector indexes: the embedded HNSW index, and the Qdrant adapter against a fake of Qdrant's REST contract. */

const NOW = Date.parse('2026-05-01T00:00:00Z');
const meta = (entryId: string, namespace: string, filter = 'f', expiresAt = NOW + 60_000): VectorMeta => ({ entryId, namespace, filter, expiresAt });
const id = (n: number) => n.toString(16).padStart(64, '0');

let qdrant: QdrantFake;
before(async () => {
  qdrant = await startQdrantFake();
});
after(async () => {
  await qdrant.close();
});

let collections = 0;
const subjects: [name: string, open: () => Promise<VectorIndex>][] = [
  ['embedded (hnswlib)', () => HnswVectorIndex.open(8, 1000, undefined)],
  ['qdrant', async () => new QdrantVectorIndex(await connectQdrant(qdrant.url, undefined), `suite_${++collections}`, 8)],
];

for (const [name, open] of subjects) {
  describe(`vector index: ${name}`, () => {
    test('the nearest vector with the same filter, with its cosine similarity', async () => {
      const index = await open();
      await index.add(direction(0), meta(id(1), 'key:a'));
      await index.add(direction(2), meta(id(2), 'key:a'));
      await index.add(direction(0, 0.99), meta(id(3), 'key:a', 'other-filter'));
      const hit = await index.search(direction(0, 0.95), 'f', NOW);
      assert.equal(hit?.meta.entryId, id(1));
      assert.ok(Math.abs(hit!.similarity - 0.95) < 1e-3, String(hit?.similarity));
      assert.equal((await index.search(direction(2), 'f', NOW))?.meta.entryId, id(2));
      assert.equal((await index.search(direction(0), 'missing-filter', NOW)), undefined);
      assert.equal(await index.size(), 3);
    });

    test('expired vectors never match; a vector of another dimension is ignored', async () => {
      const index = await open();
      await index.add(direction(0), meta(id(10), 'key:a', 'f', NOW + 10));
      assert.ok(await index.search(direction(0), 'f', NOW));
      assert.equal(await index.search(direction(0), 'f', NOW + 10), undefined);
      await index.add([1, 0, 0], meta(id(11), 'key:a'));
      assert.equal(await index.search([1, 0, 0], 'f', NOW), undefined);
    });

    test('an entry stored again replaces its vector', async () => {
      const index = await open();
      await index.add(direction(0), meta(id(20), 'key:a'));
      await index.add(direction(4), meta(id(20), 'key:a'));
      assert.equal(await index.size(), 1);
      const hit = await index.search(direction(4), 'f', NOW);
      assert.equal(hit?.meta.entryId, id(20));
      assert.ok(hit!.similarity > 0.999);
    });

    test('forget one entry, a namespace with its sub-namespaces, or all', async () => {
      const index = await open();
      await index.add(direction(0), meta(id(30), 'key:a'));
      await index.add(direction(1), meta(id(31), 'key:a/sub'));
      await index.add(direction(2), meta(id(32), 'key:ab'));
      await index.add(direction(3), meta(id(33), 'team:t'));
      await index.forget({ id: id(33) });
      assert.equal(await index.search(direction(3), 'f', NOW).then((hit) => hit?.meta.entryId === id(33)), false);
      await index.forget({ namespace: 'key:a' });
      assert.equal(await index.size(), 1);
      assert.equal((await index.search(direction(2), 'f', NOW))?.meta.entryId, id(32));
      await index.forget({});
      assert.equal(await index.size(), 0);
      assert.equal(await index.search(direction(2), 'f', NOW), undefined);
    });
  });
}

test('embedded: past max_elements the oldest vectors make room; the index grows as it fills', async () => {
  const index = await HnswVectorIndex.open(8, 3, undefined);
  for (let n = 0; n < 5; n++) await index.add(direction(n), meta(id(100 + n), 'key:a'));
  assert.equal(index.size(), 3);
  assert.equal((await index.search(direction(0), 'f', NOW))?.meta.entryId === id(100), false, 'the oldest went');
  assert.equal((await index.search(direction(4), 'f', NOW))?.meta.entryId, id(104));
  const grown = await HnswVectorIndex.open(8, 5000, undefined);
  for (let n = 0; n < 2000; n++) await grown.add(direction(n % 8, 0.5 + (n % 50) / 100), meta(id(1000 + n), 'key:a'));
  assert.equal(grown.size(), 2000);
});

test('embedded: written at close and read back beside the SQLite file; another dimension starts empty', async () => {
  const path = `${await tempDbPath()}.cache-test-8.hnsw`;
  const saved = (intervalMs = 60_000) => ({ path, intervalMs, onError: (error: unknown) => assert.fail(String(error)) });
  const index = await HnswVectorIndex.open(8, 100, saved());
  await index.add(direction(0), meta(id(200), 'key:a'));
  await index.add(direction(2), meta(id(201), 'key:b'));
  await index.close();
  const reopened = await HnswVectorIndex.open(8, 100, saved());
  assert.equal(reopened.size(), 2);
  assert.equal((await reopened.search(direction(2), 'f', NOW))?.meta.entryId, id(201));
  await reopened.add(direction(4), meta(id(202), 'key:a'));
  assert.equal((await reopened.search(direction(4), 'f', NOW))?.meta.entryId, id(202), 'labels go on after the saved ones');
  assert.equal((await reopened.search(direction(0), 'f', NOW))?.meta.entryId, id(200));
  const other = await HnswVectorIndex.open(16, 100, saved());
  assert.equal(other.size(), 0);
});

test('embedded: saved within the interval after a change, without a close: a crash loses at most the last interval', async () => {
  const path = `${await tempDbPath()}.cache-crash-8.hnsw`;
  const persistence = { path, intervalMs: 20, onError: (error: unknown) => assert.fail(String(error)) };
  const running = await HnswVectorIndex.open(8, 100, persistence);
  await running.add(direction(1), meta(id(400), 'key:a'));
  await running.add(direction(3), meta(id(401), 'key:a'));
  // The save the changes scheduled (not a close): what a process killed now would leave on disk.
  while (!existsSync(`${path}.json`)) await new Promise((resolve) => setTimeout(resolve, 10));
  await running.flush();
  const afterCrash = await HnswVectorIndex.open(8, 100, persistence);
  assert.equal(afterCrash.size(), 2);
  assert.equal((await afterCrash.search(direction(3), 'f', NOW))?.meta.entryId, id(401));
  // Changes after the save go on being saved; a forget is a change too.
  await running.forget({ id: id(400) });
  await running.add(direction(5), meta(id(402), 'key:a'));
  await running.flush();
  const later = await HnswVectorIndex.open(8, 100, persistence);
  assert.equal(later.size(), 2);
  assert.equal((await later.search(direction(5), 'f', NOW))?.meta.entryId, id(402));
  assert.notEqual((await later.search(direction(1), 'f', NOW))?.meta.entryId, id(400), 'the forgotten vector stays forgotten');
});

test('qdrant: the adapter creates a cosine collection of the dimension and speaks the documented paths', async () => {
  const index = new QdrantVectorIndex(await connectQdrant(qdrant.url, undefined), 'contract_check', 8);
  await index.add(direction(0), meta(id(300), 'key:a/sub'));
  const collection = qdrant.collections.get('contract_check')!;
  assert.deepEqual({ size: collection.size, distance: collection.distance }, { size: 8, distance: 'Cosine' });
  const point = collection.points.get(pointId(id(300)))!;
  assert.deepEqual(point.payload, { entry_id: id(300), namespace: 'key:a/sub', namespaces: ['key:a', 'key:a/sub'], filter: 'f', expires_at: NOW + 60_000 });
  await index.search(direction(0), 'f', NOW);
  assert.ok(qdrant.requests.includes('GET /collections/contract_check/exists'));
  assert.ok(qdrant.requests.includes('PUT /collections/contract_check'));
  assert.ok(qdrant.requests.includes('PUT /collections/contract_check/points'));
  assert.ok(qdrant.requests.includes('POST /collections/contract_check/points/query'));
});

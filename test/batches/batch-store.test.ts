import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BatchStore } from '../../src/batches/batch-store.js';
import { openBatchStore } from '../../src/batches/open-batch-store.js';
import type { BatchRecord } from '../../src/batches/records.js';
import { openStorage, type Storage } from '../../src/storage/storage.js';
import { freshSchema } from '../observability/postgres.js';

/** One suite, every backend the files and batches store runs on: SQLite, PostgreSQL (a fresh schema) and memory. */

interface Backend {
  storage: Storage;
  cleanup(): Promise<void>;
}

const BACKENDS: Record<string, () => Promise<Backend>> = {
  sqlite: async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tollgate-batch-store-'));
    const storage = await openStorage({ type: 'sqlite', path: join(directory, 'gateway.db') });
    return {
      storage,
      cleanup: async () => {
        await storage.close();
        await rm(directory, { recursive: true, force: true });
      },
    };
  },
  postgres: async () => {
    const schema = await freshSchema('batches');
    const storage = await openStorage({ type: 'postgres', path: '', url: schema.url });
    return {
      storage,
      cleanup: async () => {
        await storage.close();
        await schema.drop();
      },
    };
  },
  memory: async () => {
    const storage = await openStorage({ type: 'memory', path: '' });
    return { storage, cleanup: () => storage.close() };
  },
};

function batch(id: string, owner: string, status: string): BatchRecord {
  return { id, owner, team: 't1', principal: { keyId: owner, teamId: 't1' }, provider: 'gateway', mode: 'gateway', object: { id, object: 'batch', status }, worstUsd: 0.5, settled: false, createdAt: Date.now() };
}

for (const [name, open] of Object.entries(BACKENDS)) {
  describe(`files and batches store: ${name}`, () => {
    let backend: Backend;
    let store: BatchStore;
    before(async () => {
      backend = await open();
      store = await openBatchStore(backend.storage);
    });
    after(() => backend.cleanup());

    test('files are found by id and listed per owner, with the team when asked', async () => {
      await store.putFile({ id: 'f1', owner: 'k1', team: 't1', provider: 'openai', object: { id: 'f1', purpose: 'batch' }, createdAt: 1, summary: { url: '/v1/chat/completions', lines: [{ model: 'm', inputTokens: 3, maxOutputTokens: undefined }] } });
      await store.putFile({ id: 'f2', owner: 'k2', team: 't1', provider: 'gateway', object: { id: 'f2' }, createdAt: 2 });
      await store.putFile({ id: 'f3', owner: 'k3', team: null, provider: 'gateway', object: { id: 'f3' }, createdAt: 3 });
      const found = await store.getFile('f1');
      assert.equal(found?.owner, 'k1');
      assert.equal(found?.summary?.lines[0]?.inputTokens, 3);
      assert.equal(await store.getFile('nope'), undefined);
      assert.deepEqual((await store.listFiles({ owner: 'k1' })).map((file) => file.id), ['f1']);
      assert.deepEqual((await store.listFiles({ owner: 'k1', team: 't1' })).map((file) => file.id), ['f2', 'f1']);
      await store.deleteFile('f1');
      assert.equal(await store.getFile('f1'), undefined);
    });

    test("a kept file's content is stored in chunks and read back byte for byte", async () => {
      const content = randomBytes(2.5 * 1024 * 1024);
      async function* pieces(): AsyncIterable<Buffer> {
        for (let start = 0; start < content.length; start += 100_000) yield content.subarray(start, start + 100_000);
      }
      assert.equal(await store.writeContent('big', pieces()), content.length);
      const read: Buffer[] = [];
      for await (const chunk of store.readContent('big')) read.push(chunk);
      assert.ok(read.length >= 3, `${read.length} chunks`);
      assert.deepEqual(Buffer.concat(read), content);
      await store.deleteFile('big');
      const none: Buffer[] = [];
      for await (const chunk of store.readContent('big')) none.push(chunk);
      assert.equal(none.length, 0);
    });

    test('batches: upserted, listed per owner, lines finished once, settlement claimed once, unfinished ones found', async () => {
      const record = batch('b1', 'k1', 'in_progress');
      await store.putBatch(record);
      await store.putBatch(batch('b2', 'k2', 'completed'));
      await store.addLines('b1', [
        { index: 0, customId: 'a', body: '{}', state: 'pending', output: null },
        { index: 1, customId: 'b', body: '{}', state: 'pending', output: null },
      ]);
      assert.equal(await store.finishLine('b1', 0, 'done', '{"ok":true}'), true);
      assert.equal(await store.finishLine('b1', 0, 'failed', '{"ok":false}'), false, 'a finished line stays as it finished');
      assert.deepEqual((await store.lines('b1', 'pending')).map((line) => line.customId), ['b']);
      assert.equal((await store.lines('b1'))[0]!.output, '{"ok":true}');
      assert.deepEqual((await store.unfinishedGatewayBatches()).map((found) => found.id), ['b1']);
      record.object.status = 'completed';
      await store.putBatch(record);
      assert.equal((await store.getBatch('b1'))?.object.status, 'completed');
      assert.deepEqual((await store.getBatch('b1'))?.principal, { keyId: 'k1', teamId: 't1' });
      assert.deepEqual((await store.listBatches({ owner: 'k2' })).map((found) => found.id), ['b2']);
      assert.equal(await store.claimSettlement('b1'), true);
      assert.equal(await store.claimSettlement('b1'), false);
      await store.unclaimSettlement('b1');
      assert.equal(await store.claimSettlement('b1'), true);
    });
  });
}

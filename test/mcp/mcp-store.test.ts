import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { openMcpStore } from '../../src/mcp/server-store.js';
import { Sealer } from '../../src/lib/sealer.js';
import { openStorage, type Storage } from '../../src/storage/storage.js';
import { POSTGRES_URL } from '../observability/postgres.js';

/** The same checks on every backend the MCP module stores on: memory, the SQLite file, PostgreSQL. */
async function conformance(storage: Storage, other?: Storage): Promise<void> {
  const store = openMcpStore(storage);
  assert.equal(await store.revision(), 0);
  assert.deepEqual(await store.servers(), []);
  const first = await store.putServer('a', '{"transport":"stdio"}');
  const second = await store.putServer('b', '{"transport":"http"}');
  assert.ok(second > first);
  const deleted = await store.putServer('a', null);
  assert.ok(deleted > second);
  assert.equal(await store.revision(), deleted);
  assert.deepEqual(
    (await store.servers()).map((row) => [row.name, row.config, row.revision]),
    [
      ['a', null, deleted],
      ['b', '{"transport":"http"}', second],
    ],
  );
  assert.equal(await store.oauth('b'), undefined);
  await store.putOAuth('b', 'one');
  await store.putOAuth('b', 'two');
  assert.equal(await store.oauth('b'), 'two');
  await store.putOAuth('b', null);
  assert.equal(await store.oauth('b'), undefined);
  if (other !== undefined) {
    // Another replica's store on the same storage sees every write, its revision included.
    const replica = openMcpStore(other);
    assert.equal(await replica.revision(), deleted);
    const next = await replica.putServer('c', 'x');
    assert.equal(await store.revision(), next);
  }
}

test('the MCP store in memory', async () => {
  await conformance(await openStorage({ type: 'memory', path: '' }));
});

test('the MCP store in the SQLite file, shared by two connections', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-mcp-store-'));
  const path = join(directory, 'tollgate.db');
  const one = await openStorage({ type: 'sqlite', path });
  const two = await openStorage({ type: 'sqlite', path });
  try {
    await conformance(one, two);
  } finally {
    await one.close();
    await two.close();
    await rm(directory, { recursive: true, force: true });
  }
});

test('the MCP store in PostgreSQL, shared by two pools', async () => {
  const schema = `mcp_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const one = await openStorage({ type: 'postgres', path: '', url: url.toString() });
  const two = await openStorage({ type: 'postgres', path: '', url: url.toString() });
  try {
    await conformance(one, two);
  } finally {
    await one.close();
    await two.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
});

test('the sealer: AES-256-GCM with a fresh nonce each time; another key or a changed byte cannot open it', () => {
  const sealer = new Sealer('k'.repeat(40));
  const sealed = sealer.seal('secret text');
  assert.match(sealed, /^aes256gcm:/);
  assert.ok(!sealed.includes('secret'));
  assert.notEqual(sealer.seal('secret text'), sealed);
  assert.equal(sealer.open(sealed), 'secret text');
  assert.throws(() => new Sealer('o'.repeat(40)).open(sealed));
  const bytes = Buffer.from(sealed.slice('aes256gcm:'.length), 'base64');
  bytes[bytes.length - 1]! ^= 1;
  assert.throws(() => sealer.open(`aes256gcm:${bytes.toString('base64')}`));
  assert.throws(() => new Sealer(undefined).open(sealed), /encryption_key/);
  assert.equal(new Sealer(undefined).seal('plain'), 'plain');
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { AuditLog } from '../../src/observability/audit/audit-log.js';
import type { AuditStore } from '../../src/observability/audit/audit-store.js';
import { MemoryAuditStore } from '../../src/observability/audit/memory-audit-store.js';
import { SqlAuditStore } from '../../src/observability/audit/sql-audit-store.js';
import { verifyChain } from '../../src/observability/audit/verify-chain.js';
import { postgresDatabase, sqliteDatabase } from '../../src/storage/sql-database.js';
import { createLogger } from '../../src/lib/logger.js';
import { startGateway } from '../helpers/gateway.js';
import { ADMIN_TOKEN, adminGet } from './admin-client.js';
import { dropTables, POSTGRES_URL, uniquePrefix } from './postgres.js';

const run = promisify(execFile);
const CLI = resolve(new URL('../../../bin/tollgate.js', import.meta.url).pathname);
const silent = createLogger({ level: 'silent' });

interface Backend {
  store: AuditStore;
  /** Runs raw SQL against the store's table (`{table}` is replaced), to tamper with it. */
  tamper(sql: string): Promise<void>;
  cleanup(): Promise<void>;
}

const backends: Record<string, () => Promise<Backend | undefined>> = {
  sqlite: async () => {
    const db = new Database(':memory:');
    return { store: new SqlAuditStore(sqliteDatabase(db)), tamper: async (sql) => void db.exec(sql.replaceAll('{table}', 'tollgate_audit_log')), cleanup: async () => void db.close() };
  },
  postgres: async () => {
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
    const prefix = uniquePrefix();
    return {
      store: new SqlAuditStore(postgresDatabase(pool), prefix),
      tamper: async (sql) => void (await pool.query(sql.replaceAll('{table}', `${prefix}audit_log`))),
      cleanup: async () => {
        await dropTables(pool, prefix);
        await pool.end();
      },
    };
  },
};

for (const [name, open] of Object.entries(backends)) {
  describe(`audit chain: ${name}`, () => {
    let backend: Backend;
    let audit: AuditLog;
    before(async () => {
      backend = (await open())!;
      await backend.store.migrate();
      audit = new AuditLog(backend.store, silent);
    });
    after(() => backend.cleanup());

    test('appends in order, links each entry to the previous one, and never stores secrets', async () => {
      audit.append({ actor: 'admin', action: 'virtual_key.create', target: 'key-1', details: { name: 'ci', api_key: 'test-key-openai-value', nested: { token: 'abc123' } } });
      audit.append({ actor: 'admin', action: 'virtual_key.update', target: 'key-1', details: { budget: 10 } });
      audit.append({ actor: 'key:key-1', action: 'request.blocked', target: 'key-1', details: { reason: 'budget_exceeded', note: 'Bearer abcdefghijklmnopqrstuvwxyz' } });
      await audit.flush();
      const entries = await backend.store.list({ limit: 10 });
      assert.deepEqual(entries.map((entry) => [entry.seq, entry.action]), [
        [1, 'virtual_key.create'],
        [2, 'virtual_key.update'],
        [3, 'request.blocked'],
      ]);
      assert.equal(entries[1]!.prev_hash, entries[0]!.hash);
      assert.equal(entries[2]!.prev_hash, entries[1]!.hash);
      const text = JSON.stringify(entries);
      assert.ok(!text.includes('test-key-openai-value') && !text.includes('abc123') && !text.includes('abcdefghijklmnop'), text);
      assert.deepEqual(await verifyChain(backend.store.pages(2)), { ok: true, entries: 3, firstBadSeq: null, reason: null, head: { seq: 3, hash: entries[2]!.hash } });
      assert.deepEqual((await backend.store.list({ limit: 10, action: 'request.blocked' })).map((entry) => entry.seq), [3]);
      assert.deepEqual((await backend.store.list({ limit: 1, order: 'desc' })).map((entry) => entry.seq), [3]);
    });

    test('newest entries removed are found against a head recorded earlier', async () => {
      audit.append({ actor: 'admin', action: 'team.create', target: 'team-1' });
      audit.append({ actor: 'admin', action: 'team.delete', target: 'team-1' });
      const head = (await audit.verify()).head!;
      assert.equal(head.seq, 5);
      await backend.tamper('delete from {table} where seq >= 4');
      // The shortened chain is consistent in itself ...
      const alone = await audit.verify();
      assert.deepEqual([alone.ok, alone.entries, alone.head?.seq], [true, 3, 3]);
      // ... but no longer reaches the recorded head.
      const against = await audit.verify(head);
      assert.deepEqual([against.ok, against.firstBadSeq], [false, 4]);
      assert.match(against.reason!, /entries 4 to 5 are missing/);
      const otherHash = await audit.verify({ seq: 3, hash: 'f'.repeat(64) });
      assert.deepEqual([otherHash.ok, otherHash.firstBadSeq], [false, 3]);
      assert.match(otherHash.reason!, /not the recorded head/);
    });

    test('an altered row is reported by seq', async () => {
      await backend.tamper(`update {table} set details = '{"budget":1000}' where seq = 2`);
      const verdict = await audit.verify();
      assert.equal(verdict.ok, false);
      assert.equal(verdict.firstBadSeq, 2);
      assert.match(verdict.reason!, /altered/);
    });

    test('a deleted row is reported as missing', async () => {
      await backend.tamper('delete from {table} where seq = 2');
      const verdict = await audit.verify();
      assert.equal(verdict.firstBadSeq, 2);
      assert.match(verdict.reason!, /missing/);
    });
  });
}

test('an append whose COMMIT went through but whose answer was lost is not in the chain twice when the audit log tries it again', async () => {
  const db = new Database(':memory:');
  const database = sqliteDatabase(db);
  // As a PostgreSQL stopped right after COMMIT: the batch is stored, the caller hears a failure.
  let loseNextAnswer = false;
  const store = new SqlAuditStore({
    ...database,
    async transaction(work) {
      const result = await database.transaction(work);
      if (loseNextAnswer) {
        loseNextAnswer = false;
        throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      }
      return result;
    },
  });
  await store.migrate();
  const audit = new AuditLog(store, silent);
  loseNextAnswer = true;
  audit.append({ actor: 'admin', action: 'team.create', target: 'team-1' });
  audit.append({ actor: 'admin', action: 'team.update', target: 'team-1', details: { budget: 5 } });
  await audit.flush();
  audit.append({ actor: 'admin', action: 'team.delete', target: 'team-1' });
  await audit.flush();
  const entries = await store.list({ limit: 10 });
  assert.deepEqual(entries.map((entry) => [entry.seq, entry.action]), [
    [1, 'team.create'],
    [2, 'team.update'],
    [3, 'team.delete'],
  ]);
  assert.equal((await verifyChain(store.pages())).ok, true);
  db.close();
});

test('memory audit store: a rewritten entry breaks the link of the next one', async () => {
  const store = new MemoryAuditStore();
  const audit = new AuditLog(store, silent);
  for (const action of ['a.create', 'b.create', 'c.create']) audit.append({ actor: 'admin', action });
  await audit.flush();
  assert.equal((await audit.verify()).ok, true);
  // Rewrite entry 2 consistently (new hash), as a forger would: entry 3 no longer links to it.
  const { hashEntry } = await import('../../src/observability/audit/audit-entry.js');
  const forged = { ...store.entries[1]!, action: 'b.delete' };
  store.entries[1] = { ...forged, hash: hashEntry(forged, forged.prev_hash) };
  const verdict = await audit.verify();
  assert.equal(verdict.firstBadSeq, 3);
  assert.match(verdict.reason!, /does not link/);
});

describe('audit log through the gateway and the CLI', () => {
  let directory: string;
  let database: string;
  let configFile: string;

  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tollgate-audit-'));
    database = join(directory, 'gateway.db');
    configFile = join(directory, 'tollgate.yaml');
    await writeFile(configFile, `storage:\n  type: sqlite\n  path: ${JSON.stringify(database)}\nproviders:\n  mock:\n    type: mock\n`);
  });
  after(() => rm(directory, { recursive: true, force: true }));

  test('the config load is audited and the admin API verifies the chain', async () => {
    const running = await startGateway({ storage: { type: 'sqlite', path: database }, admin: { token: ADMIN_TOKEN }, providers: { mock: { type: 'mock', keys: [{ id: 'mock-key', value: 'test-key-mock-secret' }] } } });
    try {
      const listed = await adminGet<{ entries: { seq: number; action: string; actor: string; target: string; details: Record<string, unknown> }[] }>(running.url, '/admin/audit');
      assert.equal(listed.status, 200);
      const load = listed.body.entries.find((entry) => entry.action === 'config.load');
      assert.ok(load, listed.text);
      assert.equal(load.actor, 'config');
      assert.ok(!listed.text.includes('test-key-mock-secret'));
      assert.ok(!listed.text.includes(ADMIN_TOKEN));
      const verified = await adminGet<{ ok: boolean; entries: number; head_seq: number; head_hash: string }>(running.url, '/admin/audit/verify');
      assert.deepEqual({ ok: verified.body.ok, entries: verified.body.entries }, { ok: true, entries: listed.body.entries.length });
      const last = listed.body.entries[listed.body.entries.length - 1]!;
      assert.equal(verified.body.head_seq, last.seq);
      const beyond = await adminGet<{ ok: boolean; first_bad_seq: number }>(running.url, `/admin/audit/verify?expect_head=${last.seq + 5}:${verified.body.head_hash}`);
      assert.deepEqual([beyond.body.ok, beyond.body.first_bad_seq], [false, last.seq + 1]);
      const malformed = await adminGet<{ error: { param: string } }>(running.url, '/admin/audit/verify?expect_head=nope');
      assert.deepEqual([malformed.status, malformed.body.error.param], [400, 'expect_head']);
      assert.equal((await fetch(`${running.url}/admin/audit`)).status, 401);
    } finally {
      await running.close();
    }
  });

  test('`tollgate audit verify` exits 0 on an intact chain and 1 naming the first tampered entry', async () => {
    // A second start appends a second config.load entry.
    const again = await startGateway({ storage: { type: 'sqlite', path: database }, providers: { mock: { type: 'mock' } } });
    await again.close();
    const intact = await run(process.execPath, [CLI, 'audit', 'verify', '--config', configFile]);
    assert.match(intact.stdout, /intact: 2 entries/);
    const head = /head (\d+:[0-9a-f]{64})/.exec(intact.stdout)![1]!;
    assert.match(head, /^2:/);
    const withHead = await run(process.execPath, [CLI, 'audit', 'verify', '--config', configFile, '--expect-head', head]);
    assert.match(withHead.stdout, /intact: 2 entries/);
    const malformed = await run(process.execPath, [CLI, 'audit', 'verify', '--config', configFile, '--expect-head', 'latest']).then(
      () => assert.fail('expected a non-zero exit'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /--expect-head/);

    const db = new Database(database);
    db.prepare("update tollgate_audit_log set actor = 'mallory' where seq = 2").run();
    db.close();
    const tampered = await run(process.execPath, [CLI, 'audit', 'verify', '--config', configFile]).then(
      () => assert.fail('expected a non-zero exit'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /first bad entry seq 2/);

    // Cutting the newest entry leaves a consistent chain; only the recorded head shows the loss.
    const cut = new Database(database);
    cut.prepare('delete from tollgate_audit_log where seq = 2').run();
    cut.close();
    assert.match((await run(process.execPath, [CLI, 'audit', 'verify', '--config', configFile])).stdout, /intact: 1 entries/);
    const truncated = await run(process.execPath, [CLI, 'audit', 'verify', '--config', configFile, '--expect-head', head]).then(
      () => assert.fail('expected a non-zero exit'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(truncated.code, 1);
    assert.match(truncated.stderr, /first bad entry seq 2: entries 2 to 2 are missing/);
  });

  test('`tollgate audit verify` exits 2 on a config it cannot load', async () => {
    const failed = await run(process.execPath, [CLI, 'audit', 'verify', '--config', join(directory, 'missing.yaml')]).then(
      () => assert.fail('expected a non-zero exit'),
      (error: { code: number }) => error,
    );
    assert.equal(failed.code, 2);
  });
});

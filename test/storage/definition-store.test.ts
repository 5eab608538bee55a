import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freshSchema } from '../observability/postgres.js';
import { openDefinitionStore } from '../../src/storage/definition-store.js';
import { openStorage, type Storage } from '../../src/storage/storage.js';

/**
 * Replicas poll `revision()` and re-read the definitions when it changed. Two replicas writing at
 * the same moment take the same next revision; the poll must still see the second commit, which
 * with the highest revision as the poll's number it did not (the highest was already seen).
 */
async function checkEveryCommitMoves(storage: Storage): Promise<void> {
  const writer = openDefinitionStore(storage, 'routing_providers');
  const before = await writer.revision();
  const first = await writer.put('alpha', '{"type":"openai"}', 'admin');
  const afterFirst = await writer.revision();
  assert.ok(afterFirst > before);

  // What a concurrent writer leaves: another name with the same revision as the write already seen.
  if (storage.kind === 'sqlite') storage.db.prepare(`insert into routing_providers (name, definition, revision, updated_by, updated_at) values ('beta', '{}', ?, 'admin', 'now')`).run(first);
  if (storage.kind === 'postgres') await storage.pool.query(`insert into routing_providers (name, definition, revision, updated_by, updated_at) values ('beta', '{}', $1, 'admin', 'now')`, [first]);
  const afterConcurrent = await writer.revision();
  assert.ok(afterConcurrent > afterFirst, 'a second commit with a revision already seen still moves revision()');

  // The same name written again by a writer that computed its revision before the first committed:
  // it goes above the row's own revision, so the poll sees it too.
  await writer.put('beta', '{"type":"anthropic"}', 'admin');
  assert.ok((await writer.revision()) > afterConcurrent);
  assert.equal((await writer.rows()).find((row) => row.name === 'beta')?.definition, '{"type":"anthropic"}');
}

test('definition store on SQLite: every committed write moves revision()', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-definitions-'));
  const storage = await openStorage({ type: 'sqlite', path: join(directory, 'tollgate.db') });
  try {
    await checkEveryCommitMoves(storage);
  } finally {
    await storage.close();
    await rm(directory, { recursive: true, force: true });
  }
});

test('definition store on PostgreSQL: every committed write moves revision()', async () => {
  const schema = await freshSchema('definitions');
  const storage = await openStorage({ type: 'postgres', path: '', url: schema.url });
  try {
    await checkEveryCommitMoves(storage);
  } finally {
    await storage.close();
    await schema.drop();
  }
});

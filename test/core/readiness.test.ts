import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { READINESS_CHECK_TIMEOUT_MS } from '../../src/server/health-routes.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { TcpRelay } from '../helpers/tcp-relay.js';
import { POSTGRES_URL, uniquePrefix } from '../observability/postgres.js';

/**
 * `GET /ready` follows storage: a gateway on PostgreSQL reached through a loopback TCP relay the
 * test can cut and restore, in a schema of its own so parallel runs never share tables.
 */

const upstream = new URL(POSTGRES_URL);
const schema = `ready_${uniquePrefix()}`;
const relay = new TcpRelay(upstream.hostname, Number(upstream.port || 5432));
let admin: pg.Pool;
let running: RunningGateway;

async function readiness(): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  // Bounded, so a probe that never answers fails the test instead of hanging it.
  const response = await fetch(`${running.url}/ready`, { signal: AbortSignal.timeout(READINESS_CHECK_TIMEOUT_MS + 3_000) });
  return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, string> } };
}

before(async () => {
  admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  // Installed where every test's default search path sees it, before this gateway's migrations could put it in its own schema.
  await admin.query('create extension if not exists pg_trgm').catch(() => undefined);
  await admin.query(`create schema "${schema}"`);
  await relay.open();
  const url = new URL(POSTGRES_URL);
  url.host = `127.0.0.1:${relay.port}`;
  // `public` stays on the path for extensions the request log uses (pg_trgm's operator classes).
  url.searchParams.set('options', `-c search_path=${schema},public`);
  running = await startGateway({ storage: { type: 'postgres', url: url.toString() }, providers: { mock: { type: 'mock', models: ['m'] } } });
});

after(async () => {
  await running?.close();
  await relay.cut().catch(() => undefined);
  await admin.query(`drop schema "${schema}" cascade`);
  await admin.end();
});

test('ready while storage answers; 503 naming storage while it cannot be reached; ready again once it is back', async () => {
  const ready = await readiness();
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.body.checks.storage, 'ok');

  await relay.cut();
  const down = await readiness();
  assert.equal(down.status, 503);
  assert.equal(down.body.status, 'not_ready');
  assert.notEqual(down.body.checks.storage, 'ok');
  // Liveness is not readiness: the process itself is fine.
  assert.equal((await fetch(`${running.url}/health`)).status, 200);

  await relay.open();
  assert.equal((await readiness()).status, 200);
});

test('a storage that holds its connections but does not answer makes /ready 503 within its bound, naming it; ready again once it answers', async () => {
  assert.equal((await readiness()).status, 200);
  relay.stall();
  try {
    const started = Date.now();
    const stalled = await readiness();
    const took = Date.now() - started;
    assert.equal(stalled.status, 503);
    assert.equal(stalled.body.checks.storage, `no answer within ${READINESS_CHECK_TIMEOUT_MS} ms`);
    assert.ok(took < READINESS_CHECK_TIMEOUT_MS + 1_000, `answered in ${took} ms`);
  } finally {
    relay.resume();
  }
  assert.equal((await readiness()).status, 200);
});

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { REDIS_URL } from '../governance/redis.js';
import { ADMIN_TOKEN, adminCall, chatStatus, observedWithin, PROVIDERS, replicaConfig, sharedState, startReplicas } from './replicas.js';

const KEYS = [
  { id: 'alpha', value: 'vk-test-' + 'alpha-key', models: ['*'], team: 'blue' },
  { id: 'beta', value: 'vk-test-' + 'beta-key', models: ['*'], customer: 'acme' },
  { id: 'gamma', value: 'vk-test-' + 'gamma-key', models: ['*'] },
];
const ENTITIES = { customers: [{ id: 'acme', budgets: [] }], teams: [{ id: 'blue', customer: 'acme', budgets: [] }], virtual_keys: KEYS };

test('three replicas starting together seed the config entities once', async () => {
  const shared = await sharedState();
  const replicas = await startReplicas(3, replicaConfig(shared, ENTITIES));
  try {
    const { rows } = await shared.pool.query<{ kind: string; id: string; version: string }>('SELECT kind, id, version FROM governance_entities ORDER BY kind, id');
    assert.deepEqual(
      rows.map((row) => [row.kind, row.id, Number(row.version)]),
      [
        ['customer', 'acme', 1],
        ['team', 'blue', 1],
        ['virtual_key', 'alpha', 1],
        ['virtual_key', 'beta', 1],
        ['virtual_key', 'gamma', 1],
      ],
    );
    // One revision per entity written (the table starts at 1): no replica wrote one twice.
    assert.equal(Number((await shared.pool.query<{ revision: string }>('SELECT revision FROM governance_revision')).rows[0]!.revision), 1 + rows.length);
    for (const replica of replicas) for (const key of KEYS) assert.equal((await chatStatus(replica, key.value)).status, 200);
  } finally {
    await Promise.all(replicas.map((replica) => replica.close()));
    await shared.drop();
  }
});

test('a config reload on one replica brings its changed config entities to the others within a second; reloading the same file there changes nothing', async (t) => {
  const shared = await sharedState();
  let current: Record<string, unknown> = replicaConfig(shared, ENTITIES);
  const replicas = await startReplicas(3, current, () => current);
  const [a, b] = replicas as [RunningGateway, RunningGateway, RunningGateway];
  try {
    // The file changes: gamma gets a budget smaller than one request, beta leaves the config.
    current = replicaConfig(shared, { ...ENTITIES, virtual_keys: [KEYS[0], { ...KEYS[2], budgets: [{ max_usd: 0.000001 }] }] });
    const reloaded = await adminCall(a, 'POST', '/admin/reload');
    const since = performance.now();
    assert.equal(reloaded.status, 200);
    const latencies: number[] = [];
    for (const replica of replicas.slice(1)) {
      const ms = await observedWithin(since, async () => (await chatStatus(replica, KEYS[2]!.value)).status === 402 && (await chatStatus(replica, KEYS[1]!.value)).status === 401);
      assert.ok(ms !== undefined, 'the reload on A applied on the other replicas within 1 s');
      latencies.push(ms);
    }
    t.diagnostic(`config reload propagation ms: ${latencies.map((ms) => ms.toFixed(0)).join(', ')}`);
    const revision = Number((await shared.pool.query<{ revision: string }>('SELECT revision FROM governance_revision')).rows[0]!.revision);
    assert.equal((await adminCall(b, 'POST', '/admin/reload')).status, 200);
    assert.equal(Number((await shared.pool.query<{ revision: string }>('SELECT revision FROM governance_revision')).rows[0]!.revision), revision);
    assert.equal((await adminCall(b, 'GET', '/admin/keys/gamma')).body.version, 2);
  } finally {
    await Promise.all(replicas.map((replica) => replica.close()));
    await shared.drop();
  }
});

test('two gateways on one SQLite file see each other’s admin changes within a second (the revision check)', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-shared-sqlite-'));
  const raw = { providers: PROVIDERS, admin: { token: ADMIN_TOKEN }, storage: { type: 'sqlite', path: join(directory, 'tollgate.db') }, virtual_keys: [KEYS[2]] };
  const first = await startGateway(raw);
  const second = await startGateway(raw);
  try {
    const created = await adminCall(first, 'POST', '/admin/keys', { id: 'shared', models: ['*'] });
    let since = performance.now();
    assert.equal(created.status, 201);
    const secret = created.body.value as string;
    const createdMs = await observedWithin(since, async () => (await chatStatus(second, secret)).status === 200);
    assert.ok(createdMs !== undefined, 'created on the first, served by the second within 1 s');

    assert.equal((await adminCall(second, 'PATCH', '/admin/keys/shared', { active: false })).status, 200);
    since = performance.now();
    const deactivatedMs = await observedWithin(since, async () => (await chatStatus(first, secret)).code === 'key_inactive');
    assert.ok(deactivatedMs !== undefined, 'deactivated on the second, refused by the first within 1 s');
    // The first's stale copy cannot bring it back.
    const renamed = await adminCall(first, 'PATCH', '/admin/keys/shared', { name: 'renamed' });
    assert.equal(renamed.body.active, false);
    t.diagnostic(`SQLite propagation ms: create ${createdMs.toFixed(0)}, deactivate ${deactivatedMs.toFixed(0)}`);
  } finally {
    await first.close();
    await second.close();
    await rm(directory, { recursive: true, force: true });
  }
});

test('notices alone bring changes within a second: PostgreSQL LISTEN/NOTIFY, and Redis pub/sub beside a shared SQLite file (revision check once a minute)', async (t) => {
  const shared = await sharedState();
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-shared-sqlite-'));
  const slowCheck = { spend_store: { type: 'redis', url: REDIS_URL, key_prefix: shared.keyPrefix }, sync_interval_ms: 60_000 };
  const onPostgres = await startReplicas(2, replicaConfig(shared, { virtual_keys: [KEYS[2]], governance: slowCheck }));
  const onSqlite = await startReplicas(2, { providers: PROVIDERS, admin: { token: ADMIN_TOKEN }, storage: { type: 'sqlite', path: join(directory, 'tollgate.db') }, virtual_keys: [KEYS[2]], governance: slowCheck });
  try {
    const latencies: string[] = [];
    for (const [name, [writer, reader]] of [
      ['postgres', onPostgres],
      ['sqlite+redis', onSqlite],
    ] as const) {
      // Let the start-up checks pass, so only a notice can bring what follows.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const created = await adminCall(writer!, 'POST', '/admin/keys', { id: 'noticed', models: ['*'] });
      const since = performance.now();
      const ms = await observedWithin(since, async () => (await chatStatus(reader!, created.body.value as string)).status === 200);
      assert.ok(ms !== undefined, `${name}: the notice brought the new key within 1 s`);
      latencies.push(`${name} ${ms.toFixed(0)}`);
    }
    t.diagnostic(`notice-only propagation ms: ${latencies.join(', ')}`);
  } finally {
    await Promise.all([...onPostgres, ...onSqlite].map((replica) => replica.close()));
    await rm(directory, { recursive: true, force: true });
    await shared.drop();
  }
});

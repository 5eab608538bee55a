import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunningGateway } from '../helpers/gateway.js';
import { adminCall, chatStatus, observedWithin, replicaConfig, sharedState, startReplicas, type SharedState } from './replicas.js';

/**
 * Three replicas on one PostgreSQL schema and one Redis ledger: an admin change made through one
 * applies to requests on the two others within a second (the contract), whichever change it is.
 */

/** Every propagation seen, for the log: what, on which replica, after how many ms. */
const seen: { change: string; replica: number; ms: number }[] = [];

async function onOthers(replicas: RunningGateway[], writer: number, change: string, since: number, observe: (replica: RunningGateway) => Promise<boolean>): Promise<void> {
  await Promise.all(
    replicas.map(async (replica, index) => {
      if (index === writer) return;
      const ms = await observedWithin(since, () => observe(replica));
      assert.ok(ms !== undefined, `${change}: replica ${index} did not apply it within 1 s`);
      seen.push({ change, replica: index, ms });
    }),
  );
}

/** A key from the config file: with at least one key the gateway requires one (with none it is open). */
const PROBE = { id: 'probe', value: 'vk-test-' + 'probe-key', models: ['*'] };

async function withReplicas(run: (replicas: RunningGateway[], shared: SharedState) => Promise<void>): Promise<void> {
  const shared = await sharedState();
  const replicas = await startReplicas(3, replicaConfig(shared, { virtual_keys: [PROBE] }));
  try {
    await run(replicas, shared);
  } finally {
    await Promise.all(replicas.map((replica) => replica.close()));
    await shared.drop();
  }
}

test('a key created, re-budgeted, rotated, deactivated and deleted through one replica applies on the two others within a second', async (t) => {
  await withReplicas(async (replicas) => {
    const [a] = replicas as [RunningGateway, RunningGateway, RunningGateway];

    // Created on A: served on B and C.
    const created = await adminCall(a, 'POST', '/admin/keys', { id: 'moving', models: ['*'], budgets: [{ max_usd: 100 }] });
    let since = performance.now();
    assert.equal(created.status, 201);
    assert.equal(created.body.version, 1);
    assert.equal(created.etag, '"1"');
    const secret = created.body.value as string;
    await onOthers(replicas, 0, 'create', since, async (replica) => (await chatStatus(replica, secret)).status === 200);

    // Re-budgeted on A to less than one request costs: refused on B and C.
    const rebudgeted = await adminCall(a, 'PATCH', '/admin/keys/moving', { budgets: [{ max_usd: 0.000001 }] });
    since = performance.now();
    assert.equal(rebudgeted.status, 200);
    assert.equal(rebudgeted.body.version, 2);
    await onOthers(replicas, 0, 're-budget', since, async (replica) => (await chatStatus(replica, secret)).status === 402);
    const back = await adminCall(a, 'PATCH', '/admin/keys/moving', { budgets: [{ max_usd: 100 }] });
    assert.equal(back.status, 200);
    await onOthers(replicas, 0, 're-budget back', performance.now(), async (replica) => (await chatStatus(replica, secret)).status === 200);

    // Rotated on A without grace: the new secret works on B and C, the old one no longer does.
    const rotated = await adminCall(a, 'POST', '/admin/keys/moving/rotate', { grace_seconds: 0 });
    since = performance.now();
    assert.equal(rotated.status, 200);
    const rotatedSecret = rotated.body.value as string;
    assert.notEqual(rotatedSecret, secret);
    await onOthers(replicas, 0, 'rotate', since, async (replica) => (await chatStatus(replica, rotatedSecret)).status === 200 && (await chatStatus(replica, secret)).status === 401);

    // Deactivated on A: refused on B and C, and their admin API says so.
    const deactivated = await adminCall(a, 'PATCH', '/admin/keys/moving', { active: false });
    since = performance.now();
    assert.equal(deactivated.status, 200);
    await onOthers(replicas, 0, 'deactivate', since, async (replica) => {
      const answer = await chatStatus(replica, rotatedSecret);
      return answer.status === 403 && answer.code === 'key_inactive';
    });
    for (const replica of replicas) assert.equal((await adminCall(replica, 'GET', '/admin/keys/moving')).body.active, false);

    // Deleted on A: unknown on B and C.
    assert.equal((await adminCall(a, 'DELETE', '/admin/keys/moving')).status, 204);
    since = performance.now();
    await onOthers(replicas, 0, 'delete', since, async (replica) => (await chatStatus(replica, rotatedSecret)).status === 401);
    for (const replica of replicas) assert.equal((await adminCall(replica, 'GET', '/admin/keys/moving')).status, 404);

    // Teams and customers travel the same way.
    assert.equal((await adminCall(a, 'POST', '/admin/customers', { id: 'acme', budgets: [] })).status, 201);
    since = performance.now();
    await onOthers(replicas, 0, 'customer create', since, async (replica) => (await adminCall(replica, 'GET', '/admin/customers/acme')).status === 200);

    // A provider's global limits, overridden on A: refused with 402 on B and C; dropped: served again.
    assert.equal((await adminCall(a, 'PUT', '/admin/providers/mock/limits', { budgets: [{ max_usd: 0.000001 }] })).status, 200);
    since = performance.now();
    await onOthers(replicas, 0, 'provider limits', since, async (replica) => (await chatStatus(replica, PROBE.value)).status === 402);
    assert.equal((await adminCall(a, 'DELETE', '/admin/providers/mock/limits')).status, 200);
    since = performance.now();
    await onOthers(replicas, 0, 'provider limits dropped', since, async (replica) => (await chatStatus(replica, PROBE.value)).status === 200);

    const worst = Math.max(...seen.map((entry) => entry.ms));
    t.diagnostic(`propagation ms (from the writer's answer to the first observation on another replica that saw it): ${seen.map((entry) => `${entry.change}@${entry.replica}=${entry.ms.toFixed(0)}`).join(' ')}; worst ${worst.toFixed(0)}`);
  });
});

test('a stale replica cannot undo a change: a PATCH of the name keeps the key deactivated, and a write from an old version is refused with 409', async () => {
  await withReplicas(async (replicas) => {
    const [a, , c] = replicas as [RunningGateway, RunningGateway, RunningGateway];
    const created = await adminCall(a, 'POST', '/admin/keys', { id: 'guarded', name: 'first', models: ['*'] });
    const secret = created.body.value as string;
    await onOthers(replicas, 0, 'create', performance.now(), async (replica) => (await adminCall(replica, 'GET', '/admin/keys/guarded')).status === 200);
    // C read the key at version 1.
    const read = await adminCall(c, 'GET', '/admin/keys/guarded');
    assert.equal(read.etag, '"1"');

    // A deactivates it; C, straight after (whether or not it has heard), renames it with a plain PATCH.
    assert.equal((await adminCall(a, 'PATCH', '/admin/keys/guarded', { active: false })).status, 200);
    const renamed = await adminCall(c, 'PATCH', '/admin/keys/guarded', { name: 'second' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.active, false, 'the rename was merged into the stored key, which stays deactivated');
    assert.equal(renamed.body.name, 'second');
    assert.equal(renamed.body.version, 3);

    // C's write made from the version it read (1) is refused, and nothing changes.
    const stale = await adminCall(c, 'PATCH', '/admin/keys/guarded', { active: true }, { 'if-match': read.etag! });
    assert.equal(stale.status, 409);
    assert.equal((stale.body.error as { code: string }).code, 'version_conflict');
    assert.equal(stale.etag, '"3"');
    const staleField = await adminCall(c, 'PATCH', '/admin/keys/guarded', { active: true, version: 1 });
    assert.equal(staleField.status, 409);
    const staleDelete = await adminCall(c, 'DELETE', '/admin/keys/guarded?version=2');
    assert.equal(staleDelete.status, 409);
    assert.equal(staleDelete.etag, '"3"');
    const badMatch = await adminCall(c, 'PATCH', '/admin/keys/guarded', { active: true }, { 'if-match': 'yesterday' });
    assert.equal(badMatch.status, 400);

    for (const replica of replicas) {
      const answer = await observedWithin(performance.now(), async () => (await chatStatus(replica, secret)).code === 'key_inactive');
      assert.ok(answer !== undefined, 'the key stays deactivated everywhere');
    }

    // With the current version the write goes through.
    const current = await adminCall(c, 'PATCH', '/admin/keys/guarded', { active: true }, { 'if-match': '"3"' });
    assert.equal(current.status, 200);
    assert.equal(current.body.version, 4);
    await onOthers(replicas, 2, 'reactivate', performance.now(), async (replica) => (await chatStatus(replica, secret)).status === 200);
  });
});

test('1,000 concurrent requests spread over three replicas never spend more than a small budget', async () => {
  await withReplicas(async (replicas) => {
      const probe = await chatStatus(replicas[0]!, PROBE.value);
      assert.equal(probe.status, 200);
      const budget = probe.cost * 10;
      const created = await adminCall(replicas[1]!, 'POST', '/admin/keys', { id: 'small', models: ['*'], budgets: [{ max_usd: budget }] });
      const secret = created.body.value as string;
      await onOthers(replicas, 1, 'create', performance.now(), async (replica) => (await adminCall(replica, 'GET', '/admin/keys/small')).status === 200);

      const answers = await Promise.all(Array.from({ length: 1_000 }, (_, index) => chatStatus(replicas[index % 3]!, secret)));
      const served = answers.filter((answer) => answer.status === 200);
      assert.equal(served.length + answers.filter((answer) => answer.status === 402).length, 1_000, `unexpected statuses: ${[...new Set(answers.map((answer) => answer.status))].join(', ')}`);
      assert.ok(served.length >= 1 && served.length <= 10, `served ${served.length}`);
      const charged = served.reduce((sum, answer) => sum + answer.cost, 0);
      assert.ok(charged <= budget + 1e-12, `charged ${charged} > budget ${budget}`);
      for (const replica of replicas) {
        const usage = (await adminCall(replica, 'GET', '/admin/keys/small/usage')).body as { budgets: { spent_usd: number }[] };
        assert.ok(usage.budgets[0]!.spent_usd <= budget + 1e-12);
        assert.ok(Math.abs(usage.budgets[0]!.spent_usd - charged) < 1e-9, `spent ${usage.budgets[0]!.spent_usd}, charged ${charged}`);
      }
  });
});

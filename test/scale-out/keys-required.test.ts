import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { adminCall, chatStatus, observedWithin, replicaConfig, sharedState, startReplicas } from './replicas.js';

/**
 * Deleting the last virtual key must never open the gateway: under `governance.require_keys: auto`
 * (the default) keys stay required once one has existed, on the replica that deleted it, on the
 * replicas that heard of it, and on a replica started after the deletion (storage keeps the tombstone).
 */

/** Any string presented as a key: without required keys it is ignored; with them it is refused. */
const NO_KEY = 'not-a-virtual-key';

test('deleting the last virtual key leaves every replica, and one started later, requiring keys', async () => {
  const shared = await sharedState();
  const replicas: RunningGateway[] = await startReplicas(2, replicaConfig(shared));
  try {
    const [a, b] = replicas as [RunningGateway, RunningGateway];
    // No key anywhere yet: open (the documented development mode of `auto`).
    assert.equal((await chatStatus(b, NO_KEY)).status, 200);

    const created = await adminCall(a, 'POST', '/admin/keys', { id: 'only', models: ['*'] });
    assert.equal(created.status, 201);
    const secret = created.body.value as string;
    assert.ok((await observedWithin(performance.now(), async () => (await chatStatus(b, NO_KEY)).status === 401)) !== undefined, 'B requires keys once A created one');

    assert.equal((await adminCall(a, 'DELETE', '/admin/keys/only')).status, 204);
    assert.ok((await observedWithin(performance.now(), async () => (await chatStatus(b, secret)).status === 401)) !== undefined, 'B no longer knows the deleted key');
    for (const replica of replicas) {
      const answer = await chatStatus(replica, NO_KEY);
      assert.equal(answer.status, 401, 'no key exists any more, and the gateway is still closed');
      assert.equal(answer.code, 'invalid_api_key');
    }

    const late = await startGateway(replicaConfig(shared));
    replicas.push(late);
    assert.equal((await chatStatus(late, NO_KEY)).status, 401, 'a replica started after the deletion reads the tombstone and requires keys');
  } finally {
    await Promise.all(replicas.map((replica) => replica.close()));
    await shared.drop();
  }
});

test('require_keys: true refuses callers before any key exists; false keeps the gateway open once the last key is gone', async () => {
  const strict = await startGateway({ providers: { mock: { type: 'mock', models: ['mock-small'] } }, governance: { require_keys: true } });
  try {
    const answer = await chatStatus(strict, NO_KEY);
    assert.equal(answer.status, 401);
    assert.equal(answer.code, 'invalid_api_key');
  } finally {
    await strict.close();
  }

  const shared = await sharedState();
  const open = await startGateway(replicaConfig(shared, { governance: { require_keys: false } }));
  try {
    const created = await adminCall(open, 'POST', '/admin/keys', { id: 'temporary', models: ['*'] });
    assert.equal(created.status, 201);
    assert.equal((await chatStatus(open, NO_KEY)).status, 401);
    assert.equal((await adminCall(open, 'DELETE', '/admin/keys/temporary')).status, 204);
    assert.equal((await chatStatus(open, NO_KEY)).status, 200);
  } finally {
    await open.close();
    await shared.drop();
  }
});

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { REDIS_URL } from '../governance/redis.js';
import { eventually } from '../helpers/eventually.js';
import { adminCall, chatStatus, replicaConfig, sharedState, startReplicas } from './replicas.js';

/**
 * A budget threshold is one event, however many replicas serve the key: each replica that settles a
 * request past the mark sees the crossing, and only the first to record it in the shared storage
 * announces it (webhook, audit entry). Before, every replica announced it once.
 */

const KEY = 'tg-alerts-across-replicas-0123456789';

test('a budget threshold crossed through three replicas is announced once: one webhook, one alert, one audit entry', async () => {
  const posted: { threshold: number; entity: string }[] = [];
  const hook = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      posted.push(JSON.parse(body) as { threshold: number; entity: string });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  const shared = await sharedState();
  // About $0.015 a request (DEAR_PRICING): the 30% and 60% marks of $0.1 are passed within a few requests.
  const replicas = await startReplicas(
    3,
    replicaConfig(shared, {
      governance: { spend_store: { type: 'redis', url: REDIS_URL, key_prefix: shared.keyPrefix }, alerts: { url, thresholds: [0.3, 0.6] } },
      virtual_keys: [{ id: 'spender', value: KEY, models: ['*'], budgets: [{ max_usd: 0.1, period: '1d' }] }],
    }),
  );
  try {
    // Round robin until the budget refuses: every replica settles requests past both marks.
    let served = 0;
    for (let turn = 0; turn < 30; turn++) {
      const answer = await chatStatus(replicas[turn % replicas.length]!, KEY);
      if (answer.status !== 200) break;
      served++;
    }
    assert.ok(served >= 6, `the budget served ${served} requests: enough for every replica to pass both marks`);

    const stored = await eventually('both alerts recorded and delivered', async () => {
      const { rows } = await shared.pool.query<{ threshold: number; delivered: boolean }>('select threshold, delivered from governance_alerts order by threshold');
      return rows.length === 2 && rows.every((row) => row.delivered) ? rows : undefined;
    });
    assert.deepEqual(
      stored.map((row) => row.threshold),
      [0.3, 0.6],
    );
    // Give a second announcement the time it would take to arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(
      posted.map((event) => event.threshold).sort(),
      [0.3, 0.6],
      'one webhook per threshold, whichever replica crossed it',
    );
    for (const replica of replicas) {
      const audit = await adminCall(replica, 'GET', '/admin/audit?action=budget.alert');
      assert.equal(audit.status, 200);
      assert.equal((audit.body.entries as unknown[]).length, 2, 'one audit entry per threshold in the shared audit log');
    }
  } finally {
    await Promise.all(replicas.map((replica) => replica.close()));
    await shared.drop();
    hook.close();
  }
});

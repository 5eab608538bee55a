import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { AuditEvent } from '../../src/pipeline/audit-sink.js';
import { BudgetAlerts, signWebhook } from '../../src/governance/budget-alerts.js';
import type { LineInfo } from '../../src/governance/limit-lines.js';
import { MemorySpendStore } from '../../src/governance/memory-spend-store.js';
import { createLogger } from '../../src/lib/logger.js';
import { MemoryGovernanceStore } from '../../src/governance/storage/memory-governance-store.js';
import { chat, DEAR_PRICING, startGoverned } from './helpers.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

test('budget thresholds fire one signed webhook each, retried until delivered, and are recorded', async () => {
  const received: Received[] = [];
  let failuresLeft = 1;
  const hook = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      if (failuresLeft > 0) {
        failuresLeft--;
        response.writeHead(500).end();
      } else response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const port = (hook.address() as AddressInfo).port;
  const store = new MemoryGovernanceStore();
  const audit: AuditEvent[] = [];
  const running = await startGoverned(
    {
      providers: { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5 } } },
      pricing: DEAR_PRICING,
      governance: { alerts: { url: `http://127.0.0.1:${port}/hook`, secret: 'test-webhook-secret', thresholds: [0.5, 0.8] } },
      virtual_keys: [{ id: 'watched', value: 'vk-test-watched', models: ['*'], budgets: [{ max_usd: 0.1, period: '1M' }] }],
    },
    { store, audit: { append: (event) => audit.push(event) }, alertRetryBaseMs: 5 },
  );
  try {
    let status = 200;
    for (let count = 0; status === 200 && count < 30; count++) status = (await chat(running.url, { authorization: 'Bearer vk-test-watched' }, { max_tokens: 8 })).status;
    assert.equal(status, 402);
    const settled = async () => {
      const stored = await store.loadAlerts(0);
      return stored.length >= 2 && stored.every((alert) => alert.delivered);
    };
    for (let wait = 0; wait < 500 && !(await settled()); wait++) await new Promise((resolve) => setTimeout(resolve, 10));
    const alerts = await store.loadAlerts(0);
    assert.deepEqual(alerts.map((alert) => alert.threshold).sort(), [0.5, 0.8]);
    assert.ok(alerts.every((alert) => alert.delivered));
    assert.equal(alerts.reduce((sum, alert) => sum + alert.attempts, 0), 3);
    // One failed delivery plus one per threshold; each signed over `<timestamp>.<body>`.
    assert.equal(received.length, 3);
    for (const delivery of received) {
      const timestamp = String(delivery.headers['x-tollgate-timestamp']);
      assert.equal(delivery.headers['x-tollgate-signature'], signWebhook('test-webhook-secret', timestamp, delivery.body));
      const payload = JSON.parse(delivery.body) as { type: string; level: string; budget_usd: number; spent_usd: number; threshold: number };
      assert.equal(payload.type, 'budget.threshold');
      assert.equal(payload.level, 'key');
      // In decimal: the payload's amounts are exact, and 0.8 × 0.1 is 0.08000000000000002 as doubles.
      assert.ok(payload.spent_usd >= Number((payload.threshold * payload.budget_usd).toPrecision(15)), `${payload.spent_usd} spent of ${payload.budget_usd} at ${payload.threshold}`);
    }
    assert.equal(audit.filter((event) => event.action === 'budget.alert').length, 2);
    assert.doesNotMatch(received.map((delivery) => delivery.body).join(''), /vk-test-watched|test-webhook-secret/);
  } finally {
    await running.close();
    hook.close();
  }
});

test('fired alerts are remembered until their window ends, then forgotten', async () => {
  const spend = new MemorySpendStore();
  const store = new MemoryGovernanceStore();
  const alerts = new BudgetAlerts({ settings: { thresholds: [0.5], max_attempts: 1 }, store, spend, audit: { append() {} }, logger: createLogger({ level: 'silent' }), now: () => 0 });
  const windowEnd = 86_400_000;
  // The ledger counts nano-USD: a $1 budget, $0.60 spent.
  const line = { counter: 'key:k|usd|1d|0', windowEnd, limit: 1e9, amount: 6e8, chargeOnExpiry: 6e8 };
  const info: LineInfo = { level: 'key', scope: 'key:k', label: 'virtual key "k"', metric: 'usd', period: '1d', rolling: false, windowEnd, limit: 1e9, budget: undefined };
  const reserved = spend.reserve([line], 0, 60_000);
  assert.ok(reserved.ok);
  spend.settle(reserved.id, [6e8]);
  await alerts.check([info], [line]);
  await alerts.check([info], [line]);
  await alerts.drain();
  assert.equal((await store.loadAlerts(0)).length, 1, 'fired once');
  assert.equal(alerts.remembered, 1);
  alerts.prune(windowEnd - 1);
  assert.equal(alerts.remembered, 1);
  alerts.prune(windowEnd);
  assert.equal(alerts.remembered, 0);
});

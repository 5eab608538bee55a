import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import type { GatewayConfig } from '../../src/config/schema.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { admin, ADMIN_TOKEN, chat, DEAR_PRICING, errorCode } from './helpers.js';

const small = { max_tokens: 8 };
/** Far below the cost of any request: the first request is refused. */
const TINY_USD = 0.000001;
const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

interface Sections {
  providers?: Record<string, unknown>;
  teams?: unknown[];
  virtual_keys: unknown[];
  governance?: Record<string, unknown>;
}

/** The raw config both start-up and reloads use (the same shape startGateway gives it). */
function raw(sections: Sections): Record<string, unknown> {
  return {
    admin: { token: ADMIN_TOKEN },
    providers: { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5 } } },
    pricing: DEAR_PRICING,
    ...sections,
  };
}

function reloaded(sections: Sections): GatewayConfig {
  return validateConfig({ storage: { type: 'memory' }, ...raw(sections), server: { port: 0, host: '127.0.0.1', shutdown_grace_ms: 2000 } }, 'test config');
}

async function spentBy(url: string, key: string): Promise<{ spent_usd: number; reserved_usd: number; max_usd: number }[]> {
  const response = await fetch(`${url}/v1/usage`, { headers: bearer(key) });
  assert.equal(response.status, 200);
  return ((await response.json()) as { budgets: { spent_usd: number; reserved_usd: number; max_usd: number }[] }).budgets;
}

const FIRST: Sections = {
  teams: [{ id: 'research', budgets: [{ max_usd: 100 }] }],
  virtual_keys: [
    { id: 'kept', value: 'vk-test-kept', team: 'research', models: ['*'], budgets: [{ max_usd: 100 }] },
    { id: 'removed', value: 'vk-test-removed', models: ['*'] },
    { id: 'tight', value: 'vk-test-tight', models: ['*'], budgets: [{ max_usd: TINY_USD }] },
  ],
};

const SECOND: Sections = {
  // The team's budget is cut; `removed` is gone, `added` is new, `tight` gets room; `kept` is unchanged.
  teams: [{ id: 'research', budgets: [{ max_usd: TINY_USD }] }],
  virtual_keys: [
    { id: 'kept', value: 'vk-test-kept', team: 'research', models: ['*'], budgets: [{ max_usd: 100 }] },
    { id: 'tight', value: 'vk-test-tight', models: ['*'], budgets: [{ max_usd: 100 }] },
    { id: 'added', value: 'vk-test-added', models: ['mock/*'], rate_limits: { requests: { max: 1, period: '1h' } } },
  ],
};

let running: RunningGateway;
let apiKeySecret = '';
let keptSpend = 0;

before(async () => {
  running = await startGateway(raw(FIRST));
});

after(() => running.close());

test('before the reload: the first config is in force, and an API-created key and an admin edit exist', async () => {
  assert.equal((await chat(running.url, bearer('vk-test-kept'), small)).status, 200);
  assert.equal((await chat(running.url, bearer('vk-test-removed'), small)).status, 200);
  const tight = await chat(running.url, bearer('vk-test-tight'), small);
  assert.equal(tight.status, 402, tight.text);
  assert.equal((await chat(running.url, bearer('vk-test-added'), small)).status, 401);

  const created = await admin(running.url, 'POST', '/admin/keys', { id: 'from-api', models: ['*'], budgets: [{ max_usd: 100 }] });
  assert.equal(created.status, 201, created.text);
  apiKeySecret = created.body.value as string;
  assert.equal((await chat(running.url, bearer(apiKeySecret), small)).status, 200);
  const edited = await admin(running.url, 'PATCH', '/admin/keys/kept', { metadata: { owner: 'ops' } });
  assert.equal(edited.status, 200, edited.text);

  keptSpend = (await spentBy(running.url, 'vk-test-kept'))[0]!.spent_usd;
  assert.ok(keptSpend > 0);
});

test('after the reload: new keys are accepted, removed ones refused, budgets updated, spend and API entities kept', async () => {
  const report = await running.gateway.reload(reloaded(SECOND));
  assert.deepEqual(report.restartRequired, []);

  const added = await chat(running.url, bearer('vk-test-added'), small);
  assert.equal(added.status, 200, added.text);
  // Its config rate limit applies too.
  const limited = await chat(running.url, bearer('vk-test-added'), small);
  assert.equal(limited.status, 429);
  assert.equal(errorCode(limited.body), 'rate_limit_exceeded');

  const removed = await chat(running.url, bearer('vk-test-removed'), small);
  assert.equal(removed.status, 401);
  assert.equal(errorCode(removed.body), 'invalid_api_key');

  assert.equal((await chat(running.url, bearer('vk-test-tight'), small)).status, 200);

  // `kept` keeps its spend and the admin's edit (its config definition did not change) but meets the team's new budget.
  const keptUsage = await spentBy(running.url, 'vk-test-kept');
  assert.equal(keptUsage[0]!.spent_usd, keptSpend);
  assert.equal(keptUsage.find((budget) => budget.max_usd === TINY_USD)?.spent_usd, keptSpend);
  const kept = await chat(running.url, bearer('vk-test-kept'), small);
  assert.equal(kept.status, 402, kept.text);
  assert.match(kept.text, /team \\?"research\\?"/);
  assert.deepEqual((await admin(running.url, 'GET', '/admin/keys/kept')).body.metadata, { owner: 'ops' });

  assert.equal((await chat(running.url, bearer(apiKeySecret), small)).status, 200);
  const ids = ((await admin(running.url, 'GET', '/admin/keys')).body.data as { id: string }[]).map((key) => key.id).sort();
  assert.deepEqual(ids, ['added', 'from-api', 'kept', 'tight']);
});

test("a reload applies providers' config budgets and the governance settings", async () => {
  await running.gateway.reload(
    reloaded({
      ...SECOND,
      providers: {
        mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5 }, budgets: [{ max_usd: TINY_USD }] },
        unpriced: { type: 'mock', models: ['mystery-model'], mock: { output_tokens: 5 } },
      },
      virtual_keys: [...SECOND.virtual_keys, { id: 'meter', value: 'vk-test-meter', models: ['unpriced/*'], budgets: [{ max_usd: 100 }] }],
      governance: { flush_interval_ms: 50, unpriced_request_usd: 0.5 },
    }),
  );
  // A model without a price is charged the new unpriced_request_usd.
  const unpriced = await chat(running.url, bearer('vk-test-meter'), { ...small, model: 'unpriced/mystery-model' });
  assert.equal(unpriced.status, 200, unpriced.text);
  assert.equal((await spentBy(running.url, 'vk-test-meter'))[0]!.spent_usd, 0.5);

  const view = await admin(running.url, 'GET', '/admin/providers/mock');
  assert.deepEqual(view.body.budgets, [{ max_usd: TINY_USD, rolling: false }]);
  const refused = await chat(running.url, bearer('vk-test-tight'), small);
  assert.equal(refused.status, 402, refused.text);
  assert.match(refused.text, /provider \\?"mock\\?"/);

  await running.gateway.reload(reloaded(SECOND));
  assert.deepEqual((await admin(running.url, 'GET', '/admin/providers/mock')).body.budgets, []);
  assert.equal((await chat(running.url, bearer('vk-test-tight'), small)).status, 200);
});

test('a request in flight during a reload keeps its reservation and is settled against the same counter', async () => {
  const slow = { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5, latency_ms: 300 } } };
  const sections: Sections = { providers: slow, virtual_keys: [{ id: 'busy', value: 'vk-test-busy', models: ['*'], budgets: [{ max_usd: 100 }] }] };
  const gateway = await startGateway(raw(sections));
  try {
    const pending = chat(gateway.url, bearer('vk-test-busy'), small);
    let reserved = 0;
    for (let attempt = 0; attempt < 100 && reserved === 0; attempt++) {
      reserved = (await spentBy(gateway.url, 'vk-test-busy'))[0]!.reserved_usd;
      if (reserved === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(reserved > 0, 'the request holds a reservation');
    // Same key, a larger budget: the counter (and its reservation) carries over.
    await gateway.gateway.reload(reloaded({ ...sections, virtual_keys: [{ id: 'busy', value: 'vk-test-busy', models: ['*'], budgets: [{ max_usd: 200 }] }] }));
    const result = await pending;
    assert.equal(result.status, 200, result.text);
    const [budget] = await spentBy(gateway.url, 'vk-test-busy');
    assert.equal(budget!.max_usd, 200);
    assert.equal(budget!.reserved_usd, 0);
    assert.ok(Math.abs(budget!.spent_usd - Number(result.headers.get('x-tollgate-cost'))) < 1e-12);
  } finally {
    await gateway.close();
  }
});

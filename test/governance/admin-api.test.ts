import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AuditEvent } from '../../src/pipeline/audit-sink.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { admin, ADMIN_TOKEN, chat, DEAR_PRICING, errorCode, startGoverned, TestClock } from './helpers.js';

const clock = new TestClock(Date.parse('2026-07-01T08:00:00Z'));
const audit: AuditEvent[] = [];
let running: RunningGateway;
const responses: string[] = [];
const small = { max_tokens: 8 };

before(async () => {
  running = await startGoverned(
    {
      admin: { token: ADMIN_TOKEN },
      providers: { mock: { type: 'mock', models: ['mock-small'], keys: [{ value: 'test-key-provider-secret' }], mock: { output_tokens: 5 } } },
      pricing: DEAR_PRICING,
      customers: [{ id: 'seeded-customer' }],
      virtual_keys: [{ id: 'seeded', value: 'vk-test-seeded', models: ['*'] }],
    },
    { now: clock.now, audit: { append: (event) => audit.push(event) } },
  );
});

after(() => running.close());

async function call(method: string, path: string, body?: unknown) {
  const result = await admin(running.url, method, path, body);
  responses.push(result.text);
  return result;
}

test('admin routes refuse a missing or wrong token (401) and are off without admin.token (403)', async () => {
  const none = await admin(running.url, 'GET', '/admin/keys', undefined, null);
  assert.equal(none.status, 401);
  assert.equal(errorCode(none.body), 'admin_unauthorized');
  const wrong = await admin(running.url, 'GET', '/admin/keys', undefined, 'not-the-admin-token');
  assert.equal(wrong.status, 401);
  const virtualKey = await admin(running.url, 'GET', '/admin/keys', undefined, 'vk-test-seeded');
  assert.equal(virtualKey.status, 401);
  const disabled = await startGateway({ providers: { mock: { type: 'mock', models: ['mock-small'] } } });
  try {
    const refused = await admin(disabled.url, 'GET', '/admin/keys');
    assert.equal(refused.status, 403);
    assert.equal(errorCode(refused.body), 'admin_disabled');
  } finally {
    await disabled.close();
  }
});

let secret = '';

test('create customer, team and key; the secret is shown once and works at once', async () => {
  assert.equal((await call('POST', '/admin/customers', { id: 'acme', name: 'Acme', budgets: [{ max_usd: 100, period: '1M' }] })).status, 201);
  const team = await call('POST', '/admin/teams', { id: 'research', customer: 'acme', rate_limits: { requests: { max: 1000, period: '1h' } } });
  assert.equal(team.status, 201);
  assert.equal((await call('POST', '/admin/teams', { id: 'orphans', customer: 'nobody' })).status, 400);
  const created = await call('POST', '/admin/keys', { name: 'notebook', team: 'research', models: ['mock/*'], budgets: [{ max_usd: 0.04, period: '1d' }], metadata: { billing_code: 'R-17' } });
  assert.equal(created.status, 201, created.text);
  secret = String(created.body.value);
  assert.match(secret, /^tg-[A-Za-z0-9_-]{43}$/);
  assert.equal(created.body.key_hash, undefined);
  const id = String(created.body.id);
  assert.equal((await chat(running.url, { authorization: `Bearer ${secret}` }, small)).status, 200);
  const read = await call('GET', `/admin/keys/${id}`);
  assert.equal(read.status, 200);
  assert.equal(read.body.value, undefined);
  assert.doesNotMatch(read.text, new RegExp(secret));
  assert.doesNotMatch(read.text, /key_hash/);
  const list = await call('GET', '/admin/keys');
  assert.equal((list.body.data as unknown[]).length, 2);
  assert.doesNotMatch(list.text, /vk-test-seeded/);
  assert.equal((await call('POST', '/admin/keys', { id, models: ['*'] })).status, 409);
});

test('changes take effect on the next request: models, active flag', async () => {
  const id = (await call('GET', '/admin/keys')).body.data as { id: string; name?: string }[];
  const key = id.find((entry) => entry.name === 'notebook')!.id;
  assert.equal((await call('PATCH', `/admin/keys/${key}`, { models: ['other/*'] })).status, 200);
  assert.equal(errorCode((await chat(running.url, { authorization: `Bearer ${secret}` }, small)).body), 'model_not_allowed');
  assert.equal((await call('PATCH', `/admin/keys/${key}`, { models: ['*'], active: false })).status, 200);
  assert.equal(errorCode((await chat(running.url, { authorization: `Bearer ${secret}` }, small)).body), 'key_inactive');
  await call('PATCH', `/admin/keys/${key}`, { active: true });
  assert.equal((await chat(running.url, { authorization: `Bearer ${secret}` }, small)).status, 200);
  assert.equal((await call('PATCH', `/admin/keys/${key}`, { value: 'tg-chosen-by-caller' })).status, 400);
});

test("changes to a team's limits and a customer's budgets apply to the next request", async () => {
  // A key of its own under the team, so the notebook key's budget is left to the next test.
  const probe = await call('POST', '/admin/keys', { id: 'team-probe', team: 'research', models: ['*'] });
  assert.equal(probe.status, 201, probe.text);
  const headers = { authorization: `Bearer ${String(probe.body.value)}` };
  assert.equal((await chat(running.url, headers, small)).status, 200);
  assert.equal((await call('PATCH', '/admin/teams/research', { rate_limits: { requests: { max: 0, period: '1h' } } })).status, 200);
  const refused = await chat(running.url, headers, small);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('x-ratelimit-scope'), 'team');
  assert.equal((await call('PATCH', '/admin/teams/research', { rate_limits: { requests: { max: 1000, period: '1h' } } })).status, 200);
  assert.equal((await call('PATCH', '/admin/customers/acme', { budgets: [{ max_usd: 0, period: '1M' }] })).status, 200);
  const broke = await chat(running.url, headers, small);
  assert.equal(broke.status, 402);
  assert.equal(broke.headers.get('x-tollgate-budget-level'), 'customer');
  assert.equal((await call('PATCH', '/admin/customers/acme', { budgets: [{ max_usd: 100, period: '1M' }] })).status, 200);
  assert.equal((await chat(running.url, headers, small)).status, 200);
  assert.equal((await call('DELETE', '/admin/keys/team-probe')).status, 204);
});

test('budget exhaustion, top-up and spend reset', async () => {
  const keys = (await call('GET', '/admin/keys')).body.data as { id: string; name?: string }[];
  const key = keys.find((entry) => entry.name === 'notebook')!.id;
  let refused = await chat(running.url, { authorization: `Bearer ${secret}` }, small);
  for (let count = 0; refused.status === 200 && count < 10; count++) refused = await chat(running.url, { authorization: `Bearer ${secret}` }, small);
  assert.equal(refused.status, 402);
  const topUp = await call('POST', `/admin/keys/${key}/top-up`, { amount_usd: 0.05 });
  assert.equal(topUp.status, 200, topUp.text);
  assert.equal(topUp.body.until, '2026-07-02T00:00:00.000Z');
  assert.equal((await chat(running.url, { authorization: `Bearer ${secret}` }, small)).status, 200);
  const usage = await call('GET', `/admin/keys/${key}/usage`);
  const budget = (usage.body.budgets as { level: string; credit_usd: number; spent_usd: number }[]).find((entry) => entry.level === 'key')!;
  assert.equal(budget.credit_usd, 0.05);
  assert.ok(budget.spent_usd > 0.03, String(budget.spent_usd));
  assert.equal((await call('POST', `/admin/keys/${key}/reset-spend`)).status, 200);
  const after = await call('GET', `/admin/keys/${key}/usage`);
  const reset = (after.body.budgets as { level: string; spent_usd: number; credit_usd: number }[]).find((entry) => entry.level === 'key')!;
  assert.equal(reset.spent_usd, 0);
  assert.equal(reset.credit_usd, 0);
  const team = await call('GET', '/admin/teams/research/usage');
  assert.equal((team.body.rate_limits as { used: number }[])[0]!.used > 0, true);
});

test('rotation: the new secret works at once, the old one until the grace period ends', async () => {
  const keys = (await call('GET', '/admin/keys')).body.data as { id: string; name?: string }[];
  const key = keys.find((entry) => entry.name === 'notebook')!.id;
  const rotated = await call('POST', `/admin/keys/${key}/rotate`, { grace_seconds: 60 });
  assert.equal(rotated.status, 200, rotated.text);
  const fresh = String(rotated.body.value);
  assert.notEqual(fresh, secret);
  assert.equal((await chat(running.url, { authorization: `Bearer ${fresh}` }, small)).status, 200);
  assert.equal((await chat(running.url, { authorization: `Bearer ${secret}` }, small)).status, 200);
  clock.advance(61_000);
  assert.equal((await chat(running.url, { authorization: `Bearer ${secret}` }, small)).status, 401);
  assert.equal((await chat(running.url, { authorization: `Bearer ${fresh}` }, small)).status, 200);
  secret = fresh;
});

test('deletes: referenced entities and config entities are refused with 409', async () => {
  assert.equal((await call('DELETE', '/admin/teams/research')).status, 409);
  assert.equal((await call('DELETE', '/admin/keys/seeded')).status, 409);
  assert.equal((await call('DELETE', '/admin/customers/seeded-customer')).status, 409);
  const keys = (await call('GET', '/admin/keys')).body.data as { id: string; name?: string }[];
  const key = keys.find((entry) => entry.name === 'notebook')!.id;
  assert.equal((await call('DELETE', `/admin/keys/${key}`)).status, 204);
  assert.equal((await chat(running.url, { authorization: `Bearer ${secret}` }, small)).status, 401);
  assert.equal((await call('DELETE', '/admin/teams/research')).status, 204);
  assert.equal((await call('GET', '/admin/teams/research')).status, 404);
});

test('a text holding U+0000 is refused with invalid_request naming its field, on create and on update; nothing is stored', async () => {
  const named = await call('POST', '/admin/keys', { id: 'nul-name', name: 'note\u0000book', models: ['*'] });
  assert.equal(named.status, 400, named.text);
  assert.equal(errorCode(named.body), 'invalid_request');
  assert.match(named.text, /name: must not contain U\+0000/);
  assert.equal((await call('GET', '/admin/keys/nul-name')).status, 404);
  const tagged = await call('POST', '/admin/customers', { id: 'nul-tags', metadata: { ['cost\u0000centre']: 'x' } });
  assert.equal(tagged.status, 400, tagged.text);
  assert.match(tagged.text, /metadata\.cost\\u0000centre: must not contain U\+0000/);
  const patched = await call('PATCH', '/admin/customers/acme', { name: 'Ac\u0000me' });
  assert.equal(patched.status, 400, patched.text);
  assert.equal((await call('GET', '/admin/customers/acme')).body.name, 'Acme');
});

test('the OpenAPI description lists the admin paths', async () => {
  const spec = await call('GET', '/admin/openapi.json');
  assert.equal(spec.status, 200);
  assert.equal(spec.body.openapi, '3.1.0');
  assert.ok('/admin/keys/{id}/rotate' in (spec.body.paths as object));
});

test('every admin change and every blocked request is audited, without secrets', () => {
  const actions = new Set(audit.map((event) => event.action));
  for (const action of ['customer.create', 'team.create', 'virtual_key.create', 'virtual_key.update', 'virtual_key.rotate', 'virtual_key.delete', 'team.delete', 'budget.top_up', 'spend.reset', 'request.blocked']) {
    assert.ok(actions.has(action), `missing ${action}`);
  }
  const blocked = audit.filter((event) => event.action === 'request.blocked').map((event) => event.details?.code);
  for (const code of ['model_not_allowed', 'key_inactive', 'budget_exceeded', 'invalid_api_key']) assert.ok(blocked.includes(code), `no blocked ${code}`);
  const text = JSON.stringify(audit);
  assert.doesNotMatch(text, /tg-[A-Za-z0-9_-]{20}/);
  assert.doesNotMatch(text, /vk-test-seeded|test-key-provider-secret/);
});

test('no virtual key or provider key appears in logs, error bodies or admin answers (except the create/rotate answer)', () => {
  const logs = running.logs.join('\n');
  assert.doesNotMatch(logs, /tg-[A-Za-z0-9_-]{20}/);
  assert.doesNotMatch(logs, /vk-test-seeded|test-key-provider-secret/);
  const shown = responses.filter((text) => !text.includes('"value":"tg-')).join('\n');
  assert.doesNotMatch(shown, /tg-[A-Za-z0-9_-]{20}/);
  assert.doesNotMatch(shown, /vk-test-seeded|test-key-provider-secret/);
});

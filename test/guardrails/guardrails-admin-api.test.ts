import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { adminWithRoleAccounts, FINANCE, VIEWER } from '../helpers/admin-accounts.js';

/** `GET /admin/guardrails`: the configured rules for every admin role, with no secret of theirs in the answer. */
const ADMIN_TOKEN = 'guardrails-api-admin-' + 'token-0123456789';
const HOOK_USER = 'hookuser';
const HOOK_PASSWORD = 'hook-' + 'password-77';
const HOOK_QUERY = 'qtoken-' + 'abc123';
const HOOK_HEADER = 'Bearer guard-' + 'header-secret-9';
const CODENAME = 'project bluebird';
const PATTERN = '\\bEMP-[0-9]{6}\\b';

let running: RunningGateway;
let raw: Record<string, unknown>;

interface RuleView {
  name: string;
  detector: string;
  types: string[] | null;
  action: string;
  direction: string;
  restore: boolean;
  words: number | null;
  webhook: { url: string; timeout_ms: number; on_error: string; header_names: string[] } | null;
  scopes: { everyone: boolean; customers: string[]; teams: string[]; virtual_keys: string[] };
}

before(async () => {
  raw = {
    admin: await adminWithRoleAccounts(ADMIN_TOKEN),
    providers: { mock: { type: 'mock', models: ['mock-small'] } },
    guardrails: {
      rules: [
        { name: 'no-secrets', detector: 'secrets', action: 'block' },
        { name: 'mask-emails', detector: 'pii', types: ['email'], direction: 'input', action: 'redact', restore: true },
        { name: 'codenames', detector: 'keywords', words: [CODENAME, 'falcon'], action: 'block' },
        { name: 'employee-ids', detector: 'regex', pattern: PATTERN, types: ['employee_id'], action: 'log', direction: 'output' },
        { name: 'moderation', detector: 'webhook', url: `https://${HOOK_USER}:${HOOK_PASSWORD}@guard.example.com/check?token=${HOOK_QUERY}#frag`, headers: { authorization: HOOK_HEADER }, on_error: 'allow', timeout_ms: 1500 },
      ],
      apply: ['no-secrets'],
    },
    customers: [{ id: 'hospital', guardrails: { apply: ['mask-emails'] } }],
    teams: [{ id: 'research', customer: 'hospital', guardrails: { apply: ['codenames', 'mask-emails'] } }],
    virtual_keys: [{ id: 'notes', value: 'tg-guardrails-api-' + 'key-0001', team: 'research', models: ['*'], guardrails: { apply: ['moderation'] } }],
  };
  running = await startGateway(raw);
});

after(() => running?.close());

async function read(headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const response = await fetch(`${running.url}/admin/guardrails`, { headers });
  return { status: response.status, text: await response.text() };
}

async function sessionCookie(credentials: { user: string; password: string }): Promise<string> {
  const response = await fetch(`${running.url}/ui/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
  assert.equal(response.status, 200);
  return (response.headers.get('set-cookie') ?? '').split(';')[0]!;
}

test('every rule with its detector, action, direction and scopes; no pattern, word, webhook credential or header value', async () => {
  const answer = await read({ authorization: `Bearer ${ADMIN_TOKEN}` });
  assert.equal(answer.status, 200);
  const { rules } = JSON.parse(answer.text) as { rules: RuleView[] };
  const byName = new Map(rules.map((rule) => [rule.name, rule]));
  assert.deepEqual([...byName.keys()], ['no-secrets', 'mask-emails', 'codenames', 'employee-ids', 'moderation']);
  assert.deepEqual(byName.get('no-secrets'), { name: 'no-secrets', detector: 'secrets', types: null, action: 'block', direction: 'both', restore: false, words: null, webhook: null, scopes: { everyone: true, customers: [], teams: [], virtual_keys: [] } });
  assert.deepEqual(byName.get('mask-emails')!.scopes, { everyone: false, customers: ['hospital'], teams: ['research'], virtual_keys: [] });
  assert.deepEqual([byName.get('mask-emails')!.action, byName.get('mask-emails')!.direction, byName.get('mask-emails')!.restore, byName.get('mask-emails')!.types], ['redact', 'input', true, ['email']]);
  assert.equal(byName.get('codenames')!.words, 2);
  assert.deepEqual([byName.get('employee-ids')!.action, byName.get('employee-ids')!.direction, byName.get('employee-ids')!.scopes.everyone], ['log', 'output', false]);
  assert.deepEqual(byName.get('moderation')!.webhook, { url: 'https://guard.example.com/check', timeout_ms: 1500, on_error: 'allow', header_names: ['authorization'] });
  assert.deepEqual(byName.get('moderation')!.scopes.virtual_keys, ['notes']);
  for (const secret of [HOOK_USER, HOOK_PASSWORD, HOOK_QUERY, HOOK_HEADER, 'guard-header', CODENAME, 'falcon', 'EMP-', 'frag']) assert.ok(!answer.text.includes(secret), `${secret} is not in the answer`);
});

test('401 without the admin token; every console role reads the same answer', async () => {
  const anonymous = await read({});
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.text, /admin_unauthorized/);
  assert.equal((await read({ authorization: 'Bearer not-the-token' })).status, 401);
  const expected = (await read({ authorization: `Bearer ${ADMIN_TOKEN}` })).text;
  for (const account of [VIEWER, FINANCE]) {
    const answer = await read({ cookie: await sessionCookie(account) });
    assert.equal(answer.status, 200, account.user);
    assert.equal(answer.text, expected, account.user);
  }
});

test('the OpenAPI document describes it; a reload shows the new rules', async () => {
  const document = (await (await fetch(`${running.url}/admin/openapi.json`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { paths: Record<string, { get?: unknown }>; components: { schemas: Record<string, unknown> } };
  assert.ok(document.paths['/admin/guardrails']?.get !== undefined);
  assert.ok(document.components.schemas.GuardrailRules !== undefined);
  const config = validateConfig({ ...raw, storage: { type: 'memory' }, server: { port: 0, host: '127.0.0.1' }, guardrails: { rules: [{ name: 'only-pii', detector: 'pii', action: 'redact' }], apply: ['only-pii'] }, customers: [], teams: [], virtual_keys: [] }, 'next', {});
  await running.gateway.reload(config);
  const { rules } = JSON.parse((await read({ authorization: `Bearer ${ADMIN_TOKEN}` })).text) as { rules: RuleView[] };
  assert.deepEqual(rules.map((rule) => [rule.name, rule.scopes.everyone]), [['only-pii', true]]);
});

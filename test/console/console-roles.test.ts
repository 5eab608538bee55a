import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { hashPassword, verifyPassword } from '../../src/admin/password-hash.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/** Console accounts and their roles, over plain HTTP against a running gateway (the browser side is in console-e2e-roles). */
const ADMIN_TOKEN = 'console-roles-admin-' + 'token-0123456789';
const PASSWORDS = { ada: 'ada-admin-password-1', vic: 'vic-viewer-password-1', fin: 'fin-finance-password-1', rob: 'rob-viewer-password-1' };
const PROMPT = 'the secret recipe is 42 parts sugar';
const BIN = fileURLToPath(new URL('../../../bin/tollgate.js', import.meta.url));

let running: RunningGateway;
/** Once a virtual key exists, callers need one: the one an admin account makes below. */
let madeSecret = '';

before(async () => {
  running = await startGateway({
    admin: {
      token: ADMIN_TOKEN,
      users: [
        { name: 'ada', password_hash: await hashPassword(PASSWORDS.ada), role: 'admin' },
        { name: 'vic', password_hash: await hashPassword(PASSWORDS.vic), role: 'viewer' },
        { name: 'fin', password_hash: await hashPassword(PASSWORDS.fin), role: 'finance' },
        { name: 'rob', password_hash: await hashPassword(PASSWORDS.rob), role: 'viewer' },
      ],
    },
    providers: { mock: { type: 'mock', models: ['mock-small'] } },
    pricing: { 'mock/mock-small': { input: 1.5, output: 4 } },
    observability: { log_content: true, flush_interval_ms: 50 },
  });
  await new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'none', maxRetries: 0 }).chat.completions.create({ model: 'mock-small', messages: [{ role: 'user', content: PROMPT }] });
});
after(() => running.close());

interface Opened {
  cookie: string;
  csrf: string;
  role: string;
}

async function login(body: Record<string, string>): Promise<Response> {
  return fetch(`${running.url}/ui/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function open(user: keyof typeof PASSWORDS): Promise<Opened> {
  const response = await login({ user, password: PASSWORDS[user] });
  assert.equal(response.status, 200, `${user} logs in`);
  const answer = (await response.json()) as { csrf_token: string; role: string; user: string };
  assert.equal(answer.user, user);
  return { cookie: (response.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: answer.csrf_token, role: answer.role };
}

function call(session: Opened, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { cookie: session.cookie };
  if (method !== 'GET') headers['x-tollgate-csrf'] = session.csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${running.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function code(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

test('password hashes: scrypt, salted, and only the right password matches', async () => {
  const first = await hashPassword('correct horse battery');
  const second = await hashPassword('correct horse battery');
  assert.match(first, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(first, second, 'a fresh salt each time');
  assert.equal(await verifyPassword('correct horse battery', first), true);
  assert.equal(await verifyPassword('correct horse batterY', first), false);
  assert.equal(await verifyPassword('correct horse battery', 'scrypt$99$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), false, 'N not a power of two');
  assert.equal(await verifyPassword('x', 'plain-text'), false);
});

test('the accounts example of docs/console.md opens a session with its documented password', async () => {
  const text = await readFile(new URL('../../../docs/console.md', import.meta.url), 'utf8');
  const hash = /name: ana[^\n]*\n\s+password_hash: (\S+)/.exec(text)?.[1];
  assert.ok(hash !== undefined, 'the example is there');
  assert.equal(await verifyPassword('ana-example-password', hash), true);
});

test('`tollgate admin hash-password` prints a hash of the password read from stdin', async () => {
  const child = spawn(process.execPath, [BIN, 'admin', 'hash-password'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end('a-long-enough-password\n');
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(exitCode, 0);
  assert.equal(await verifyPassword('a-long-enough-password', output.trim()), true);

  const short = spawn(process.execPath, [BIN, 'admin', 'hash-password'], { stdio: ['pipe', 'pipe', 'pipe'] });
  short.stdin.end('short\n');
  assert.equal(await new Promise<number | null>((resolve) => short.on('close', resolve)), 2, 'too short a password is refused');
});

test('a viewer reads everything and changes nothing', async () => {
  const viewer = await open('vic');
  assert.equal(viewer.role, 'viewer');
  const status = (await (await fetch(`${running.url}/ui/api/session`, { headers: { cookie: viewer.cookie } })).json()) as { role: string; user: string };
  assert.deepEqual([status.role, status.user], ['viewer', 'vic']);
  assert.equal((await call(viewer, 'GET', '/admin/keys')).status, 200);
  assert.equal((await call(viewer, 'GET', '/admin/audit')).status, 200);
  const logs = (await (await call(viewer, 'GET', '/admin/logs?limit=5')).json()) as { logs: { request_content: string | null }[] };
  assert.match(logs.logs[0]?.request_content ?? '', /secret recipe/, 'a viewer reads content');
  for (const [method, path, body] of [
    ['POST', '/admin/keys', { id: 'viewer-made', models: ['*'] }],
    ['POST', '/admin/teams', { id: 'viewer-team' }],
    ['DELETE', '/admin/cache', undefined],
    ['POST', '/admin/reload', undefined],
    ['PUT', '/admin/providers/mock/limits', { budgets: [] }],
    ['PUT', '/admin/providers/mock', { type: 'mock', models: ['viewer-model'] }],
    ['PUT', '/admin/providers/viewer-made', { type: 'mock' }],
    ['DELETE', '/admin/providers/mock', undefined],
  ] as const) {
    const refused = await call(viewer, method, path, body);
    assert.equal(refused.status, 403, `${method} ${path}`);
    assert.equal(await code(refused), 'admin_forbidden', `${method} ${path}`);
  }
  const keys = (await (await call(viewer, 'GET', '/admin/keys')).json()) as { data: { id: string }[] };
  assert.ok(!keys.data.some((key) => key.id === 'viewer-made'), 'nothing was created');
  assert.equal((await call(viewer, 'DELETE', '/ui/api/session')).status, 204, 'a viewer may still log itself out');
});

test('a finance session sees costs and usage, never content', async () => {
  const finance = await open('fin');
  assert.equal(finance.role, 'finance');
  const answer = (await (await call(finance, 'GET', '/admin/logs?limit=5')).json()) as { logs: { request_content: string | null; response_content: string | null; error_message: string | null; cost_usd: number | null }[] };
  assert.ok(answer.logs.length > 0);
  for (const record of answer.logs) {
    assert.equal(record.request_content, null);
    assert.equal(record.response_content, null);
    assert.ok(record.cost_usd !== null && record.cost_usd > 0, 'the cost is there');
  }
  const cursorPage = await (await call(finance, 'GET', '/admin/logs?limit=5&cursor=')).text();
  assert.doesNotMatch(cursorPage, /secret recipe/);
  const exported = await (await call(finance, 'GET', '/admin/logs/export?format=ndjson')).text();
  assert.ok(exported.length > 0);
  assert.doesNotMatch(exported, /secret recipe/);
  const search = await call(finance, 'GET', '/admin/logs?q=recipe');
  assert.equal(search.status, 403, 'searching content would reveal it');
  assert.equal(await code(search), 'admin_forbidden');
  assert.equal((await call(finance, 'GET', '/admin/logs/aggregate?group_by=model')).status, 200);
  assert.equal((await call(finance, 'POST', '/admin/keys', { id: 'finance-made', models: ['*'] })).status, 403);

  // The admin token, and an admin account, still see it all.
  const admin = await open('ada');
  assert.match(await (await call(admin, 'GET', '/admin/logs?limit=5')).text(), /secret recipe/);
  const made = await call(admin, 'POST', '/admin/keys', { id: 'admin-made', models: ['*'] });
  assert.equal(made.status, 201);
  madeSecret = ((await made.json()) as { value: string }).value;
  const audit = (await (await call(admin, 'GET', '/admin/audit?action=virtual_key.create&target=admin-made')).json()) as { entries: { actor: string }[] };
  assert.deepEqual(audit.entries.map((entry) => entry.actor), ['user:ada'], 'the audit log names the account');
  const bearer = await fetch(`${running.url}/admin/logs?limit=5`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.match(await bearer.text(), /secret recipe/);
});

test('logs page by cursor: every record once, in order, with no total to count', async () => {
  const admin = await open('ada');
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: madeSecret, maxRetries: 0 });
  for (let index = 0; index < 4; index++) await client.chat.completions.create({ model: 'mock-small', messages: [{ role: 'user', content: `page ${index}` }] });
  const all = ((await (await call(admin, 'GET', '/admin/logs?limit=1000')).json()) as { logs: { request_id: string }[] }).logs.map((record) => record.request_id);
  const seen: string[] = [];
  let cursor = '';
  for (let pages = 0; pages < 20; pages++) {
    const page = (await (await call(admin, 'GET', `/admin/logs?limit=2&cursor=${encodeURIComponent(cursor)}`)).json()) as { logs: { request_id: string }[]; next_cursor: string | null; total?: number };
    assert.equal(page.total, undefined);
    seen.push(...page.logs.map((record) => record.request_id));
    if (page.next_cursor === null) break;
    cursor = page.next_cursor;
  }
  assert.deepEqual(seen, all);
  assert.equal((await call(admin, 'GET', '/admin/logs?cursor=bogus')).status, 400);
  const slim = (await (await call(admin, 'GET', '/admin/logs?limit=3&cursor=&fields=timestamp,latency_ms')).json()) as { logs: Record<string, unknown>[] };
  assert.equal(slim.logs.length, 3);
  for (const record of slim.logs) assert.deepEqual(Object.keys(record).sort(), ['latency_ms', 'timestamp']);
  assert.equal((await call(admin, 'GET', '/admin/logs?fields=timestamp,api_key')).status, 400, 'only record fields');
  assert.equal((await call(admin, 'GET', '/admin/logs?cursor=&sort=cost_usd')).status, 400);
});

test('wrong passwords are limited per user, then per address; the limit holds even for the right password', async () => {
  const wrong = await login({ user: 'rob', password: 'not-his-password' });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get('set-cookie'), null);
  assert.equal(await code(await login({ user: 'nobody', password: 'whatever-it-is' })), 'admin_unauthorized', 'unknown users answer as a wrong password does');
  for (let index = 0; index < 4; index++) assert.equal((await login({ user: 'rob', password: `wrong-${index}` })).status, 401);
  const limited = await login({ user: 'rob', password: PASSWORDS.rob });
  assert.equal(limited.status, 429);
  assert.equal(await code(limited), 'admin_login_rate_limited');
  assert.ok(Number(limited.headers.get('retry-after')) > 0);
  // Six failures so far from this address; four more reach its limit of ten, whatever the name.
  for (let index = 0; index < 4; index++) assert.equal((await login({ token: `wrong-token-${index}` })).status, 401);
  assert.equal((await login({ token: ADMIN_TOKEN })).status, 429, 'the address is limited too');
});

test('an account session ends when its password changes; a token session when the token does', async () => {
  const hash = await hashPassword('first-password-123');
  const first = await startGateway({ admin: { users: [{ name: 'pat', password_hash: hash, role: 'admin' }] }, providers: { mock: { type: 'mock', models: ['mock-small'] } } });
  let cookie: string;
  try {
    assert.equal((await fetch(`${first.url}/admin/keys`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 401, 'without admin.token no bearer opens it');
    const response = await fetch(`${first.url}/ui/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'pat', password: 'first-password-123' }) });
    assert.equal(response.status, 200, 'accounts alone enable the admin API');
    cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.equal((await fetch(`${first.url}/admin/keys`, { headers: { cookie } })).status, 200);
  } finally {
    await first.close();
  }
  const second = await startGateway({ admin: { users: [{ name: 'pat', password_hash: await hashPassword('second-password-123'), role: 'admin' }] }, providers: { mock: { type: 'mock', models: ['mock-small'] } } });
  try {
    assert.equal((await fetch(`${second.url}/admin/keys`, { headers: { cookie } })).status, 401, 'the old session no longer opens it');
  } finally {
    await second.close();
  }
});

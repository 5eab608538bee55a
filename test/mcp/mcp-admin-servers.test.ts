import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { startSearchServer } from '../fakes/mcp-tool-servers.js';
import { eventually } from '../helpers/eventually.js';
import { connectMcp } from '../helpers/mcp-client.js';

const ADMIN = 'admin-' + 'token-mcpops-0001';
const KEY = 'tg-' + 'mcp-admin-all-0001';
const UPSTREAM_TOKEN = 'up-' + 'admin-secret-0002';
const ENCRYPTION_KEY = 'enc-' + 'key-0123456789-0123456789-0123456789';

let directory: string;
let search: Awaited<ReturnType<typeof startSearchServer>>;
const gateways: RunningGateway[] = [];


async function start(): Promise<RunningGateway> {
  const running = await startGateway({
    admin: { token: ADMIN },
    storage: { type: 'sqlite', path: join(directory, 'tollgate.db') },
    providers: { mock: { type: 'mock', models: ['m'] } },
    mcp: { sync_interval_ms: 100, oauth: { encryption_key: ENCRYPTION_KEY } },
    virtual_keys: [{ id: 'all', value: KEY, models: ['*'], mcp: { allow: ['*'] } }],
  });
  gateways.push(running);
  return running;
}

async function admin(running: RunningGateway, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${running.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function toolNames(running: RunningGateway, key = KEY): Promise<string[]> {
  const client = await connectMcp(running.url, key);
  try {
    return (await client.listTools()).tools.map((tool) => tool.name).sort();
  } finally {
    await client.close();
  }
}

async function callTool(running: RunningGateway, key: string, name: string, args: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${running.url}/v1/mcp/tool/execute`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'c1', type: 'function', function: { name, arguments: JSON.stringify(args) } }) });
  return { status: response.status, body: await response.json() };
}

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tollgate-mcp-admin-'));
  search = await startSearchServer();
  process.env.TOLLGATE_TEST_MCP_ADMIN_TOKEN = UPSTREAM_TOKEN;
});

after(async () => {
  for (const running of gateways) await running.close().catch(() => {});
  await search?.close();
  await rm(directory, { recursive: true, force: true });
});

test('a server added, changed and removed through the admin API, without restart; secrets masked; state shown', async () => {
  const running = await start();
  assert.deepEqual(await toolNames(running), []);
  const created = await admin(running, 'POST', '/admin/mcp/servers', { name: 'web', transport: 'http', url: search.url, headers: { 'x-upstream-token': UPSTREAM_TOKEN, 'x-from-env': '${TOLLGATE_TEST_MCP_ADMIN_TOKEN}' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body.headers, { 'x-upstream-token': '********', 'x-from-env': '${TOLLGATE_TEST_MCP_ADMIN_TOKEN}' });
  assert.equal(created.body.source, 'api');
  const connected = await eventually('connected', async () => {
    const view = await admin(running, 'GET', '/admin/mcp/servers/web');
    return view.body.state === 'connected' ? view.body : undefined;
  });
  assert.equal(connected.tools, 2);
  assert.deepEqual(connected.tool_list, [{ name: 'search', price_usd: null }, { name: 'fetch_page', price_usd: null }]);
  assert.equal(connected.last_error, null);
  assert.deepEqual(await toolNames(running), ['web__fetch_page', 'web__search']);
  assert.match((await callTool(running, KEY, 'web__search', { query: 'q' })).body.content, new RegExp(`token ${UPSTREAM_TOKEN}`));
  // No answer of the admin API holds the secret.
  const listed = await admin(running, 'GET', '/admin/mcp/servers');
  assert.ok(!JSON.stringify(listed.body).includes(UPSTREAM_TOKEN));
  assert.deepEqual(listed.body.servers.map((server: { name: string }) => server.name), ['web']);

  // A duplicate name, a bad body and an unknown server are refused with their codes.
  assert.equal((await admin(running, 'POST', '/admin/mcp/servers', { name: 'web', transport: 'http', url: search.url })).status, 409);
  const invalid = await admin(running, 'POST', '/admin/mcp/servers', { name: 'bad', transport: 'http' });
  assert.equal(invalid.status, 400);
  assert.match(invalid.body.error.message, /url/);
  assert.equal((await admin(running, 'POST', '/admin/mcp/servers', { name: 'a__b', transport: 'http', url: search.url })).status, 400);
  assert.equal((await admin(running, 'PATCH', '/admin/mcp/servers/nope', { timeout_ms: 5 })).status, 404);
  // Programs on the gateway's host are the config file's (mcp.allow_api_stdio is off).
  const stdio = await admin(running, 'POST', '/admin/mcp/servers', { name: 'local', transport: 'stdio', command: 'sh', args: ['-c', 'id'] });
  assert.equal(stdio.status, 400);
  assert.match(stdio.body.error.message, /allow_api_stdio/);
  // A secret in the URL's query is masked too.
  const withQuery = await admin(running, 'POST', '/admin/mcp/servers', { name: 'query', transport: 'http', url: `${search.url}?api_key=${UPSTREAM_TOKEN}` });
  assert.equal(withQuery.status, 201);
  assert.equal(withQuery.body.url, `${search.url}?api_key=********`);
  assert.equal((await admin(running, 'DELETE', '/admin/mcp/servers/query')).status, 204);
  const unset = await admin(running, 'POST', '/admin/mcp/servers', { name: 'unset', transport: 'http', url: search.url, headers: { a: '${TOLLGATE_TEST_UNSET_VARIABLE}' } });
  assert.equal(unset.status, 400);
  assert.match(unset.body.error.message, /TOLLGATE_TEST_UNSET_VARIABLE/);

  // What GET shows can be sent back: masked values keep the stored secrets.
  const roundTrip = await admin(running, 'PATCH', '/admin/mcp/servers/web', { headers: connected.headers, url: connected.url });
  assert.equal(roundTrip.status, 200);
  await eventually('the same secret after the round trip', async () => ((await callTool(running, KEY, 'web__search', { query: 'q' })).body.content?.includes(`token ${UPSTREAM_TOKEN}`) ? true : undefined));
  // PATCH replaces the fields given and reconnects.
  const patched = await admin(running, 'PATCH', '/admin/mcp/servers/web', { headers: { 'x-upstream-token': 'other-' + 'value' }, timeout_ms: 5000 });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.timeout_ms, 5000);
  await eventually('the new header', async () => ((await callTool(running, KEY, 'web__search', { query: 'q' })).body.content?.includes('token other-value') ? true : undefined));

  // The stored row is sealed (mcp.oauth.encryption_key): the secret is not in the database file.
  const db = new Database(join(directory, 'tollgate.db'), { readonly: true });
  const rows = db.prepare('select config from mcp_servers where config is not null').all() as { config: string }[];
  db.close();
  assert.ok(rows.length > 0 && rows.every((row) => row.config.startsWith('aes256gcm:') && !row.config.includes(UPSTREAM_TOKEN)));

  const removed = await admin(running, 'DELETE', '/admin/mcp/servers/web');
  assert.equal(removed.status, 204);
  // Each change is in the audit log, secrets masked there too.
  const audit = (await admin(running, 'GET', '/admin/audit?limit=100')).body.entries.filter((entry: { target?: string }) => entry.target === 'web');
  assert.deepEqual(audit.map((entry: { action: string }) => entry.action).sort(), ['mcp_server.create', 'mcp_server.delete', 'mcp_server.update', 'mcp_server.update']);
  assert.ok(!JSON.stringify(audit).includes(UPSTREAM_TOKEN));
  assert.equal(audit.find((entry: { action: string }) => entry.action === 'mcp_server.create').details.url, search.url);
  assert.deepEqual(await toolNames(running), []);
  assert.equal((await admin(running, 'GET', '/admin/mcp/servers/web')).status, 404);
  await running.close();
});

test('servers added through the API survive a restart and reach another replica on the same storage', async () => {
  const first = await start();
  const second = await start();
  assert.equal((await admin(first, 'POST', '/admin/mcp/servers', { name: 'kept', transport: 'http', url: search.url })).status, 201);
  // The other replica picks it up from storage (its poll runs every 100 ms here).
  await eventually('on the second replica', async () => ((await toolNames(second)).includes('kept__search') ? true : undefined));
  assert.equal((await admin(second, 'DELETE', '/admin/mcp/servers/kept')).status, 204);
  await eventually('deleted on the first replica', async () => ((await toolNames(first)).length === 0 ? true : undefined));
  assert.equal((await admin(second, 'POST', '/admin/mcp/servers', { name: 'again', transport: 'http', url: search.url })).status, 201);
  await first.close();
  await second.close();
  const restarted = await start();
  await eventually('after the restart', async () => ((await toolNames(restarted)).includes('again__search') ? true : undefined));
  assert.equal((await admin(restarted, 'GET', '/admin/mcp/servers/again')).body.source, 'api');
  await restarted.close();
});

test('mcp permissions given to keys through the admin API count, and changes apply at once', async () => {
  const running = await start();
  assert.equal((await admin(running, 'POST', '/admin/mcp/servers', { name: 'perm', transport: 'http', url: search.url })).status, 201);
  // The servers of the earlier tests are in the same storage: this test looks at `perm` only.
  await eventually('connected', async () => ((await toolNames(running)).includes('perm__search') ? true : undefined));
  assert.equal((await admin(running, 'DELETE', '/admin/mcp/servers/again')).status, 204);
  const created = await admin(running, 'POST', '/admin/keys', { id: 'api-key', models: ['*'], mcp: { allow: ['perm__*'], block: ['perm__fetch_*'] } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const secret = created.body.value as string;
  assert.deepEqual(await toolNames(running, secret), ['perm__search']);
  const refused = await callTool(running, secret, 'perm__fetch_page', { url: 'x' });
  assert.equal(refused.status, 403);
  assert.match(refused.body.error.message, /blocked by perm__fetch_\*/);
  assert.equal((await admin(running, 'PATCH', '/admin/keys/api-key', { mcp: { allow: ['*'] } })).status, 200);
  assert.deepEqual(await toolNames(running, secret), ['perm__fetch_page', 'perm__search']);
  // A key created without an mcp section may use no tool (deny by default).
  const plain = await admin(running, 'POST', '/admin/keys', { id: 'plain-key', models: ['*'] });
  assert.deepEqual(await toolNames(running, plain.body.value), []);
  assert.equal((await admin(running, 'DELETE', '/admin/mcp/servers/perm')).status, 204);
  await running.close();
});

test('a reload connects the config file servers added or changed and closes those removed', async () => {
  const { validateConfig } = await import('../../src/config/load.js');
  const base = { storage: { type: 'memory' }, admin: { token: ADMIN }, providers: { mock: { type: 'mock', models: ['m'] } }, virtual_keys: [{ id: 'all', value: KEY, models: ['*'], mcp: { allow: ['*'] } }] };
  const running = await startGateway({ ...base, mcp: { servers: { first: { transport: 'http', url: search.url } } } });
  gateways.push(running);
  await eventually('first connected', async () => ((await toolNames(running)).includes('first__search') ? true : undefined));
  const next = validateConfig({ ...base, server: { port: 0, host: '127.0.0.1' }, mcp: { servers: { second: { transport: 'http', url: search.url, headers: { 'x-upstream-token': 'reloaded' } } } } }, 'next', process.env);
  await running.gateway.reload(next);
  await eventually('second connected', async () => ((await toolNames(running)).join() === 'second__fetch_page,second__search' ? true : undefined));
  assert.match((await callTool(running, KEY, 'second__search', { query: 'r' })).body.content, /token reloaded/);
  assert.equal((await admin(running, 'GET', '/admin/mcp/servers/first')).status, 404);
  assert.equal((await admin(running, 'GET', '/admin/mcp/servers/second')).body.source, 'config');
  await running.close();
});

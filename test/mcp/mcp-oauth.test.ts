import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { validateConfig } from '../../src/config/load.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { startOAuthFakes, type OAuthFakes } from '../fakes/mcp-oauth-servers.js';
import { eventually } from '../helpers/eventually.js';

const ADMIN = 'admin-' + 'token-oauth-0001';
const KEY = 'tg-' + 'mcp-oauth-0001';
const ENCRYPTION_KEY = 'oauth-' + 'sealing-key-0123456789-0123456789';
// The public URL behind a proxy, as registered with the authorization server; the test plays the browser and brings the query to the gateway.
const REDIRECT = 'https://tollgate.example.test/mcp/oauth/callback';

let directory: string;
let fakes: OAuthFakes;

async function start(): Promise<RunningGateway> {
  return startGateway({
    admin: { token: ADMIN },
    storage: { type: 'sqlite', path: join(directory, 'tollgate.db') },
    providers: { mock: { type: 'mock', models: ['m'] } },
    mcp: { servers: { vault: { transport: 'http', url: fakes.mcpUrl, oauth: {} } }, oauth: { encryption_key: ENCRYPTION_KEY, redirect_url: REDIRECT } },
    virtual_keys: [{ id: 'k', value: KEY, models: ['*'], mcp: { allow: ['*'] } }],
  });
}

async function admin(running: RunningGateway, method: string, path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${running.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}` } });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function execute(running: RunningGateway, name: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${running.url}/v1/mcp/tool/execute`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'c', type: 'function', function: { name, arguments: '{}' } }) });
  return { status: response.status, body: await response.json() };
}


before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tollgate-mcp-oauth-'));
  fakes = await startOAuthFakes();
});

after(async () => {
  await fakes?.close();
  await rm(directory, { recursive: true, force: true });
});

test('OAuth: an admin starts it (discovery, registration, PKCE), the callback stores sealed tokens, the server connects and refreshes on expiry', async () => {
  const running = await start();
  try {
    // Before authorization: not connected, told how to fix it, and the gateway is still ready (the admin needs it).
    const waiting = await eventually('the 401', async () => {
      const view = await admin(running, 'GET', '/admin/mcp/servers/vault');
      return view.body.last_error?.includes('oauth/start') ? view.body : undefined;
    });
    // Between two attempts, or in the next one (`connecting`), the last error stays.
    assert.notEqual(waiting.state, 'connected');
    assert.equal((await fetch(`${running.url}/ready`)).status, 200);
    const early = await execute(running, 'vault__whoami');
    assert.equal(early.status, 503);
    assert.match(early.body.error.message, /oauth\/start/);

    const started = await admin(running, 'POST', '/admin/mcp/servers/vault/oauth/start');
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const authorization = new URL(started.body.authorization_url);
    assert.equal(authorization.origin, fakes.issuer);
    assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authorization.searchParams.get('redirect_uri'), REDIRECT);
    assert.match(authorization.searchParams.get('state')!, /^vault\./);
    assert.equal(fakes.log.registrations, 1, 'registered dynamically');

    // The user approves; the authorization server sends the browser back with the code.
    const approved = await fetch(authorization, { redirect: 'manual' });
    assert.equal(approved.status, 302);
    const back = new URL(approved.headers.get('location')!);
    assert.equal(back.origin + back.pathname, REDIRECT);
    const callback = await fetch(`${running.url}/mcp/oauth/callback${back.search}`);
    assert.equal(callback.status, 200, await callback.clone().text());
    assert.match(await callback.text(), /authorized for the MCP server "vault"/);
    assert.equal(fakes.log.codeExchanges, 1);
    assert.equal(fakes.log.pkceFailures, 0);
    assert.deepEqual(fakes.log.resources, [fakes.mcpUrl, fakes.mcpUrl], 'the resource indicator names the MCP server');
    // The same state cannot be used twice.
    assert.equal((await fetch(`${running.url}/mcp/oauth/callback${back.search}`)).status, 400);
    assert.equal((await fetch(`${running.url}/mcp/oauth/callback?state=vault.forged&code=x`)).status, 400);

    const called = await eventually('the tool', async () => {
      const answer = await execute(running, 'vault__whoami');
      return answer.status === 200 ? answer : undefined;
    });
    assert.match(called.body.content, /^token at-/);
    const audit = (await admin(running, 'GET', '/admin/audit?limit=100')).body.entries.filter((entry: { target?: string }) => entry.target === 'vault');
    assert.deepEqual(audit.map((entry: { action: string; actor: string }) => `${entry.actor}:${entry.action}`).sort(), ['admin:mcp_oauth.start', 'oauth-callback:mcp_oauth.authorize']);
    const status = await admin(running, 'GET', '/admin/mcp/servers/vault/oauth');
    assert.equal(status.body.authorized, true);
    assert.equal(status.body.refreshable, true);
    assert.equal(typeof status.body.expires_at, 'string');

    // The access token expires: the next call gets a 401 upstream, the SDK refreshes, the call goes through.
    fakes.expireAccessTokens();
    const afterExpiry = await execute(running, 'vault__whoami');
    assert.equal(afterExpiry.status, 200, JSON.stringify(afterExpiry.body));
    // Refreshed (once, or twice when the transport's other request met the 401 too), with no new authorization.
    assert.ok(fakes.log.refreshes >= 1);
    assert.equal(fakes.log.codeExchanges, 1);

    // Tokens are sealed in storage and appear in no log line, answer or record.
    const db = new Database(join(directory, 'tollgate.db'), { readonly: true });
    const rows = db.prepare('select document from mcp_oauth').all() as { document: string }[];
    db.close();
    assert.equal(rows.length, 1);
    assert.ok(rows[0]!.document.startsWith('aes256gcm:'));
    const tokens = [...new Set(fakes.accepted)];
    assert.ok(tokens.length >= 2);
    const logs = await admin(running, 'GET', '/admin/logs?limit=100');
    const seen = [running.logs.join('\n'), rows[0]!.document, JSON.stringify(status.body), JSON.stringify(logs.body), JSON.stringify((await admin(running, 'GET', '/admin/mcp/servers')).body)].join('\n');
    for (const token of tokens) assert.ok(!seen.includes(token), 'a token leaked');
  } finally {
    await running.close();
  }
});

test('OAuth: the stored tokens survive a restart (no new authorization), and forgetting them needs a new one', async () => {
  const exchanges = fakes.log.codeExchanges;
  const running = await start();
  try {
    const called = await eventually('the tool after the restart', async () => {
      const answer = await execute(running, 'vault__whoami');
      return answer.status === 200 ? answer : undefined;
    });
    assert.match(called.body.content, /^token at-/);
    assert.equal(fakes.log.codeExchanges, exchanges);
    assert.equal((await admin(running, 'DELETE', '/admin/mcp/servers/vault/oauth')).status, 204);
    assert.equal((await admin(running, 'GET', '/admin/mcp/servers/vault/oauth')).body.authorized, false);
    assert.equal((await admin(running, 'POST', '/admin/mcp/servers/nope/oauth/start')).status, 400);
  } finally {
    await running.close();
  }
});

test('OAuth config: servers with oauth need the encryption key and the redirect URL; stdio servers cannot have it', () => {
  assert.throws(() => validateConfig({ providers: { mock: { type: 'mock', models: ['m'] } }, mcp: { servers: { v: { transport: 'http', url: 'http://127.0.0.1:1/mcp', oauth: {} } } } }, 'test'), /encryption_key[\s\S]*redirect_url/);
  assert.throws(() => validateConfig({ providers: { mock: { type: 'mock', models: ['m'] } }, mcp: { servers: { v: { transport: 'stdio', command: 'x', oauth: {} } }, oauth: { encryption_key: ENCRYPTION_KEY, redirect_url: REDIRECT } } }, 'test'), /OAuth is for http and sse/);
});

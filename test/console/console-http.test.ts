import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { rawExchange, type RawReply } from '../helpers/raw-http.js';

const ADMIN_TOKEN = 'console-admin-' + 'token-0123456789';
let running: RunningGateway;

before(async () => {
  running = await startGateway({ admin: { token: ADMIN_TOKEN }, providers: { mock: { type: 'mock', models: ['mock-small'] } } });
});
after(() => running.close());

function rawGet(path: string): Promise<RawReply> {
  return rawExchange(running.url, (socket) => {
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

test('/ redirects to /ui/, which answers the console page', async () => {
  const root = await fetch(`${running.url}/`, { redirect: 'manual' });
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/ui/');
  const page = await fetch(`${running.url}/ui/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(page.headers.get('cache-control'), 'no-cache');
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  const html = await page.text();
  assert.match(html, /<div id="app">/);
  assert.match(html, /src="\/ui\/assets\/[^"]+\.js"/);
});

test('deep links answer the same page; unknown assets and api paths are 404', async () => {
  const index = await (await fetch(`${running.url}/ui/`)).text();
  for (const path of ['/ui/overview', '/ui/logs', '/ui/keys', '/ui/keys/some-key']) {
    const response = await fetch(`${running.url}${path}`);
    assert.equal(response.status, 200, path);
    assert.equal(await response.text(), index, path);
  }
  assert.equal((await fetch(`${running.url}/ui/assets/nothing-here.js`)).status, 404);
  assert.equal((await fetch(`${running.url}/ui/api/nothing`)).status, 404);
});

test('assets have their content types and are cached as immutable', async () => {
  const html = await (await fetch(`${running.url}/ui/`)).text();
  const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)![1]!;
  const style = /href="(\/ui\/assets\/[^"]+\.css)"/.exec(html)![1]!;
  const js = await fetch(`${running.url}${script}`);
  assert.equal(js.status, 200);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(js.headers.get('x-content-type-options'), 'nosniff');
  assert.ok((await js.text()).length > 1000);
  const css = await fetch(`${running.url}${style}`);
  assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
});

test('path traversal out of the console folder is refused', async () => {
  for (const path of ['/ui/../package.json', '/ui/%2e%2e/%2e%2e/package.json', '/ui/assets/..%2f..%2f..%2fpackage.json', '/ui/..%5c..%5cpackage.json', '/ui/assets/%2e%2e/%2e%2e/src/server/gateway.js', '/ui/%00index.html']) {
    const reply = await rawGet(path);
    assert.equal(reply.status, 404, `${path}: ${reply.raw.slice(0, 200)}`);
    assert.doesNotMatch(reply.body, /"name": "tollgate"|createGateway/, path);
  }
});

test('a session: the cookie opens the admin API, writes need the CSRF header, logout closes it', async () => {
  const wrong = await fetch(`${running.url}/ui/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'not-the-token' }) });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.get('set-cookie'), null);
  const anonymous = (await (await fetch(`${running.url}/ui/api/session`)).json()) as { authenticated: boolean };
  assert.equal(anonymous.authenticated, false);

  const login = await fetch(`${running.url}/ui/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
  assert.equal(login.status, 200);
  const setCookie = login.headers.get('set-cookie') ?? '';
  assert.match(setCookie, /^tollgate_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  const { csrf_token: csrf } = (await login.json()) as { csrf_token: string };
  const cookie = setCookie.split(';')[0]!;

  const status = (await (await fetch(`${running.url}/ui/api/session`, { headers: { cookie } })).json()) as { authenticated: boolean; csrf_token: string };
  assert.deepEqual([status.authenticated, status.csrf_token], [true, csrf]);
  assert.equal((await fetch(`${running.url}/admin/keys`, { headers: { cookie } })).status, 200);
  const body = JSON.stringify({ id: 'from-console', models: ['*'] });
  const headers = { cookie, 'content-type': 'application/json' };
  assert.equal((await fetch(`${running.url}/admin/keys`, { method: 'POST', headers, body })).status, 401, 'no CSRF header');
  assert.equal((await fetch(`${running.url}/admin/keys`, { method: 'POST', headers: { ...headers, 'x-tollgate-csrf': 'wrong' }, body })).status, 401, 'wrong CSRF header');
  assert.equal((await fetch(`${running.url}/admin/keys`, { method: 'POST', headers: { ...headers, 'x-tollgate-csrf': csrf, origin: 'https://evil.example' }, body })).status, 401, 'another origin');
  assert.equal((await fetch(`${running.url}/admin/keys`, { method: 'POST', headers: { ...headers, 'x-tollgate-csrf': csrf }, body })).status, 201);
  assert.equal((await fetch(`${running.url}/admin/keys`, { headers: { cookie: 'tollgate_session=made-up-session-id' } })).status, 401);

  assert.equal((await fetch(`${running.url}/ui/api/session`, { method: 'DELETE', headers: { cookie } })).status, 401, 'logout needs the CSRF header too');
  const logout = await fetch(`${running.url}/ui/api/session`, { method: 'DELETE', headers: { cookie, 'x-tollgate-csrf': csrf } });
  assert.equal(logout.status, 204);
  assert.match(logout.headers.get('set-cookie') ?? '', /^tollgate_session=; .*Max-Age=0/);
  assert.equal((await fetch(`${running.url}/admin/keys`, { headers: { cookie } })).status, 401);
});

test('a session opened on one gateway does not open another with a different token', async () => {
  const other = await startGateway({ admin: { token: 'another-admin-' + 'token-abcdef' }, providers: { mock: { type: 'mock', models: ['mock-small'] } } });
  try {
    const login = await fetch(`${running.url}/ui/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.equal((await fetch(`${running.url}/admin/keys`, { headers: { cookie } })).status, 200);
    assert.equal((await fetch(`${other.url}/admin/keys`, { headers: { cookie } })).status, 401);
  } finally {
    await other.close();
  }
});

test('without admin.token the console still loads and login says the admin API is off', async () => {
  const bare = await startGateway({ providers: { mock: { type: 'mock', models: ['mock-small'] } } });
  try {
    assert.equal((await fetch(`${bare.url}/ui/logs`)).status, 200);
    const login = await fetch(`${bare.url}/ui/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'anything-at-all' }) });
    assert.equal(login.headers.get('x-tollgate-error-code') ?? ((await login.json()) as { error: { code: string } }).error.code, 'admin_disabled');
  } finally {
    await bare.close();
  }
});

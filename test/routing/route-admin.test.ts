import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freshSchema } from '../observability/postgres.js';
import { hashPassword } from '../../src/admin/password-hash.js';
import { validateConfig } from '../../src/config/load.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { heldWithin } from '../helpers/eventually.js';

/** Routes changed through `PUT/DELETE /admin/routes/{name}`: applied without a restart, kept by a reload, seen by replicas. */
const TOKEN = 'route-admin-token-' + '0123456789abcdef';
const VIEWER_PASSWORD = 'vic-viewer-password-1';

function raw(storage: Record<string, unknown>, users: unknown[] = []): Record<string, unknown> {
  return {
    storage,
    logging: { level: 'error', requests: false },
    admin: { token: TOKEN, users },
    providers: {
      left: { type: 'mock', models: ['mock-small'], mock: { reply: 'left' } },
      right: { type: 'mock', models: ['mock-small'], mock: { reply: 'right' } },
    },
    routes: { main: { targets: [{ model: 'left/mock-small', weight: 1 }] } },
  };
}

async function ask(url: string, model = 'main'): Promise<string | null> {
  const response = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) });
  await response.arrayBuffer();
  return response.status === 200 ? response.headers.get('x-tollgate-provider') : `status ${response.status}`;
}

function admin(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<Response> {
  return fetch(`${url}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

test('PUT a route with new weights: requests follow it at once; a bad definition is refused naming the path; DELETE brings back the file\'s; a reload keeps the change; audited', async () => {
  const running = await startGateway(raw({ type: 'memory' }, []), { reloadConfig: async () => validateConfig({ ...raw({ type: 'memory' }), server: { port: 0 } }, 'reload', {}) });
  after(() => running.close());
  for (let index = 0; index < 3; index++) assert.equal(await ask(running.url), 'left');

  const listed = (await (await admin(running.url, 'GET', '/admin/routes')).json()) as { routes: { name: string; source: string; in_file: boolean }[] };
  assert.deepEqual(listed.routes.map((route) => [route.name, route.source, route.in_file]), [['main', 'file', true]]);

  // The body docs/routing.md shows ("Changing routes at run time").
  const docs = await readFile(new URL('../../../docs/routing.md', import.meta.url), 'utf8');
  const documented = /## Changing routes at run time[\s\S]*?```json\n([\s\S]*?)```/.exec(docs);
  assert.ok(documented !== null, 'docs/routing.md shows a PUT body');
  const put = await admin(running.url, 'PUT', '/admin/routes/main', JSON.parse(documented[1]!));
  assert.equal(put.status, 200);
  const view = (await put.json()) as { source: string; definition: { strategy: string; targets: { weight: number }[] }; file_definition: unknown; updated_by: string };
  assert.equal(view.source, 'api');
  assert.equal(view.definition.strategy, 'weighted', 'defaults of the route schema applied');
  assert.ok(view.file_definition !== null);
  assert.equal(view.updated_by, 'admin');
  for (let index = 0; index < 5; index++) assert.equal(await ask(running.url), 'right');

  // A new route, served at once.
  assert.equal((await admin(running.url, 'PUT', '/admin/routes/fresh', { targets: [{ model: 'right/mock-small' }] })).status, 200);
  assert.equal(await ask(running.url, 'fresh'), 'right');

  // Schema errors name the path and the fix; reference errors too; nothing changes.
  const bad = await admin(running.url, 'PUT', '/admin/routes/main', { targets: [{ model: 'left/mock-small', weight: -1 }], strategy: 'fastest' });
  assert.equal(bad.status, 400);
  const badText = ((await bad.json()) as { error: { message: string; code: string } }).error;
  assert.equal(badText.code, 'invalid_request');
  assert.match(badText.message, /routes\.main\.targets\[0\]\.weight/);
  assert.match(badText.message, /routes\.main\.strategy: "fastest" is not allowed here\. Fix: use one of: weighted, latency, least-busy/);
  const dangling = await admin(running.url, 'PUT', '/admin/routes/main', { targets: [{ model: 'nowhere/model' }] });
  assert.equal(dangling.status, 400);
  assert.match(((await dangling.json()) as { error: { message: string } }).error.message, /routes\.main/);
  assert.equal((await admin(running.url, 'PUT', '/admin/routes/bad%20name', { targets: [{ model: 'left/mock-small' }] })).status, 400);
  assert.equal(await ask(running.url), 'right', 'refused changes changed nothing');

  // A reload of the file keeps the stored routes over it.
  const reloaded = await admin(running.url, 'POST', '/admin/reload');
  assert.equal(reloaded.status, 200);
  assert.equal(await ask(running.url), 'right');
  assert.equal(await ask(running.url, 'fresh'), 'right');

  // DELETE: the file's definition again; a route only the API defined is gone; a second DELETE is 404.
  const reverted = await admin(running.url, 'DELETE', '/admin/routes/main');
  assert.equal(reverted.status, 200);
  assert.equal(((await reverted.json()) as { route: { source: string } }).route.source, 'file');
  assert.equal(await ask(running.url), 'left');
  assert.equal((await admin(running.url, 'DELETE', '/admin/routes/fresh')).status, 200);
  assert.equal(await ask(running.url, 'fresh'), 'status 404');
  assert.equal((await admin(running.url, 'DELETE', '/admin/routes/main')).status, 404);

  const audit = (await (await admin(running.url, "GET", "/admin/audit?limit=50")).json()) as { entries: { action: string; target: string; actor: string }[] };
  const events = audit.entries.map((event) => `${event.actor} ${event.action} ${event.target}`);
  for (const expected of ['admin route.put main', 'admin route.put fresh', 'admin route.revert main', 'admin route.revert fresh']) assert.ok(events.includes(expected), `${expected} in ${JSON.stringify(events)}`);
});

test('a viewer reads the routes but cannot PUT or DELETE them (403)', async () => {
  const running = await startGateway(raw({ type: 'memory' }, [{ name: 'vic', password_hash: await hashPassword(VIEWER_PASSWORD), role: 'viewer' }]));
  after(() => running.close());
  const login = await fetch(`${running.url}/ui/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'vic', password: VIEWER_PASSWORD }) });
  assert.equal(login.status, 200);
  const csrf = ((await login.json()) as { csrf_token: string }).csrf_token;
  const headers = { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0]!, 'x-tollgate-csrf': csrf };
  assert.equal((await admin(running.url, 'GET', '/admin/routes', undefined, headers)).status, 200);
  const put = await admin(running.url, 'PUT', '/admin/routes/main', { targets: [{ model: 'right/mock-small' }] }, headers);
  assert.equal(put.status, 403);
  assert.equal(((await put.json()) as { error: { code: string } }).error.code, 'admin_forbidden');
  assert.equal((await admin(running.url, 'DELETE', '/admin/routes/main', undefined, headers)).status, 403);
  assert.equal(await ask(running.url), 'left');
});

async function twoReplicas(storage: Record<string, unknown>): Promise<void> {
  const one: RunningGateway = await startGateway(raw(storage));
  const two: RunningGateway = await startGateway(raw(storage));
  try {
    assert.equal(await ask(two.url), 'left');
    assert.equal((await admin(one.url, 'PUT', '/admin/routes/main', { targets: [{ model: 'right/mock-small' }] })).status, 200);
    assert.equal(await ask(one.url), 'right');
    assert.ok(await heldWithin(async () => (await ask(two.url)) === 'right', 1500), 'the other replica follows within about a second');
    const seen = (await (await admin(two.url, 'GET', '/admin/routes/main')).json()) as { source: string; updated_by: string };
    assert.deepEqual([seen.source, seen.updated_by], ['api', 'admin']);
    assert.equal((await admin(two.url, 'DELETE', '/admin/routes/main')).status, 200);
    assert.ok(await heldWithin(async () => (await ask(one.url)) === 'left', 1500), 'the revert reaches the first replica too');
    // A replica started now applies the stored routes before it serves.
    assert.equal((await admin(one.url, 'PUT', '/admin/routes/main', { targets: [{ model: 'right/mock-small' }] })).status, 200);
    const three = await startGateway(raw(storage));
    try {
      assert.equal(await ask(three.url), 'right');
    } finally {
      await three.close();
    }
  } finally {
    await one.close();
    await two.close();
  }
}

test('two gateways on one SQLite file: a change on one is served by the other within a second', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'tollgate-route-admin-'));
  after(() => rm(folder, { recursive: true, force: true }));
  await twoReplicas({ type: 'sqlite', path: join(folder, 'gateway.db') });
});

test('two gateways on one PostgreSQL schema: a change on one is served by the other within a second', async () => {
  const schema = await freshSchema('route_admin');
  after(() => schema.drop());
  await twoReplicas({ type: 'postgres', url: schema.url });
});

test('a replica that lacks a stored route\'s provider keeps its running routes and says why, and takes the route once its file has the provider; a reload removing that provider is refused with the route\'s path', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'tollgate-route-admin-'));
  after(() => rm(folder, { recursive: true, force: true }));
  const storage = { type: 'sqlite', path: join(folder, 'gateway.db') };
  const withoutRight = (): Record<string, unknown> => {
    const config = raw(storage);
    const providers = { ...(config.providers as Record<string, unknown>) };
    delete providers.right;
    return { ...config, providers };
  };
  const one = await startGateway(raw(storage), { reloadConfig: async () => validateConfig({ ...withoutRight(), server: { port: 0 } }, 'reload', {}) });
  const two = await startGateway(withoutRight());
  after(async () => {
    await one.close();
    await two.close();
  });
  assert.equal((await admin(one.url, 'PUT', '/admin/routes/main', { targets: [{ model: 'right/mock-small' }] })).status, 200);
  assert.ok(await heldWithin(async () => two.logs.some((line) => line.includes('stored routes or providers not applied')), 1500), 'the replica says why');
  assert.equal(await ask(two.url), 'left', 'and keeps serving its running routes');
  // Once its file gains the provider, the stored route applies there too.
  await two.gateway.reload(validateConfig({ ...raw(storage), server: { port: 0 } }, 'reload', {}));
  assert.ok(await heldWithin(async () => (await ask(two.url)) === 'right', 1500), 'the stored route applies after the reload');
  const refused = await admin(one.url, 'POST', '/admin/reload');
  assert.equal(refused.status, 400);
  assert.match(((await refused.json()) as { error: { message: string } }).error.message, /routes\.main/);
  assert.equal(await ask(one.url), 'right', 'the refused reload changed nothing');
});

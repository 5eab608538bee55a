import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { freshSchema } from '../observability/postgres.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { heldWithin } from '../helpers/eventually.js';

/** Providers changed through `PUT/DELETE /admin/providers/{name}`: applied without a restart, secrets never shown, seen by replicas. */
const TOKEN = 'provider-admin-token-' + '0123456789abcdef';
const SECRET = 'sk-' + 'fresh-upstream-secret-0001';
const SECOND_SECRET = 'sk-' + 'fresh-upstream-secret-0002';
const CALLER_KEY = 'sk-' + 'caller-never-forwarded';
const ENCRYPTION_KEY = 'provider-admin-encryption-key-0123456789';

function raw(storage: Record<string, unknown>): Record<string, unknown> {
  return {
    storage,
    logging: { level: 'debug', requests: false },
    admin: { token: TOKEN, users: [] },
    providers: { left: { type: 'mock', models: ['mock-small'], mock: { reply: 'left' } } },
    routes: { main: { targets: [{ model: 'left/mock-small', weight: 1 }] } },
  };
}

function admin(url: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

async function json<T>(response: Promise<Response>): Promise<{ status: number; body: T; text: string }> {
  const answered = await response;
  const text = await answered.text();
  return { status: answered.status, body: JSON.parse(text) as T, text };
}

function authorizationOf(fake: FakeUpstream, index = fake.requests.length - 1): string | undefined {
  return fake.requests[index]?.headers.authorization as string | undefined;
}

/** The provider body docs/configuration.md shows ("Changing providers at run time"), pointed at the fake. */
async function documentedBody(fake: FakeUpstream): Promise<Record<string, unknown>> {
  const docs = await readFile(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  const documented = /## Changing providers at run time[\s\S]*?```json\n([\s\S]*?)```/.exec(docs);
  assert.ok(documented !== null, 'docs/configuration.md shows a PUT body');
  const body = JSON.parse(documented[1]!) as Record<string, unknown> & { keys: { value: string }[] };
  return { ...body, base_url: `${fake.url}/v1`, keys: body.keys.map((key) => ({ ...key, value: SECRET })) };
}

test('PUT a provider: the openai SDK reaches the new upstream with its key at once; secrets never shown, logged, audited or stored in clear; a weight edit keeps the secret; DELETE refused while routed', async () => {
  const fake = await startOpenAIFake();
  const folder = await mkdtemp(join(tmpdir(), 'tollgate-provider-admin-'));
  const path = join(folder, 'gateway.db');
  const running = await startGateway(raw({ type: 'sqlite', path, encryption_key: ENCRYPTION_KEY }));
  after(async () => {
    await running.close();
    await fake.close();
    await rm(folder, { recursive: true, force: true });
  });
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: CALLER_KEY, maxRetries: 0 });

  // A new provider, served at once by `provider/model`.
  const put = await json<{ definition_source: string; definition: { keys: { id: string; value: unknown; weight: number }[] } }>(admin(running.url, 'PUT', '/admin/providers/fresh', await documentedBody(fake)));
  assert.equal(put.status, 200, put.text);
  assert.equal(put.body.definition_source, 'api');
  assert.deepEqual(put.body.definition.keys.map((key) => [key.id, key.value]), [['fresh-main', { set: true }]]);
  const answer = await client.chat.completions.create({ model: 'fresh/gpt-fresh', messages: [{ role: 'user', content: 'hello' }] });
  assert.equal(answer.choices[0]!.message.content, 'Hello from the fake upstream.');
  assert.equal(fake.requests.length, 1);
  assert.equal(authorizationOf(fake), `Bearer ${SECRET}`, 'the upstream gets the stored key, not the caller\'s');

  // A route onto it, then a key edit that names the id without the secret: the secret stays.
  assert.equal((await admin(running.url, 'PUT', '/admin/routes/main', { targets: [{ model: 'fresh/gpt-fresh' }] })).status, 200);
  const listed = await json<{ data: { name: string; definition_source: string; definition: { keys: { id: string; value: unknown; weight: number; models?: string[] }[]; models: string[] } }[] }>(admin(running.url, 'GET', '/admin/providers'));
  const shown = listed.body.data.find((provider) => provider.name === 'fresh')!;
  assert.deepEqual(listed.body.data.map((provider) => [provider.name, provider.definition_source]), [['left', 'file'], ['fresh', 'api']]);
  const edited = { ...shown.definition, keys: [{ ...shown.definition.keys[0]!, weight: 3 }, { id: 'second', value: SECOND_SECRET, weight: 0 }] };
  const kept = await json<{ definition: { keys: { id: string; weight: number }[] } }>(admin(running.url, 'PUT', '/admin/providers/fresh', edited));
  assert.equal(kept.status, 200, kept.text);
  assert.deepEqual(kept.body.definition.keys.map((key) => [key.id, key.weight]), [['fresh-main', 3], ['second', 0]]);
  const withoutValue = { ...edited, keys: [{ id: 'fresh-main', weight: 2 }, { id: 'second', value: { set: true }, weight: 0 }] };
  assert.equal((await admin(running.url, 'PUT', '/admin/providers/fresh', withoutValue)).status, 200);
  await client.chat.completions.create({ model: 'main', messages: [{ role: 'user', content: 'again' }] });
  assert.equal(authorizationOf(fake), `Bearer ${SECRET}`, 'the kept secret still serves');

  // A new key without its secret, and schema errors, are refused naming the path; nothing changes.
  const missing = await json<{ error: { code: string; message: string } }>(admin(running.url, 'PUT', '/admin/providers/fresh', { ...edited, keys: [{ id: 'unknown', weight: 1 }] }));
  assert.equal(missing.status, 400);
  assert.match(missing.body.error.message, /providers\.fresh\.keys\[0\]\.value/);
  const bad = await json<{ error: { code: string; message: string; param: string } }>(admin(running.url, 'PUT', '/admin/providers/fresh', { ...edited, base_url: 'ftp://nowhere', max_retries: 99 }));
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'invalid_request');
  assert.match(bad.body.error.message, /providers\.fresh\.base_url/);
  assert.match(bad.body.error.message, /providers\.fresh\.max_retries/);
  // A key the provider would read as a file on the gateway's host is refused through the API.
  const keyFile = await json<{ error: { code: string; message: string; param: string } }>(admin(running.url, 'PUT', '/admin/providers/cloud', { type: 'vertex', options: { project: 'p' }, keys: [{ value: '/etc/hostname' }], models: ['gemini-2.5-flash'] }));
  assert.equal(keyFile.status, 400);
  assert.equal(keyFile.body.error.param, 'providers.cloud.keys[0].value');
  assert.equal((await admin(running.url, 'GET', '/admin/providers/cloud')).status, 404, 'nothing was stored');
  const unknownType = await json<{ error: { message: string } }>(admin(running.url, 'PUT', '/admin/providers/other', { type: 'no-such-type', keys: [{ value: SECRET }] }));
  assert.equal(unknownType.status, 400);
  assert.match(unknownType.body.error.message, /providers\.other/);
  await client.chat.completions.create({ model: 'main', messages: [{ role: 'user', content: 'still' }] });
  assert.equal(authorizationOf(fake), `Bearer ${SECRET}`);

  // DELETE is refused while a route names the provider, then allowed; the provider is gone.
  const refused = await json<{ error: { code: string; message: string } }>(admin(running.url, 'DELETE', '/admin/providers/fresh'));
  assert.equal(refused.status, 409);
  assert.equal(refused.body.error.code, 'conflict');
  assert.match(refused.body.error.message, /routes\.main/);
  assert.equal((await admin(running.url, 'DELETE', '/admin/routes/main')).status, 200);
  assert.equal((await admin(running.url, 'DELETE', '/admin/providers/fresh')).status, 200);
  await assert.rejects(client.chat.completions.create({ model: 'fresh/gpt-fresh', messages: [{ role: 'user', content: 'gone' }] }), (error: { status?: number }) => error.status === 404);
  assert.equal((await admin(running.url, 'DELETE', '/admin/providers/left')).status, 404, 'a file-only provider is changed in the file');

  // A provider of the file, changed through the API as GET shows it, then back to the file's on DELETE.
  const left = await json<{ definition: Record<string, unknown> }>(admin(running.url, 'GET', '/admin/providers/left'));
  assert.equal((await admin(running.url, 'PUT', '/admin/providers/left', { ...left.body.definition, mock: { reply: 'changed' } })).status, 200);
  const reply = async () => (await client.chat.completions.create({ model: 'left/mock-small', messages: [{ role: 'user', content: 'x' }] })).choices[0]!.message.content;
  assert.equal(await reply(), 'changed');
  const back = await json<{ provider: { definition_source: string } }>(admin(running.url, 'DELETE', '/admin/providers/left'));
  assert.equal(back.status, 200);
  assert.equal(back.body.provider.definition_source, 'file');
  assert.equal(await reply(), 'left');

  // The secrets never came back: not in any answer above, the audit log or the logs; sealed at rest.
  const audit = await json<{ entries: { action: string; target: string; actor: string }[] }>(admin(running.url, 'GET', '/admin/audit?limit=100'));
  const events = audit.body.entries.map((entry) => `${entry.actor} ${entry.action} ${entry.target}`);
  for (const expected of ['admin provider.put fresh', 'admin provider.revert fresh', 'admin provider.put left', 'admin provider.revert left']) assert.ok(events.includes(expected), `${expected} in ${JSON.stringify(events)}`);
  for (const secret of [SECRET, SECOND_SECRET]) {
    for (const [label, text] of [['put', put.text], ['list', listed.text], ['edit', kept.text], ['audit', audit.text], ['logs', running.logs.join('\n')]] as const) assert.ok(!text.includes(secret), `${label} holds no secret`);
  }
  const database = new Database(path, { readonly: true });
  try {
    const rows = database.prepare('select definition from routing_providers').all() as { definition: string | null }[];
    assert.ok(rows.length > 0);
    for (const row of rows) assert.ok(row.definition === null || (row.definition.startsWith('aes256gcm:') && !row.definition.includes('fresh-upstream')), 'sealed at rest');
  } finally {
    database.close();
  }
});

async function twoReplicas(storage: Record<string, unknown>): Promise<void> {
  const fake = await startOpenAIFake();
  const one: RunningGateway = await startGateway(raw(storage));
  const two: RunningGateway = await startGateway(raw(storage));
  try {
    const body = await documentedBody(fake);
    assert.equal((await admin(one.url, 'PUT', '/admin/providers/fresh', body)).status, 200);
    const client = new OpenAI({ baseURL: `${two.url}/v1`, apiKey: CALLER_KEY, maxRetries: 0 });
    const served = await heldWithin(async () => {
      try {
        await client.chat.completions.create({ model: 'fresh/gpt-fresh', messages: [{ role: 'user', content: 'replica' }] });
        return true;
      } catch {
        return false;
      }
    }, 1500);
    assert.ok(served, 'the other replica serves the new provider within about a second');
    assert.equal(authorizationOf(fake), `Bearer ${SECRET}`);
    const seen = await json<{ definition_source: string; updated_by: string }>(admin(two.url, 'GET', '/admin/providers/fresh'));
    assert.deepEqual([seen.body.definition_source, seen.body.updated_by], ['api', 'admin']);
    // A weight edit on the second replica keeps the secret the first one stored.
    assert.equal((await admin(two.url, 'PUT', '/admin/providers/fresh', { ...body, keys: [{ id: 'fresh-main', weight: 2 }] })).status, 200);
    const fromOne = new OpenAI({ baseURL: `${one.url}/v1`, apiKey: CALLER_KEY, maxRetries: 0 });
    assert.ok(await heldWithin(async () => ((await admin(one.url, 'GET', '/admin/providers/fresh').then((response) => response.json())) as { definition: { keys: { weight: number }[] } }).definition.keys[0]!.weight === 2, 1500));
    await fromOne.chat.completions.create({ model: 'fresh/gpt-fresh', messages: [{ role: 'user', content: 'one' }] });
    assert.equal(authorizationOf(fake), `Bearer ${SECRET}`);
    assert.equal((await admin(one.url, 'DELETE', '/admin/providers/fresh')).status, 200);
    assert.ok(await heldWithin(async () => (await admin(two.url, 'GET', '/admin/providers/fresh')).status === 404, 1500), 'the delete reaches the other replica');
  } finally {
    await one.close();
    await two.close();
    await fake.close();
  }
}

test('two gateways on one SQLite file: a provider added on one is served by the other within a second', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'tollgate-provider-admin-'));
  after(() => rm(folder, { recursive: true, force: true }));
  await twoReplicas({ type: 'sqlite', path: join(folder, 'gateway.db') });
});

test('two gateways on one PostgreSQL schema: a provider added on one is served by the other within a second', async () => {
  const schema = await freshSchema('provider_admin');
  after(() => schema.drop());
  await twoReplicas({ type: 'postgres', url: schema.url, encryption_key: ENCRYPTION_KEY });
});

test('a replica without the encryption key leaves a sealed provider out and says why, serving the rest', async () => {
  const fake = await startOpenAIFake();
  const folder = await mkdtemp(join(tmpdir(), 'tollgate-provider-admin-'));
  const path = join(folder, 'gateway.db');
  const sealed = await startGateway(raw({ type: 'sqlite', path, encryption_key: ENCRYPTION_KEY }));
  const keyless = await startGateway(raw({ type: 'sqlite', path }));
  after(async () => {
    await sealed.close();
    await keyless.close();
    await fake.close();
    await rm(folder, { recursive: true, force: true });
  });
  assert.equal((await admin(sealed.url, 'PUT', '/admin/providers/fresh', await documentedBody(fake))).status, 200);
  assert.ok(await heldWithin(async () => keyless.logs.some((line) => line.includes('stored provider ignored: it cannot be opened') && line.includes('storage.encryption_key')), 1500), 'the keyless replica says why');
  assert.equal((await admin(keyless.url, 'GET', '/admin/providers/fresh')).status, 404);
  const client = new OpenAI({ baseURL: `${keyless.url}/v1`, apiKey: CALLER_KEY, maxRetries: 0 });
  assert.equal((await client.chat.completions.create({ model: 'main', messages: [{ role: 'user', content: 'x' }] })).choices[0]!.message.content, 'left');
  assert.ok(!keyless.logs.join('\n').includes(SECRET));
});

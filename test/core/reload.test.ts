import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import OpenAI from 'openai';
import { request } from 'undici';
import { validateConfig } from '../../src/config/load.js';
import { startCli } from '../helpers/cli.js';
import { startGateway } from '../helpers/gateway.js';

test('reload swaps providers, routes and prices for the next request, and refuses an invalid config', async () => {
  const running = await startGateway({ providers: { mock: { type: 'mock', models: ['a'] } }, routes: { main: { targets: [{ model: 'mock/a' }] } } });
  try {
    const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'x', maxRetries: 0 });
    await assert.rejects(client.chat.completions.create({ model: 'other/b', messages: [{ role: 'user', content: 'x' }] }), OpenAI.NotFoundError);
    const next = validateConfig(
      {
        storage: { type: 'memory' },
        server: { port: 0, host: '127.0.0.1', shutdown_grace_ms: 2000 },
        providers: { mock: { type: 'mock', models: ['a'] }, other: { type: 'mock', models: ['b'], mock: { reply: 'from other' } } },
        routes: { main: { targets: [{ model: 'other/b' }] } },
      },
      'next',
      {},
    );
    const report = await running.gateway.reload(next);
    assert.deepEqual(report.providers.sort(), ['mock', 'other']);
    assert.deepEqual(report.restartRequired, []);
    const direct = await client.chat.completions.create({ model: 'other/b', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(direct.choices[0]!.message.content, 'from other');
    const routed = await client.chat.completions.create({ model: 'main', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(routed.choices[0]!.message.content, 'from other');

    const broken = validateConfig({ storage: { type: 'memory' }, providers: { mock: { type: 'mock', models: ['a'] } }, routes: { main: { targets: [{ model: 'gone/x' }] } } }, 'broken', {});
    await assert.rejects(running.gateway.reload(broken), /routes\.main/);
    const still = await client.chat.completions.create({ model: 'main', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(still.choices[0]!.message.content, 'from other', 'the previous config stays in effect');
  } finally {
    await running.close();
  }
});

test('SIGHUP and POST /admin/reload re-read the config file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-reload-'));
  const file = join(dir, 'tollgate.yaml');
  const admin = 'reload-test-admin-token';
  const write = (reply: string) => writeFile(file, `storage: { type: memory }\nadmin: { token: ${admin} }\nproviders:\n  mock:\n    type: mock\n    models: [m]\n    mock: { reply: "${reply}" }\n`);
  await write('first');
  const cli = await startCli(['--config', file, '--port', '0'], { cwd: dir });
  const url = cli.url;
  const ask = async () => {
    const response = await request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/m', messages: [{ role: 'user', content: 'x' }] }) });
    return ((await response.body.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
  };
  try {
    assert.equal(await ask(), 'first');
    await write('second');
    cli.child.kill('SIGHUP');
    await cli.waitFor(/"msg":"config reloaded"/);
    assert.equal(await ask(), 'second');

    await write('third');
    const refused = await request(`${url}/admin/reload`, { method: 'POST' });
    await refused.body.dump();
    assert.equal(refused.statusCode, 401);
    const reloaded = await request(`${url}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(reloaded.statusCode, 200);
    assert.equal(((await reloaded.body.json()) as { reloaded: boolean }).reloaded, true);
    assert.equal(await ask(), 'third');
    assert.ok(!cli.output().includes(admin), 'the admin token never reaches the logs');
  } finally {
    await cli.stop();
  }
});

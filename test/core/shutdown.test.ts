import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';

async function startProcess(config: string): Promise<RunningCli> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-shutdown-'));
  const file = join(dir, 'tollgate.yaml');
  await writeFile(file, config);
  return startCli(['--config', file, '--port', '0'], { cwd: dir });
}

test('SIGTERM drains an in-flight stream to its end, refuses new work, then exits 0', async () => {
  const cli = await startProcess(`
storage: { type: memory }
server: { shutdown_grace_ms: 10000 }
providers:
  mock:
    type: mock
    models: [slow]
    mock: { chunk_interval_ms: 40, reply: "one two three four five six seven eight nine ten eleven twelve" }
`);
  const url = cli.url;
  const response = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/slow', stream: true, messages: [{ role: 'user', content: 'go' }] }),
  });
  assert.equal(response.statusCode, 200);
  let text = '';
  let signalled = false;
  for await (const chunk of response.body) {
    text += chunk.toString();
    if (!signalled && text.includes('"content"')) {
      signalled = true;
      cli.child.kill('SIGTERM');
      // Logged after the listener closed and draining began.
      await cli.waitFor(/"msg":"shutting down"/);
      await assert.rejects(
        request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(async (late) => {
          await late.body.dump();
          if (late.statusCode === 503) throw new Error('refused with 503');
          return late.statusCode;
        }),
      );
    }
  }
  assert.ok(signalled);
  assert.match(text, /twelve/);
  assert.match(text, /data: \[DONE\]/);
  assert.equal(await cli.exited, 0);
});

test('an invalid config exits with code 2 and names the path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-badconfig-'));
  const file = join(dir, 'bad.yaml');
  await writeFile(file, 'providers:\n  openai:\n    type: openai\n    keys: [{ value: "${TOLLGATE_TEST_MISSING_VAR}" }]\n');
  const { code, stderr } = await runCli(['validate', file]);
  assert.equal(code, 2);
  assert.match(stderr, /providers\.openai\.keys\[0\]\.value: environment variable TOLLGATE_TEST_MISSING_VAR is not set/);
});

test('--help documents every flag', async () => {
  const { code, stdout } = await runCli(['--help']);
  assert.equal(code, 0);
  for (const flag of ['--config', '--port', '--host', 'validate', 'audit verify', '--help', '--version']) assert.ok(stdout.includes(flag), flag);
});

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';

const BIN = new URL('../../../bin/tollgate.js', import.meta.url).pathname;

async function startProcess(config: string, extraArgs: string[] = []): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-shutdown-'));
  const file = join(dir, 'tollgate.yaml');
  await writeFile(file, config);
  const child = spawn(process.execPath, [BIN, '--config', file, '--port', '0', ...extraArgs], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const match = /"msg":"listening","url":"([^"]+)"/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
  return { child, url, output: () => output };
}

test('SIGTERM drains an in-flight stream to its end, refuses new work, then exits 0', async () => {
  const { child, url } = await startProcess(`
storage: { type: memory }
server: { shutdown_grace_ms: 10000 }
providers:
  mock:
    type: mock
    models: [slow]
    mock: { chunk_interval_ms: 40, reply: "one two three four five six seven eight nine ten eleven twelve" }
`);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
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
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 100));
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
  assert.equal(await exited, 0);
});

test('an invalid config exits with code 2 and names the path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-badconfig-'));
  const file = join(dir, 'bad.yaml');
  await writeFile(file, 'providers:\n  openai:\n    type: openai\n    keys: [{ value: "${TOLLGATE_TEST_MISSING_VAR}" }]\n');
  const child = spawn(process.execPath, [BIN, 'validate', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(stderr, /providers\.openai\.keys\[0\]\.value: environment variable TOLLGATE_TEST_MISSING_VAR is not set/);
});

test('--help documents every flag', async () => {
  const child = spawn(process.execPath, [BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0);
  for (const flag of ['--config', '--port', '--host', 'validate', 'audit verify', '--help', '--version']) assert.ok(stdout.includes(flag), flag);
});

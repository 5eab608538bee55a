import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import OpenAI from 'openai';
import { request } from 'undici';
import { parse } from 'yaml';
import { BIN, runCli, startCli } from '../helpers/cli.js';

const ROOT = new URL('../../../', import.meta.url);
const rootPath = (file: string) => new URL(file, ROOT).pathname;

async function readmeQuickstart(): Promise<string> {
  const readme = await readFile(rootPath('README.md'), 'utf8');
  const section = /## Quickstart\n([\s\S]*?)\n## /.exec(readme);
  assert.ok(section, 'README has a Quickstart section');
  return section[1]!;
}

test('the README Quickstart is `npm ci && npm start` then `npm test`, and .ci/run calls exactly that test command', async () => {
  const quickstart = await readmeQuickstart();
  const commands = [...quickstart.matchAll(/^(npm [^#\n]*?)\s*(?:#.*)?$/gm)].map((match) => match[1]);
  assert.deepEqual(commands, ['npm ci && npm start', 'npm test']);
  const ci = (await readFile(rootPath('.ci/run'), 'utf8')).split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  assert.deepEqual(ci.slice(-2), ['npm ci', 'npm test']);
  const manifest = JSON.parse(await readFile(rootPath('package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
  assert.equal(manifest.bin.tollgate, 'bin/tollgate.js');
  assert.equal(rootPath(manifest.bin.tollgate), BIN);
  assert.equal(manifest.scripts.start, 'node bin/tollgate.js --config tollgate.demo.yaml');
  // Nothing external: the demo listens on 127.0.0.1:8080 and keeps its state in an embedded SQLite file.
  const demo = parse(await readFile(rootPath('tollgate.demo.yaml'), 'utf8')) as { server: { host: string; port: number }; storage: { type: string }; providers: Record<string, { type: string }> };
  assert.deepEqual(demo.server, { host: '127.0.0.1', port: 8080 });
  assert.equal(demo.storage.type, 'sqlite');
  assert.ok(Object.values(demo.providers).every((provider) => provider.type === 'mock'));
});

test('`npm start` answers the README curl and the README SDK snippet offline', async () => {
  const quickstart = await readmeQuickstart();
  const curl = /curl -s http:\/\/127\.0\.0\.1:8080(\S+) \\\n\s+-H '([^']+)' \\\n\s+-d '([^']+)'/.exec(quickstart);
  assert.ok(curl, 'the Quickstart has a curl to the gateway');
  const [, path, header, body] = curl;
  const snippet = /model: '([^']+)', messages: (\[[^\n]*\]) \}\);/.exec(quickstart);
  assert.ok(snippet, 'the Quickstart has an SDK snippet');

  // `npm start` runs `node bin/tollgate.js --config tollgate.demo.yaml`; here on a free port, from a scratch directory.
  const cwd = await mkdtemp(join(tmpdir(), 'tollgate-quickstart-'));
  const cli = await startCli(['--config', rootPath('tollgate.demo.yaml'), '--port', '0'], { cwd, env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'TOLLGATE_ADMIN_TOKEN')) });
  try {
    assert.match(cli.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const [name, value] = header!.split(/:\s*/) as [string, string];
    const response = await request(`${cli.url}${path}`, { method: 'POST', headers: { [name]: value }, body });
    const reply = (await response.body.json()) as OpenAI.ChatCompletion;
    assert.equal(response.statusCode, 200, JSON.stringify(reply));
    assert.equal(reply.object, 'chat.completion');
    assert.match(reply.choices[0]!.message.content ?? '', /Hello/);
    assert.equal(response.headers['x-tollgate-provider'], 'mock');

    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: 'unused-in-the-demo', maxRetries: 0 });
    const sdk = await client.chat.completions.create({ model: snippet[1]!, messages: JSON.parse(snippet[2]!.replace(/(\w+):/g, '"$1":').replace(/'/g, '"')) });
    assert.match(sdk.choices[0]!.message.content ?? '', /Hi/);

    // The console the README points at: / redirects to /ui/, whose page loads, and the demo's admin token logs in.
    const root = await request(`${cli.url}/`);
    assert.equal(root.statusCode, 302);
    assert.equal(root.headers.location, '/ui/');
    await root.body.dump();
    const consolePage = await request(`${cli.url}/ui/`);
    assert.equal(consolePage.statusCode, 200);
    assert.match(await consolePage.body.text(), /<div id="app">/);
    const demoToken = /log in with the demo's admin token\n`([^`]+)`/.exec(quickstart)?.[1];
    assert.ok(demoToken, 'the README names the demo admin token');
    const login = await request(`${cli.url}/ui/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: demoToken }) });
    assert.equal(login.statusCode, 200);
    await login.body.dump();
  } finally {
    assert.equal(await cli.stop(), 0);
  }
});

test('`tollgate validate` accepts the shipped configs and names every missing variable of the example', async () => {
  const demo = await runCli(['validate', rootPath('tollgate.demo.yaml')]);
  assert.equal(demo.code, 0, demo.stderr);
  assert.match(demo.stdout, /tollgate\.demo\.yaml: valid \(2 providers, 1 route\)/);

  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/_API_KEY$|^TOLLGATE_ADMIN_TOKEN$/.test(name)));
  const example = await runCli(['validate', rootPath('tollgate.example.yaml')], { env });
  assert.equal(example.code, 2);
  for (const variable of ['TOLLGATE_ADMIN_TOKEN', 'OPENAI_API_KEY', 'AZURE_OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GROQ_API_KEY']) {
    assert.match(example.stderr, new RegExp(`environment variable ${variable} is not set`), variable);
  }
  assert.match(example.stderr, /providers\.openai\.keys\[0\]\.value: environment variable OPENAI_API_KEY is not set/);

  const withKeys = await runCli(['validate', rootPath('tollgate.example.yaml')], {
    env: { ...env, TOLLGATE_ADMIN_TOKEN: 'example-admin-token-0123456789', OPENAI_API_KEY: 'k', AZURE_OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'k', GEMINI_API_KEY: 'k', GROQ_API_KEY: 'k' },
  });
  assert.equal(withKeys.code, 0, withKeys.stderr);
});

test('bad usage exits 2 with the usage text', async () => {
  for (const args of [['--port', 'eighty'], ['frobnicate']]) {
    const result = await runCli(args);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, /Usage:/, args.join(' '));
  }
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { ConfigError } from '../../src/config/config-error.js';
import { loadPricingCatalog } from '../../src/pricing/catalog.js';
import { femtoPerToken } from '../../src/pricing/money.js';
import { BIN } from '../helpers/cli.js';
import { startGateway } from '../helpers/gateway.js';

/**
 * `tollgate prices update` against a loopback HTTP server (no internet), and config `pricing_data`
 * pointing the gateway at the file it wrote.
 */
const NEWER_DATA = [
  {
    id: 'openai',
    name: 'OpenAI',
    api_pattern: 'https://api\\.openai\\.com',
    models: [
      { id: 'gpt-7', match: { or: [{ equals: 'gpt-7' }, { starts_with: 'gpt-7-' }] }, prices: { input_mtok: 4, cache_read_mtok: 0.4, output_mtok: 16 } },
      { id: 'gpt-4o', match: { equals: 'gpt-4o' }, prices: [{ prices: { input_mtok: 2.5, output_mtok: 10 } }, { constraint: { start_date: '2026-01-01', type: 'start_date' }, prices: { input_mtok: 2, output_mtok: 8 } }] },
    ],
  },
];

const bodies: Record<string, { status: number; body: string }> = {
  '/data.json': { status: 200, body: JSON.stringify(NEWER_DATA) },
  '/not-json': { status: 200, body: '<html>rate limited</html>' },
  '/wrong-shape': { status: 200, body: JSON.stringify([{ id: 'openai', models: [{ id: 'x', match: { equals: 'x' }, prices: { input_mtok: -1 } }] }]) },
  '/missing': { status: 404, body: 'not found' },
};

let server: Server;
let base: string;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-prices-'));
  server = createServer((req, res) => {
    const found = bodies[req.url ?? ''] ?? { status: 404, body: '' };
    res.writeHead(found.status, { 'content-type': 'application/json' });
    res.end(found.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('tollgate prices update', () => {
  it('downloads, checks and writes the data file, leaving no temporary file', async () => {
    const out = join(dir, 'prices.json');
    const result = await run(['prices', 'update', '--url', `${base}/data.json`, '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /1 providers, 2 models/);
    assert.match(result.stdout, /pricing_data: /);
    assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), NEWER_DATA);
    assert.deepEqual((await readdir(dir)).filter((name) => name.endsWith('.tmp')), []);
  });

  it('refuses what is not genai-prices data, and keeps the file it had', async () => {
    const out = join(dir, 'kept.json');
    await writeFile(out, JSON.stringify(NEWER_DATA));
    for (const path of ['/not-json', '/wrong-shape', '/missing']) {
      const result = await run(['prices', 'update', '--url', `${base}${path}`, '--out', out]);
      assert.equal(result.code, 1, `${path}: ${result.stdout}`);
      assert.match(result.stderr, path === '/missing' ? /HTTP 404/ : /not a usable genai-prices data file.*nothing was written/, path);
      assert.deepEqual(JSON.parse(await readFile(out, 'utf8')), NEWER_DATA, `${path} left the old file in place`);
    }
    assert.deepEqual((await readdir(dir)).filter((name) => name.endsWith('.tmp')), []);
  });

  it('rejects a stray argument as a usage error', async () => {
    const result = await run(['prices', 'update', 'somewhere.json']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /use --url and --out/);
  });
});

describe('config pricing_data', () => {
  it('bills from the newer file instead of the installed package, and /health says so', async () => {
    const out = join(dir, 'gateway-prices.json');
    assert.equal((await run(['prices', 'update', '--url', `${base}/data.json`, '--out', out])).code, 0);
    const running = await startGateway({
      pricing_data: out,
      providers: { mock: { type: 'mock', models: ['mock-small'] }, openai: { type: 'openai', keys: [{ value: 'test-key-openai' }], models: ['gpt-7'] } },
    });
    try {
      const health = (await (await request(`${running.url}/health`)).body.json()) as { pricing: { source: string; source_date: string; source_models: number } };
      assert.equal(health.pricing.source, `file:${out}`);
      assert.match(health.pricing.source_date, /^\d{4}-\d{2}-\d{2}$/);
      assert.equal(health.pricing.source_models, 2);
      // The same file through the catalog: the data's match rules, the snapshot fallback, dated prices.
      const catalog = loadPricingCatalog(undefined, { source: out });
      assert.equal(catalog.lookup('openai', 'openai', 'gpt-7-2027-01-15')?.input, femtoPerToken(4));
      assert.equal(catalog.lookup('openai', 'openai', 'gpt-4o-2024-08-06', Date.parse('2025-06-01T00:00:00Z'))?.input, femtoPerToken(2.5));
      assert.equal(catalog.lookup('openai', 'openai', 'gpt-4o', Date.parse('2026-06-01T00:00:00Z'))?.output, femtoPerToken(8));
      assert.equal(catalog.lookup('openai', 'openai', 'gpt-5.4'), undefined, 'only the file is read, not the installed package');
    } finally {
      await running.close();
    }
  });

  it('is a config error naming the path and the fix when the file is missing or not the data', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"providers": "nope"}');
    for (const path of [broken, join(dir, 'absent.json')]) {
      await assert.rejects(
        startGateway({ pricing_data: path, providers: { mock: { type: 'mock', models: ['mock-small'] } } }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, /pricing_data: /);
          assert.ok(error.message.includes(path), error.message);
          assert.match(error.message, /Fix: run `tollgate prices update --out <path>`/);
          return true;
        },
      );
    }
  });
});

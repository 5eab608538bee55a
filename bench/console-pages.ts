/**
 * Console page loads over a large request log: fills a gateway's SQLite log with a month of
 * generated traffic, starts the gateway on it, then times what each console page asks the admin API
 * (the overview's calls in parallel, as the browser makes them; the logs page's first page and pages
 * deep into the log by cursor; filtered first pages) and, when Chromium is there, the pages
 * themselves in headless Chromium until their figures are on screen.
 *
 *   npm run build && node dist/bench/console-pages.js [--records 1000000] [--runs 5] [--keep <file.db>]
 *
 * `--keep <file.db>` reuses (or makes, then keeps) the SQLite file, so a second run skips the fill.
 * Timings on a shared machine are noisy: read them as orders of magnitude.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { validateConfig } from '../src/config/load.js';
import { createLogger } from '../src/lib/logger.js';
import { SqliteLogStore } from '../src/observability/log/sqlite-log-store.js';
import type { RequestRecord } from '../src/observability/log/request-record.js';
import { sqlDatabaseFor } from '../src/storage/sql-database-for.js';
import { createGateway } from '../src/server/gateway.js';
import { openStorage } from '../src/storage/storage.js';
import { summarizeLatencies } from './percentiles.js';
import { seededRandom } from './seeded-random.js';

const { values: options } = parseArgs({ options: { records: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '5' }, keep: { type: 'string' } } });
const RECORDS = Number(options.records);
const RUNS = Number(options.runs);
const DAY_MS = 86_400_000;
const TOKEN = 'console-bench-admin-' + randomBytes(8).toString('hex');
const MODELS = [
  ['openai', 'gpt-4o-mini', 0.15, 0.6],
  ['openai', 'gpt-4o', 2.5, 10],
  ['anthropic', 'claude-sonnet-4', 3, 15],
  ['gemini', 'gemini-2.5-flash', 0.3, 2.5],
] as const;

/** A month of traffic, evenly spread, ending now: 200 keys, 20 teams, 5 customers; some errors, cache hits, tool calls. */
function* generate(count: number, end: number): Generator<RequestRecord[]> {
  const next = seededRandom(7);
  let batch: RequestRecord[] = [];
  for (let made = 0; made < count; made++) {
    const key = Math.floor(next() ** 2 * 200);
    const [provider, model, input, output] = MODELS[Math.floor(next() * MODELS.length)]!;
    const failed = next() < 0.04;
    const cached = !failed && next() < 0.05;
    const tool = next() < 0.02;
    const inputTokens = 50 + Math.floor(next() * 2000);
    const outputTokens = failed ? null : 20 + Math.floor(next() * 600);
    const cost = failed || cached ? 0 : (inputTokens * input + outputTokens! * output) / 1e6;
    batch.push({
      request_id: randomBytes(12).toString('hex'),
      kind: 'request',
      attempt: 0,
      parent_request_id: null,
      timestamp: new Date(end - 30 * DAY_MS + Math.floor((made / count) * 30 * DAY_MS)).toISOString(),
      surface: 'openai',
      operation: tool ? 'mcp_tool_call' : 'chat',
      virtual_key_id: `key-${key}`,
      team_id: `team-${key % 20}`,
      customer_id: `customer-${key % 5}`,
      metadata: { app: ['web', 'mobile', 'batch'][key % 3]!, env: next() < 0.8 ? 'prod' : 'dev' },
      provider,
      model: tool ? 'docs__search' : model,
      requested_model: `${provider}/${model}`,
      key_id: `${provider}-0`,
      status: failed ? (next() < 0.5 ? 429 : 400) : 200,
      error_code: failed ? (next() < 0.3 ? 'guardrail_blocked' : 'upstream_rate_limited') : null,
      error_type: failed ? 'api_error' : null,
      error_message: null,
      stop_reason: failed ? 'error' : 'stop',
      latency_ms: Math.round(100 + next() ** 3 * 5000),
      ttft_ms: null,
      input_tokens: inputTokens,
      cached_input_tokens: null,
      cache_write_tokens: null,
      output_tokens: outputTokens,
      reasoning_tokens: null,
      total_tokens: inputTokens + (outputTokens ?? 0),
      cost_usd: cost,
      cache_hit: cached ? 'exact' : null,
      stream: next() < 0.5,
      attempts: 1,
      request_content: null,
      response_content: null,
      cache_entry_id: null,
      cache_similarity: null,
      cache_saved_usd: cached ? (inputTokens * input) / 1e6 : null,
      guardrails: null,
    });
    if (batch.length === 5000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

async function fill(path: string): Promise<void> {
  const storage = await openStorage({ type: 'sqlite', path });
  const store = new SqliteLogStore(sqlDatabaseFor(storage)!, 'tollgate_');
  await store.migrate();
  const end = Date.now();
  let written = 0;
  for (const batch of generate(RECORDS, end)) {
    await store.insert(batch);
    written += batch.length;
    if (written % 100_000 === 0) process.stderr.write(`\r  ${written.toLocaleString('en-US')} records`);
  }
  process.stderr.write('\n');
  await storage.close();
}

async function time(run: () => Promise<unknown>): Promise<{ p50: number; max: number }> {
  await run(); // warm, as a console someone is using is
  const samples: number[] = [];
  for (let index = 0; index < RUNS; index++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  const summary = summarizeLatencies(samples);
  return { p50: summary.p50, max: summary.max };
}

async function main(): Promise<void> {
  const directory = options.keep === undefined ? await mkdtemp(join(tmpdir(), 'tollgate-bench-console-')) : undefined;
  const path = options.keep ?? join(directory!, 'gateway.db');
  const exists = await access(path).then(() => true, () => false);
  if (!exists) {
    console.error(`filling ${path} with ${RECORDS.toLocaleString('en-US')} records`);
    await fill(path);
  }
  const config = validateConfig(
    { storage: { type: 'sqlite', path }, admin: { token: TOKEN }, providers: { mock: { type: 'mock', models: ['mock-small'] } }, server: { port: 0 }, logging: { level: 'silent', requests: false } },
    'bench config',
    process.env,
  );
  const gateway = await createGateway(config, { configSource: 'bench config', logger: createLogger({ level: 'silent' }) });
  const { url } = await gateway.listen(0, '127.0.0.1');
  const get = async (path: string) => {
    const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<{ next_cursor?: string | null }>;
  };
  const from = () => encodeURIComponent(new Date(Date.now() - DAY_MS).toISOString());
  // What the overview asks on load (console/src/pages/overview.tsx), all at once as the browser does.
  const overview = () =>
    Promise.all([
      get(`/admin/logs/aggregate?from=${from()}`),
      get(`/admin/logs/aggregate?from=${from()}&bucket=hour`),
      get(`/admin/logs?from=${from()}&limit=500&fields=timestamp,latency_ms&cursor=`),
      get(`/admin/logs/aggregate?from=${from()}&group_by=model`),
      get(`/admin/logs/aggregate?from=${from()}&group_by=operation,cache_hit,error_code`),
      get(`/admin/logs/aggregate?from=${from()}&kind=attempt&group_by=provider`),
      get('/admin/budgets?limit=8'),
      fetch(`${url}/health/providers`).then((response) => response.json()),
      get('/admin/alerts'),
    ]);
  const deep = async () => {
    let cursor = '';
    for (let page = 0; page < 20; page++) cursor = (await get(`/admin/logs?limit=50&cursor=${encodeURIComponent(cursor)}`)).next_cursor ?? '';
  };
  const rows: [string, () => Promise<unknown>][] = [
    ['overview: its 9 calls in parallel, last 24 h', overview],
    ['overview, last 7 days: its aggregates in parallel', () => Promise.all([`group_by=model`, `bucket=day`, `group_by=operation,cache_hit,error_code`, ''].map((query) => get(`/admin/logs/aggregate?from=${encodeURIComponent(new Date(Date.now() - 7 * DAY_MS).toISOString())}&${query}`)))],
    ['overview: cost by key, last 30 days', () => get(`/admin/logs/aggregate?from=${encodeURIComponent(new Date(Date.now() - 30 * DAY_MS).toISOString())}&group_by=virtual_key_id`)],
    ['logs: first page (50, by cursor)', () => get('/admin/logs?limit=50&cursor=')],
    ['logs: 20 pages in a row (1,000 records deep)', deep],
    ['logs: first page, one key', () => get('/admin/logs?limit=50&cursor=&virtual_key_id=key-150')],
    ['logs: first page, errors of one model', () => get('/admin/logs?limit=50&cursor=&status=error&model=gpt-4o')],
    ['logs: first page, cost range and tag', () => get('/admin/logs?limit=50&cursor=&min_cost_usd=0.01&max_cost_usd=0.02&metadata.app=batch')],
    ['logs: first page, MCP tool calls', () => get('/admin/logs?limit=50&cursor=&operation=mcp_tool_call')],
    // What the MCP and guardrails pages ask of the log on load (console/src/pages/mcp.tsx, guardrails.tsx).
    ['mcp: tool calls per tool, last 24 h', () => get(`/admin/logs/aggregate?from=${from()}&operation=mcp_tool_call&group_by=model`)],
    ['guardrails: blocks counted and the newest 1,000 read, last 24 h', () => Promise.all([get(`/admin/logs/aggregate?from=${from()}&error_code=guardrail_blocked`), get(`/admin/logs?from=${from()}&error_code=guardrail_blocked&fields=guardrails&limit=1000`)])],
  ];
  console.log(`\nConsole admin calls over ${RECORDS.toLocaleString('en-US')} request records (SQLite), ${RUNS} runs after a warm-up`);
  console.log('| what | p50 ms | max ms |');
  console.log('|---|---:|---:|');
  for (const [name, run] of rows) {
    const timing = await time(run);
    console.log(`| ${name} | ${timing.p50.toFixed(0)} | ${timing.max.toFixed(0)} |`);
  }
  await browserTimings(url).catch((error: Error) => console.log(`\n(no browser timings: ${error.message})`));
  await gateway.close();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
}

/** The pages themselves, in headless Chromium: from navigation until the figures are on screen. */
async function browserTimings(url: string): Promise<void> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${url}/ui/`);
    await page.locator('input[name="token"]').fill(TOKEN);
    await page.locator('[data-testid="login-form"] button[type="submit"]').click();
    await page.locator('[data-testid="page-overview"]').waitFor();
    const pages: [string, string, string][] = [
      ['overview until every figure and the cost breakdown are shown', '/ui/overview', '[data-testid="overview-cost-breakdown"] tr >> nth=0'],
      ['logs until 50 rows are shown', '/ui/logs', 'tr[data-request-id] >> nth=49'],
      ['logs filtered by key until its rows are shown', '/ui/logs?virtual_key_id=key-150', 'tr[data-request-id] >> nth=0'],
    ];
    console.log('\n| page in Chromium | p50 ms | max ms |');
    console.log('|---|---:|---:|');
    for (const [name, path, ready] of pages) {
      const timing = await time(async () => {
        await page.goto(`${url}${path}`);
        await page.locator('[data-testid="overview-latency-p95"], [data-testid="page-logs"]').first().waitFor();
        await page.locator(ready).waitFor({ timeout: 60_000 });
      });
      console.log(`| ${name} | ${timing.p50.toFixed(0)} | ${timing.max.toFixed(0)} |`);
    }
  } finally {
    await browser.close();
  }
}

await main();

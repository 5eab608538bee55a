import assert from 'node:assert/strict';
import { mkdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * The console end to end: headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against a running gateway with traffic sent by the official OpenAI SDK.
 */
const ADMIN_TOKEN = 'console-e2e-admin-' + 'token-0123456789';
/** Screenshots of every page: a test artifact (gitignored). */
const ARTIFACTS = fileURLToPath(new URL('../../../.tollgate/test-artifacts/console/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let running: RunningGateway;
let browser: Browser;
let page: Page;
/** The secret of the key made in the console (once one exists, callers need a virtual key). */
let consoleKey = '';

before(async () => {
  running = await startGateway({
    admin: { token: ADMIN_TOKEN },
    providers: { mock: { type: 'mock', models: ['mock-small'] } },
    pricing: { 'mock/mock-small': { input: 1.5, output: 4 } },
    observability: { flush_interval_ms: 50 },
  });
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  page = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
});

after(async () => {
  await browser?.close();
  await running?.close();
});

function client(apiKey: string): OpenAI {
  return new OpenAI({ baseURL: `${running.url}/v1`, apiKey, maxRetries: 0 });
}

async function adminGet<T>(path: string): Promise<T> {
  const response = await fetch(`${running.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(response.status, 200, path);
  return (await response.json()) as T;
}

async function screenshot(name: string): Promise<void> {
  const root = page.locator(`[data-testid="page-${name}"]`);
  const box = await root.boundingBox();
  assert.ok(box !== null && box.width > 100 && box.height > 50, `page-${name} renders with a size`);
  const path = `${ARTIFACTS}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  assert.ok((await stat(path)).size > 5000, `${path} is a real picture`);
}

test('an anonymous visit to any page shows the login form', async () => {
  const anonymous = await browser.newContext();
  try {
    const visit = await anonymous.newPage();
    for (const path of ['/', '/ui/', '/ui/overview', '/ui/logs', '/ui/keys']) {
      await visit.goto(`${running.url}${path}`);
      await visit.locator('[data-testid="login-form"]').waitFor();
      assert.equal(await visit.locator('[data-testid="login-form"] input[name="token"]').count(), 1, path);
      assert.equal(await visit.locator('[data-testid^="page-"]').count(), 0, path);
    }
    await visit.locator('input[name="token"]').fill('not-the-admin-token');
    await visit.locator('[data-testid="login-form"] button[type="submit"]').click();
    await visit.getByRole('alert').waitFor();
    assert.equal(await visit.locator('[data-testid="page-overview"]').count(), 0);
  } finally {
    await anonymous.close();
  }
});

test('login with the admin token; the overview shows the numbers the admin API reports', async () => {
  const sdk = client('sk-console-' + 'caller-0001');
  for (let index = 0; index < 3; index++) await sdk.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: `overview traffic ${index}` }] });
  await page.goto(`${running.url}/ui/overview`);
  await page.locator('input[name="token"]').fill(ADMIN_TOKEN);
  await page.locator('[data-testid="login-form"] button[type="submit"]').click();
  await page.locator('[data-testid="page-overview"]').waitFor();
  const requests = page.locator('[data-testid="overview-requests"]');
  await requests.waitFor();

  const from = new Date(Date.now() - 86_400_000).toISOString();
  const reported = await adminGet<{ rows: { requests: number; cost_usd: number }[] }>(`/admin/logs/aggregate?from=${encodeURIComponent(from)}`);
  const total = reported.rows.reduce((sum, row) => ({ requests: sum.requests + row.requests, cost: sum.cost + row.cost_usd }), { requests: 0, cost: 0 });
  assert.equal(total.requests, 3);
  assert.ok(total.cost > 0);
  assert.equal(Number(await requests.getAttribute('data-value')), total.requests);
  assert.equal(Number(await page.locator('[data-testid="overview-cost-usd"]').getAttribute('data-value')), total.cost);
  assert.equal(await page.url(), `${running.url}/ui/overview`);
  await screenshot('overview');
});

test('a key created in the console serves a request; its secret is shown once', async () => {
  await page.getByRole('link', { name: 'Keys' }).click();
  await page.locator('[data-testid="page-keys"]').waitFor();
  assert.equal(page.url(), `${running.url}/ui/keys`);
  await page.locator('[data-testid="key-create"]').click();
  await page.locator('input[name="id"]').fill('console-made');
  await page.locator('input[name="name"]').fill('Made in the console');
  await page.locator('input[name="models"]').fill('mock/*');
  await page.locator('[data-testid="key-create-submit"]').click();
  const secret = (await page.locator('[data-testid="key-secret"]').textContent())?.trim() ?? '';
  assert.ok(secret.length >= 20, `a secret is shown: ${secret.length} characters`);
  consoleKey = secret;
  await page.locator('tr[data-key-id="console-made"]').waitFor();
  await screenshot('keys');

  const answer = await client(secret).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'with the console key' }] }, { headers: { 'x-request-id': 'console-key-request' } });
  assert.ok(answer.choices[0]?.message.content);
  const logged = await adminGet<{ logs: { virtual_key_id: string | null; status: number }[] }>('/admin/logs?request_id=console-key-request');
  assert.deepEqual(logged.logs.map((record) => [record.virtual_key_id, record.status]), [['console-made', 200]]);

  // Shown once: a reload shows the key, never its secret again.
  await page.reload();
  await page.locator('tr[data-key-id="console-made"]').waitFor();
  assert.equal(await page.locator('[data-testid="key-secret"]').count(), 0);
  assert.ok(!(await page.content()).includes(secret));
});

test('the log page is live: a new request shows up as a row', async () => {
  await page.goto(`${running.url}/ui/logs`);
  await page.locator('[data-testid="page-logs"]').waitFor();
  await page.locator('[data-testid="logs-live-state"][data-state="live"]').waitFor();
  const requestId = `console-live-${Date.now()}`;
  await client(consoleKey).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'live tail' }] }, { headers: { 'x-request-id': requestId } });
  const sent = Date.now();
  await page.locator(`tr[data-request-id="${requestId}"]`).waitFor({ timeout: 10_000 });
  // Reported, not asserted (timing belongs to benchmarks): the contract's "within a second".
  console.log(`# live row shown ${Date.now() - sent} ms after the answer`);
  assert.ok((await page.locator('tr[data-request-id]').count()) >= 5);
  await screenshot('logs');
});

test('a budget lowered in the console refuses the key\'s next request', async () => {
  await page.goto(`${running.url}/ui/keys`);
  const row = page.locator('tr[data-key-id="console-made"]');
  await row.locator('[data-testid="key-budget-edit"]').click();
  const form = page.locator('[data-testid="key-budget-form"]');
  // Less than one request's worst-case cost: the next request cannot be admitted.
  await form.locator('input[name="max_usd"]').fill('0.000001');
  await form.locator('select[name="period"]').selectOption('1d');
  await form.locator('[data-testid="key-budget-submit"]').click();
  await page.locator('tr[data-key-id="console-made"] [data-testid="key-budget"]', { hasText: '$0.000001 / 1d' }).waitFor();
  const stored = await adminGet<{ budgets: { max_usd: number; period?: string }[] }>('/admin/keys/console-made');
  assert.deepEqual(stored.budgets.map((budget) => [budget.max_usd, budget.period]), [[0.000001, '1d']]);
  await assert.rejects(client(consoleKey).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'over budget' }] }), (error: { status?: number; code?: string }) => {
    assert.deepEqual([error.status, error.code], [402, 'budget_exceeded'], JSON.stringify(error));
    return true;
  });
  await screenshot('keys');
});

test('log out returns to the login form and the session no longer opens the admin API', async () => {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.locator('[data-testid="login-form"]').waitFor();
  const status = await page.evaluate(async () => (await fetch('/admin/keys')).status);
  assert.equal(status, 401);
});

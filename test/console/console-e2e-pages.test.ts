import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { Browser, Page } from 'playwright-core';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { launchBrowser, logIn, newPage, screenshot } from './e2e-browser.js';

/**
 * Every console page end to end (headless Chromium against a running gateway, traffic from the
 * official OpenAI SDK): the overview's breakdowns, the logs' filters, pages, drawer and export, keys'
 * rotation, edits, budgets and usage, teams, customers, providers, the playground, the audit log and
 * the cache page; dark and narrow screens; the keyboard.
 */
const ADMIN_TOKEN = 'console-pages-admin-' + 'token-0123456789';
const PROVIDER_SECRET = 'sk-mock-provider-' + 'secret-never-shown-42';

/** The text of the focused element (evaluated in the page). */
const FOCUSED = 'document.activeElement?.textContent';

let running: RunningGateway;
let browser: Browser;
let page: Page;
const secrets: Record<string, string> = {};

function client(apiKey: string): OpenAI {
  return new OpenAI({ baseURL: `${running.url}/v1`, apiKey, maxRetries: 0 });
}

async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${running.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  assert.ok(response.ok, `${method} ${path}: ${response.status}`);
  return (await response.json()) as T;
}

before(async () => {
  running = await startGateway({
    admin: { token: ADMIN_TOKEN },
    providers: {
      mock: { type: 'mock', models: ['mock-small'], keys: [{ id: 'mock-main', value: PROVIDER_SECRET }] },
      broken: { type: 'mock', models: ['mock-small'], max_retries: 0, mock: { failure_rate: 1 } },
    },
    routes: { failover: { targets: [{ model: 'broken/mock-small' }], fallbacks: ['mock/mock-small'] } },
    pricing: { 'mock/mock-small': { input: 1.5, output: 4 }, 'broken/mock-small': { input: 1.5, output: 4 } },
    observability: { flush_interval_ms: 50, log_content: true },
  });
  await admin('POST', '/admin/teams', { id: 'research', name: 'Research' });
  secrets.caller = (await admin<{ value: string }>('POST', '/admin/keys', { id: 'caller', models: ['*'], budgets: [{ max_usd: 100, period: '1d' }] })).value;
  secrets.team = (await admin<{ value: string }>('POST', '/admin/keys', { id: 'team-key', team: 'research', models: ['*'] })).value;
  for (let index = 0; index < 52; index++) await client(secrets.caller).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: `caller traffic ${index}` }] });
  for (let index = 0; index < 3; index++) await client(secrets.team).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: `team traffic ${index}` }] });
  await client(secrets.caller).chat.completions.create({ model: 'failover', messages: [{ role: 'user', content: 'failing over on purpose' }] }, { headers: { 'x-request-id': 'e2e-failover' } });
  browser = await launchBrowser();
  ({ page } = await newPage(browser));
});

after(async () => {
  await browser?.close();
  await running?.close();
});

test('the overview shows percentiles, cost by key as the API reports it, budgets, health and failovers', async () => {
  await logIn(page, running.url, { token: ADMIN_TOKEN });
  await page.locator('[data-testid="overview-latency-p95"]').waitFor();
  assert.equal(Number(await page.locator('[data-testid="overview-requests"]').getAttribute('data-value')), 56);
  // Percentiles of every request of the range, as the aggregate API reports them.
  const dayAgo = encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString());
  const whole = await admin<{ rows: { latency_ms_p95: number | null }[] }>('GET', `/admin/logs/aggregate?percentiles=true&from=${dayAgo}`);
  const p95 = whole.rows[0]!.latency_ms_p95;
  assert.ok(p95 !== null && p95 > 0);
  assert.equal(Number(await page.locator('[data-testid="overview-latency-p95"]').getAttribute('data-value')), p95);
  await page.locator('[data-testid="overview-cost-dimension"]').selectOption('virtual_key_id');
  await page.locator('[data-testid="overview-cost-breakdown"] tr[data-label="team-key"]').waitFor();
  const reported = await admin<{ rows: { group: { virtual_key_id: string }; cost_usd: number }[] }>('GET', `/admin/logs/aggregate?group_by=virtual_key_id&from=${encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString())}`);
  for (const row of reported.rows) {
    const shown = await page.locator(`[data-testid="overview-cost-breakdown"] tr[data-label="${row.group.virtual_key_id}"]`).getAttribute('data-value');
    assert.equal(Number(shown), row.cost_usd, row.group.virtual_key_id);
  }
  await page.locator('[data-testid="overview-budgets"]', { hasText: 'key caller' }).waitFor();
  await page.locator('[data-testid="overview-health"] tr[data-target="mock/mock-small"]').waitFor();
  const failovers = page.locator('[data-testid="overview-failovers"] tr[data-provider="broken"] td');
  await failovers.first().waitFor();
  assert.deepEqual(await failovers.allTextContents(), ['broken', '1', '1'], 'one attempt on broken, failed');
  await screenshot(page, 'overview', 'overview-full');
});

test('logs: pages by cursor, filters in the URL, a drawer with attempts and content, export of the filter', async () => {
  await page.goto(`${running.url}/ui/logs`);
  await page.locator('[data-testid="logs-live-state"][data-state="live"]').waitFor();
  await page.locator('tr[data-request-id]').nth(49).waitFor();
  assert.equal(await page.locator('tr[data-request-id]').count(), 50, 'one page');
  await page.locator('[data-testid="logs-older"]').click();
  await page.locator('tr[data-request-id]').nth(55).waitFor();
  const ids = await page.locator('tr[data-request-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-request-id')));
  assert.equal(ids.length, 56);
  assert.equal(new Set(ids).size, 56, 'no request twice');
  assert.equal(await page.locator('[data-testid="logs-older"]').count(), 0, 'no more pages');

  // A filter: applied from the form, kept in the URL.
  await page.locator('.filter-box summary').click();
  await page.locator('[data-testid="log-filters"] input[name="virtual_key_id"]').fill('team-key');
  await page.locator('[data-testid="log-filters-apply"]').click();
  await page.waitForURL(/virtual_key_id=team-key/);
  await page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(selector: string): { length: number } } }).document.querySelectorAll('tr[data-request-id]').length === 3);
  const csv = (await page.evaluate(`fetch(document.querySelector('[data-testid="logs-export-csv"]').href).then((response) => response.text())`)) as string;
  const lines = csv.trim().split('\n');
  assert.equal(lines.length, 4, 'a header and the three filtered records');
  assert.ok(lines.slice(1).every((line) => line.includes('team-key')));

  // The drawer: the failed-over request's attempts and its logged content.
  await page.goto(`${running.url}/ui/logs?virtual_key_id=caller&min_latency_ms=0`);
  await page.locator('tr[data-request-id="e2e-failover"] [data-testid="log-open"]').click();
  const drawer = page.locator('[data-testid="log-detail"]');
  await drawer.locator('[data-testid="log-attempts"] tbody tr').nth(1).waitFor();
  assert.equal(await drawer.locator('[data-testid="log-attempts"] tbody tr').count(), 2);
  assert.match((await drawer.locator('[data-testid="log-attempts"]').textContent()) ?? '', /broken.*503.*mock/s);
  assert.match((await drawer.locator('[data-testid="log-request-content"]').textContent()) ?? '', /failing over on purpose/);
  await screenshot(page, 'logs', 'logs-drawer');
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(FOCUSED), 'e2e-failover', 'focus returns to the row the drawer was opened from');
});

test('keys: rotate (the new secret once, the old one still valid), edit models, several budgets, usage', async () => {
  await page.goto(`${running.url}/ui/keys`);
  const row = page.locator('tr[data-key-id="team-key"]');
  await row.locator('[data-testid="key-rotate"]').click();
  await page.locator('[data-testid="key-rotate-submit"]').click();
  const rotated = (await page.locator('[data-testid="key-secret"]').textContent())?.trim() ?? '';
  assert.ok(rotated.length >= 20 && rotated !== secrets.team);
  await client(rotated).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'new secret' }] });
  await client(secrets.team).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'old secret, in its grace period' }] });

  await row.locator('[data-testid="key-edit"]').click();
  await page.locator('[data-testid="key-edit-form"] input[name="models"]').fill('mock/*, failover');
  await page.locator('[data-testid="key-edit-form"] input[name="requests_max"]').fill('1000');
  await page.locator('[data-testid="key-edit-form"] input[name="requests_period"]').fill('1m');
  await page.locator('[data-testid="key-edit-submit"]').click();
  await row.locator('td', { hasText: 'mock/*, failover' }).waitFor();
  const edited = await admin<{ models: string[]; rate_limits: unknown }>('GET', '/admin/keys/team-key');
  assert.deepEqual(edited.models, ['mock/*', 'failover']);
  assert.deepEqual(edited.rate_limits, { requests: { max: 1000, period: '1m' } });

  await row.locator('[data-testid="key-budget-edit"]').click();
  const form = page.locator('[data-testid="key-budget-form"]');
  await form.locator('input[name="max_usd"]').fill('5');
  await form.locator('select[name="period"]').selectOption('1d');
  await form.getByRole('button', { name: 'Add budget' }).click();
  await form.locator('input[name="max_usd"]').nth(1).fill('50');
  await form.locator('select[name="period"]').nth(1).selectOption('1M');
  await form.locator('[data-testid="key-budget-submit"]').click();
  await row.locator('[data-testid="key-budget"]', { hasText: '$5 / 1d, $50 / 1M' }).waitFor();

  await row.locator('[data-testid="key-usage-toggle"]').click();
  const usage = page.locator('[data-testid="usage-panel"]');
  await usage.locator('tr[data-budget-period="1M"]').waitFor();
  await usage.locator('svg.meter').first().waitFor();
  await usage.locator('figure svg.chart').waitFor();
  await screenshot(page, 'keys', 'keys-usage');
});

test('teams and customers: created with a budget in the console, as the API then reports them', async () => {
  await page.getByRole('link', { name: 'Customers' }).click();
  await page.locator('[data-testid="page-customers"]').waitFor();
  await page.locator('[data-testid="customer-create"]').click();
  await page.locator('input[name="id"]').fill('acme');
  await page.locator('input[name="name"]').fill('Acme');
  await page.locator('input[name="max_usd"]').fill('1000');
  await page.locator('select[name="period"]').selectOption('1M');
  await page.locator('[data-testid="customer-create-submit"]').click();
  await page.locator('tr[data-entity-id="acme"] [data-testid="customer-budget"]', { hasText: '$1000 / 1M' }).waitFor();
  await screenshot(page, 'customers');

  await page.getByRole('link', { name: 'Teams' }).click();
  await page.locator('[data-testid="page-teams"]').waitFor();
  await page.locator('[data-testid="team-create"]').click();
  await page.locator('input[name="id"]').fill('platform');
  await page.locator('input[name="customer"]').fill('acme');
  await page.locator('input[name="tokens_max"]').fill('500000');
  await page.locator('input[name="tokens_period"]').fill('1h');
  await page.locator('[data-testid="team-create-submit"]').click();
  await page.locator('tr[data-entity-id="platform"]', { hasText: '500,000 tokens / 1h' }).waitFor();
  const team = await admin<{ customer: string; rate_limits: unknown }>('GET', '/admin/teams/platform');
  assert.deepEqual([team.customer, team.rate_limits], ['acme', { tokens: { max: 500000, period: '1h' } }]);
  await page.locator('tr[data-entity-id="research"] [data-testid="team-usage-toggle"]').click();
  await page.locator('[data-testid="usage-panel"] figure').waitFor();
  await screenshot(page, 'teams');
});

test('providers: keys by id only (never a secret), routes with fallbacks, health, a provider budget set without a restart', async () => {
  await page.getByRole('link', { name: 'Providers' }).click();
  await page.locator('[data-testid="page-providers"]').waitFor();
  await page.locator('tr[data-provider="mock"] [data-testid="provider-keys"]', { hasText: 'mock-main × 1' }).waitFor();
  await page.locator('[data-route="failover"]', { hasText: 'Fallbacks: mock/mock-small' }).waitFor();
  await page.locator('[data-testid="provider-health"]', { hasText: 'broken/mock-small' }).waitFor();
  assert.ok(!(await page.content()).includes(PROVIDER_SECRET), 'the provider key never reaches the page');
  await page.locator('tr[data-provider="mock"] [data-testid="provider-budget-edit"]').click();
  await page.locator('[data-testid="provider-budget-form"] input[name="max_usd"]').fill('250');
  await page.locator('[data-testid="provider-budget-form"] select[name="period"]').selectOption('1M');
  await page.locator('[data-testid="provider-budget-submit"]').click();
  await page.locator('tr[data-provider="mock"]', { hasText: '$250 / 1M' }).waitFor();
  const provider = await admin<{ source: string; budgets: { max_usd: number; period: string }[] }>('GET', '/admin/providers/mock');
  assert.deepEqual([provider.source, provider.budgets.map((budget) => [budget.max_usd, budget.period])], ['api', [[250, '1M']]]);
  await screenshot(page, 'providers');
});

test('playground: a streamed answer with its cost and attempt trail, with a pasted key', async () => {
  await page.getByRole('link', { name: 'Playground' }).click();
  await page.locator('[data-testid="page-playground"]').waitFor();
  await page.locator('[data-testid="playground-key"]').fill(secrets.caller!);
  await page.locator('[data-testid="playground-load-models"]').click();
  await page.locator('[data-testid="playground-model"]').fill('failover');
  await page.locator('[data-testid="playground-message"]').fill('hello from the playground');
  await page.locator('[data-testid="playground-send"]').click();
  await page.locator('[data-testid="playground-chat"] li[data-role="assistant"]').waitFor();
  assert.match((await page.locator('[data-testid="playground-chat"] li[data-role="assistant"]').textContent()) ?? '', /hello from the playground/);
  await page.locator('[data-testid="playground-cost"]', { hasText: '$' }).waitFor();
  assert.match((await page.locator('[data-testid="playground-trail"]').textContent()) ?? '', /mock \/ mock-small/);
  assert.equal((await page.locator('[data-testid="playground-attempts"]').textContent())?.trim().startsWith('2'), true, 'the failed attempt and the fallback');
  await screenshot(page, 'playground');
});

test('the audit log lists the console\'s changes and verifies its chain', async () => {
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.locator('[data-testid="page-audit"]').waitFor();
  await page.locator('[data-testid="audit-table"] td', { hasText: 'key.rotate' }).first().waitFor();
  await page.locator('[data-testid="audit-verify"]').click();
  await page.locator('[data-testid="audit-verdict"][data-ok="true"]').waitFor();
  await screenshot(page, 'audit');
  await page.getByRole('link', { name: 'Cache' }).click();
  await page.locator('[data-testid="page-cache"] [data-testid="cache-hit-rate"]').waitFor();
  await screenshot(page, 'cache');
});

test('dark, narrow and by keyboard: the console adapts and every control is reachable', async () => {
  const { context, page: phone } = await newPage(browser, { colorScheme: 'dark', viewport: { width: 390, height: 844 } });
  try {
    await phone.goto(`${running.url}/ui/logs`);
    await phone.locator('input[name="token"]').fill(ADMIN_TOKEN);
    await phone.keyboard.press('Enter');
    await phone.locator('[data-testid="page-logs"]').waitFor();
    const background = await phone.evaluate('getComputedStyle(document.documentElement).backgroundColor');
    assert.equal(background, 'rgb(13, 17, 23)', 'the dark palette');
    const overflow = (await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 1, `nothing wider than the screen (${overflow} px over); tables scroll in their own box`);
    // Tab from the skip link through the navigation; Enter follows a link.
    await phone.keyboard.press('Tab');
    assert.equal(await phone.evaluate(FOCUSED), 'Skip to content');
    let reached = false;
    for (let step = 0; step < 12 && !reached; step++) {
      await phone.keyboard.press('Tab');
      reached = (await phone.evaluate(FOCUSED)) === 'Keys';
    }
    assert.ok(reached, 'the Keys link is reachable by Tab');
    await phone.keyboard.press('Enter');
    await phone.locator('[data-testid="page-keys"]').waitFor();
    await screenshot(phone, 'keys', 'keys-dark-narrow');
    await phone.goto(`${running.url}/ui/overview`);
    await phone.locator('[data-testid="overview-latency-p50"]').waitFor();
    await phone.locator('[data-testid="overview-budgets"] tr').first().waitFor();
    assert.ok(((await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number) <= 1, 'the overview fits a phone');
    await screenshot(phone, 'overview', 'overview-dark-narrow');
  } finally {
    await context.close();
  }
});

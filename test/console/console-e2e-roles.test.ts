import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { callFromPage, launchBrowser, logIn, newPage, screenshot } from './e2e-browser.js';
import { adminWithRoleAccounts, FINANCE, VIEWER } from '../helpers/admin-accounts.js';

/**
 * Roles in the browser: a viewer is offered no control that changes anything and the API refuses
 * it anyway; a finance user sees costs but no content, in the page and in what the API answers it.
 */
const ADMIN_TOKEN = 'console-roles-e2e-admin-' + 'token-0123456789';
const PROMPT = 'confidential merger plan for project bluebird';

let running: RunningGateway;
let browser: Browser;

before(async () => {
  running = await startGateway({
    admin: await adminWithRoleAccounts(ADMIN_TOKEN),
    providers: { mock: { type: 'mock', models: ['mock-small'] } },
    pricing: { 'mock/mock-small': { input: 1.5, output: 4 } },
    observability: { flush_interval_ms: 50, log_content: true },
  });
  const created = await fetch(`${running.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: 'roles-key', models: ['*'] }) });
  const { value } = (await created.json()) as { value: string };
  await new OpenAI({ baseURL: `${running.url}/v1`, apiKey: value, maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: PROMPT }] }, { headers: { 'x-request-id': 'roles-request' } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await running?.close();
});

test('a viewer sees every page and no control that edits; the API refuses its edits', async () => {
  const { context, page } = await newPage(browser);
  try {
    await logIn(page, running.url, VIEWER, '/ui/keys');
    await page.locator('[data-testid="session-who"][data-role="viewer"]').waitFor();
    await page.locator('tr[data-key-id="roles-key"]').waitFor();
    for (const control of ['key-create', 'key-budget-edit', 'key-edit', 'key-rotate', 'key-active-toggle']) assert.equal(await page.locator(`[data-testid="${control}"]`).count(), 0, control);
    assert.equal(await page.locator('[data-testid="key-usage-toggle"]').count(), 1, 'reading usage is offered');
    await screenshot(page, 'keys', 'keys-viewer');

    await page.getByRole('link', { name: 'Teams' }).click();
    await page.locator('[data-testid="page-teams"]').waitFor();
    assert.equal(await page.locator('[data-testid="team-create"]').count(), 0);
    await page.getByRole('link', { name: 'Providers' }).click();
    await page.locator('[data-testid="page-providers"] tr[data-provider="mock"]').waitFor();
    assert.equal(await page.locator('[data-testid="provider-budget-edit"]').count(), 0);
    await page.getByRole('link', { name: 'Cache' }).click();
    await page.locator('[data-testid="page-cache"]').waitFor();
    assert.equal(await page.locator('[data-testid="cache-clear-all"]').count(), 0);

    // The page's own session, with its CSRF token, still cannot change anything.
    const refused = await callFromPage(page, 'PATCH', '/admin/keys/roles-key', { active: false });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /admin_forbidden/);
    assert.equal((await callFromPage(page, 'POST', '/admin/keys', { id: 'viewer-made', models: ['*'] })).status, 403);
    const key = await (await fetch(`${running.url}/admin/keys/roles-key`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
    assert.equal((key as { active: boolean }).active, true, 'nothing changed');

    // A viewer reads content.
    await page.goto(`${running.url}/ui/logs`);
    await page.locator('tr[data-request-id="roles-request"] [data-testid="log-open"]').click();
    await page.locator('[data-testid="log-request-content"]', { hasText: 'bluebird' }).waitFor();
  } finally {
    await context.close();
  }
});

test('a finance user sees costs and usage but no content, in the page and in the API answers', async () => {
  const { context, page } = await newPage(browser);
  try {
    await logIn(page, running.url, FINANCE, '/ui/logs');
    await page.locator('[data-testid="session-who"][data-role="finance"]').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Playground' }).count(), 0, 'no playground');
    await page.locator('tr[data-request-id="roles-request"] [data-testid="log-open"]').click();
    const drawer = page.locator('[data-testid="log-detail"]');
    await drawer.locator('[data-testid="log-content-hidden"]').waitFor();
    assert.equal(await drawer.locator('[data-testid="log-request-content"]').count(), 0);
    assert.match((await drawer.textContent()) ?? '', /Cost\$0\.000\d/, 'the cost is shown');
    assert.equal(await page.locator('[data-testid="log-filters"] input[name="q"]').count(), 0, 'no content search');
    assert.ok(!(await page.content()).includes('bluebird'), 'no content anywhere on the page');
    await screenshot(page, 'logs', 'logs-finance');

    const listed = await callFromPage(page, 'GET', '/admin/logs?limit=10');
    assert.equal(listed.status, 200);
    assert.doesNotMatch(listed.text, /bluebird/);
    const exported = await callFromPage(page, 'GET', '/admin/logs/export?format=ndjson');
    assert.equal(exported.status, 200);
    assert.match(exported.text, /roles-request/);
    assert.doesNotMatch(exported.text, /bluebird/);
    assert.equal((await callFromPage(page, 'GET', '/admin/logs?q=bluebird')).status, 403);
    // The live tail, in the page: a new record arrives without its content.
    await page.evaluate(
      `window.tailed = new Promise((resolve) => { const socket = new WebSocket('ws://' + location.host + '/admin/logs/tail'); socket.onopen = () => { window.tailOpen = true; }; socket.onmessage = (message) => { socket.close(); resolve(String(message.data)); }; }); undefined`,
    );
    await page.waitForFunction(() => (globalThis as { tailOpen?: boolean }).tailOpen === true);
    const { value } = (await (await fetch(`${running.url}/admin/keys/roles-key/rotate`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { value: string };
    await new OpenAI({ baseURL: `${running.url}/v1`, apiKey: value, maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: `${PROMPT}, again` }] });
    const record = JSON.parse((await page.evaluate('window.tailed')) as string) as { request_content: string | null; cost_usd: number | null };
    assert.equal(record.request_content, null);
    assert.ok(record.cost_usd !== null && record.cost_usd > 0);

    await page.goto(`${running.url}/ui/overview`);
    await page.locator('[data-testid="overview-cost-usd"]').waitFor();
    assert.ok(Number(await page.locator('[data-testid="overview-cost-usd"]').getAttribute('data-value')) > 0, 'finance sees the cost');
    await screenshot(page, 'overview', 'overview-finance');
  } finally {
    await context.close();
  }
});

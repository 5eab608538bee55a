import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { Browser, Page } from 'playwright-core';
import { hashPassword } from '../../src/admin/password-hash.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { launchBrowser, logIn, newPage, screenshot } from './e2e-browser.js';

/** Routes and providers edited in the console (headless Chromium), served at once to the official OpenAI SDK. */
const ADMIN_TOKEN = 'console-routes-admin-' + 'token-0123456789';
const VIEWER_PASSWORD = 'vic-viewer-password-1';

const UPSTREAM_SECRET = 'sk-' + 'console-entered-secret-42';

let running: RunningGateway;
let browser: Browser;
let fake: FakeUpstream;

before(async () => {
  fake = await startOpenAIFake();
  running = await startGateway({
    admin: { token: ADMIN_TOKEN, users: [{ name: 'vic', password_hash: await hashPassword(VIEWER_PASSWORD), role: 'viewer' }] },
    providers: {
      left: { type: 'mock', models: ['mock-small'], mock: { reply: 'from left' } },
      right: { type: 'mock', models: ['mock-small'], mock: { reply: 'from right' } },
    },
    routes: { main: { targets: [{ model: 'left/mock-small', weight: 1 }] } },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await running?.close();
  await fake?.close();
});

async function answer(model = 'main'): Promise<string> {
  const completion = await new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'none', maxRetries: 0 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'which one?' }] });
  return completion.choices[0]!.message.content ?? '';
}

async function providersPage(credentials: { token: string } | { user: string; password: string }): Promise<Page> {
  const { page } = await newPage(browser);
  await logIn(page, running.url, credentials, '/ui/providers');
  await page.locator('[data-testid="page-providers"] [data-route="main"]').waitFor();
  return page;
}

test('weights edited in the console send the next request to the new target; reverting brings back the file\'s route', async () => {
  assert.equal(await answer(), 'from left');
  const page = await providersPage({ token: ADMIN_TOKEN });
  const main = page.locator('[data-route="main"]');
  assert.equal(await main.locator('[data-testid="route-source"]').getAttribute('data-value'), 'file');
  await main.locator('[data-testid="route-edit"]').click();
  await main.locator('[data-testid="route-target-weight"]').first().fill('0');
  await main.locator('[data-testid="route-add-target"]').click();
  await main.locator('[data-testid="route-target-model"]').nth(1).fill('right/mock-small');
  await main.locator('[data-testid="route-target-weight"]').nth(1).fill('1');
  await main.locator('[data-testid="route-fallbacks"]').fill('left/mock-small');
  await main.locator('[data-testid="route-save"]').click();
  await page.locator('[data-route="main"][data-source="api"] [data-testid="route-target-shown"][data-model="right/mock-small"][data-weight="1"]').waitFor();
  await main.locator('[data-testid="route-source"]', { hasText: 'changed here' }).waitFor();
  for (let index = 0; index < 4; index++) assert.equal(await answer(), 'from right');
  await screenshot(page, 'providers', 'providers-route-edited');

  // A bad weight is refused by the API with the path; the form stays open, the route unchanged.
  await main.locator('[data-testid="route-edit"]').click();
  await main.locator('[data-testid="route-target-model"]').first().fill('nowhere/model');
  await main.locator('[data-testid="route-save"]').click();
  await page.locator('[role="alert"]', { hasText: 'routes.main' }).waitFor();
  await main.locator('[data-testid="route-cancel"]').click();
  assert.equal(await answer(), 'from right');

  await main.locator('[data-testid="route-revert"]').click();
  await page.locator('[data-route="main"][data-source="file"]').waitFor();
  assert.equal(await answer(), 'from left');
  await page.context().close();
});

test('a new route made in the console serves at once', async () => {
  const page = await providersPage({ token: ADMIN_TOKEN });
  await page.locator('[data-testid="route-new"]').click();
  const form = page.locator('[data-testid="route-new-form"]');
  await form.locator('[data-testid="route-name"]').fill('fresh');
  await form.locator('[data-testid="route-target-model"]').fill('right/mock-small');
  await form.locator('[data-testid="route-strategy"]').selectOption('least-busy');
  await form.locator('[data-testid="route-save"]').click();
  await page.locator('[data-route="fresh"][data-source="api"]', { hasText: 'strategy least-busy' }).waitFor();
  assert.equal(await answer('fresh'), 'from right');
  await page.locator('[data-route="fresh"] [data-testid="route-revert"]').click();
  await page.locator('[data-route="fresh"]').waitFor({ state: 'detached' });
  await page.context().close();
});

test('a provider added in the console serves at once with the secret typed there, which never shows again; a weight edit keeps it', async () => {
  const page = await providersPage({ token: ADMIN_TOKEN });
  await page.locator('[data-testid="provider-new"]').click();
  const form = page.locator('[data-testid="provider-new-form"]');
  await form.getByLabel('Name').fill('fresh');
  await form.getByLabel('Type').fill('openai');
  await form.getByLabel("Base URL (empty: the provider's)").fill(`${fake.url}/v1`);
  await form.getByLabel('Models (comma-separated; empty: any)').fill('gpt-fresh');
  await form.locator('[data-testid="provider-add-key"]').click();
  await form.locator('[data-testid="provider-key-id"]').fill('typed');
  await form.locator('[data-testid="provider-key-secret"]').fill(UPSTREAM_SECRET);
  await form.locator('[data-testid="provider-save"]').click();
  const row = page.locator('tr[data-provider="fresh"][data-source="api"]');
  await row.waitFor();
  assert.equal(await answer('fresh/gpt-fresh'), 'Hello from the fake upstream.');
  assert.equal(fake.requests.at(-1)!.headers.authorization, `Bearer ${UPSTREAM_SECRET}`);

  // Editing the weight leaves the secret field empty: the stored secret is kept, and never sent to the page.
  await row.locator('[data-testid="provider-edit"]').click();
  const editForm = page.locator('[data-testid="provider-form"]');
  assert.equal(await editForm.locator('[data-testid="provider-key-secret"]').inputValue(), '');
  await editForm.locator('[data-testid="provider-key-weight"]').fill('2');
  await screenshot(page, 'providers', 'providers-provider-editor');
  await editForm.locator('[data-testid="provider-save"]').click();
  await page.locator('tr[data-provider="fresh"] [data-testid="provider-keys"]', { hasText: 'typed × 2' }).waitFor();
  assert.equal(await answer('fresh/gpt-fresh'), 'Hello from the fake upstream.');
  assert.equal(fake.requests.at(-1)!.headers.authorization, `Bearer ${UPSTREAM_SECRET}`);
  assert.ok(!(await page.content()).includes(UPSTREAM_SECRET), 'the page never holds the secret once saved');
  await screenshot(page, 'providers', 'providers-provider-added');

  // A new key without a secret is refused by the API with the path; nothing changes.
  await row.locator('[data-testid="provider-edit"]').click();
  await editForm.locator('[data-testid="provider-key-id"]').fill('renamed');
  await editForm.locator('[data-testid="provider-save"]').click();
  await page.locator('[role="alert"]', { hasText: 'providers.fresh.keys[0].value' }).waitFor();
  await editForm.locator('[data-testid="provider-cancel"]').click();

  await row.locator('[data-testid="provider-revert"]').click();
  await page.locator('tr[data-provider="fresh"]').waitFor({ state: 'detached' });
  await assert.rejects(answer('fresh/gpt-fresh'));
  await page.context().close();
});

test('a viewer sees the routes and where they come from, with no edit controls', async () => {
  const page = await providersPage({ user: 'vic', password: VIEWER_PASSWORD });
  await page.locator('[data-route="main"] [data-testid="route-source"]').waitFor();
  assert.equal(await page.locator('[data-testid="route-edit"]').count(), 0);
  assert.equal(await page.locator('[data-testid="route-new"]').count(), 0);
  assert.equal(await page.locator('[data-testid="provider-edit"]').count(), 0);
  assert.equal(await page.locator('[data-testid="provider-new"]').count(), 0);
  await page.context().close();
});

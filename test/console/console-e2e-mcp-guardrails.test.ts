import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { Browser } from 'playwright-core';
import { startSearchServer } from '../fakes/mcp-tool-servers.js';
import { startOAuthFakes, type OAuthFakes } from '../fakes/mcp-oauth-servers.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { launchBrowser, logIn, newPage, screenshot } from './e2e-browser.js';
import { adminWithRoleAccounts, FINANCE, VIEWER } from '../helpers/admin-accounts.js';
import { eventually } from '../helpers/eventually.js';
import { connectMcp } from '../helpers/mcp-client.js';

/**
 * The MCP and guardrails pages end to end (headless Chromium against a running gateway with a real
 * MCP server built with the official SDK, tool calls through the SDK's client, chat through the
 * OpenAI SDK): what they show matches the admin API, an admin adds, edits and removes a server, a
 * viewer is offered no control, and no secret of a server or a rule reaches the page.
 */
const ADMIN_TOKEN = 'console-mcp-admin-' + 'token-0123456789';
const KEY = 'tg-console-mcp-' + 'agent-key-0001';
const CONFIG_SECRET = 'upstream-config-' + 'secret-31';
const ADDED_SECRET = 'upstream-added-' + 'secret-47';
const HOOK_PASSWORD = 'hook-' + 'password-55';
const HOOK_QUERY = 'hook-query-' + 'token-66';
const CODENAME = 'project bluebird';
const ENCRYPTION_KEY = 'console-oauth-' + 'sealing-key-0123456789-0123456789';
const REDIRECT = 'https://tollgate.example.test/mcp/oauth/callback';

let running: RunningGateway;
let browser: Browser;
let docs: Awaited<ReturnType<typeof startSearchServer>>;
let web: Awaited<ReturnType<typeof startSearchServer>>;
let oauth: OAuthFakes;

async function admin<T>(method: string, path: string): Promise<T> {
  const response = await fetch(`${running.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.ok(response.ok, `${method} ${path}: ${response.status}`);
  return (await response.json()) as T;
}


async function callTool(name: string): Promise<string> {
  const client = await connectMcp(running.url, KEY);
  try {
    const result = await client.callTool({ name, arguments: { query: 'tollgate' } });
    return (result.content as { type: string; text: string }[]).map((part) => part.text).join('');
  } finally {
    await client.close();
  }
}

before(async () => {
  docs = await startSearchServer();
  web = await startSearchServer();
  oauth = await startOAuthFakes();
  running = await startGateway({
    admin: await adminWithRoleAccounts(ADMIN_TOKEN),
    providers: { mock: { type: 'mock', models: ['mock-small'] } },
    mcp: {
      sync_interval_ms: 100,
      servers: { docs: { transport: 'http', url: docs.url, headers: { 'x-upstream-token': CONFIG_SECRET }, tool_prices: { search: 0.002 }, price_per_call: 0.0001 }, vault: { transport: 'http', url: oauth.mcpUrl, oauth: {} } },
      oauth: { encryption_key: ENCRYPTION_KEY, redirect_url: REDIRECT },
    },
    guardrails: {
      rules: [
        { name: 'codenames', detector: 'keywords', words: [CODENAME], action: 'block' },
        { name: 'moderation', detector: 'webhook', url: `https://guard:${HOOK_PASSWORD}@guard.example.com/check?token=${HOOK_QUERY}`, direction: 'input', action: 'log' },
      ],
      apply: ['codenames'],
    },
    teams: [{ id: 'research', guardrails: { apply: ['moderation'] } }],
    virtual_keys: [{ id: 'agent', value: KEY, models: ['*'], mcp: { allow: ['*'] } }],
    observability: { flush_interval_ms: 50, log_content: true },
  });
  await eventually('docs connected', async () => ((await admin<{ state: string }>('GET', '/admin/mcp/servers/docs')).state === 'connected' ? true : undefined));
  for (let index = 0; index < 2; index++) assert.match(await callTool('docs__search'), /results for tollgate/);
  const chat = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: KEY, maxRetries: 0 });
  for (let index = 0; index < 3; index++) {
    await assert.rejects(chat.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: `tell me about ${CODENAME}` }] }), (error: { status?: number }) => error.status === 400);
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await running?.close();
  await docs?.close();
  await web?.close();
  await oauth?.close();
});

test('anonymous deep links to /ui/mcp and /ui/guardrails show the login form, then the page', async () => {
  const { context, page } = await newPage(browser);
  try {
    await page.goto(`${running.url}/ui/guardrails`);
    await page.locator('[data-testid="login-form"]').waitFor();
    assert.equal(await page.locator('[data-testid="page-guardrails"]').count(), 0);
    await logIn(page, running.url, { token: ADMIN_TOKEN }, '/ui/mcp');
    await page.locator('[data-testid="page-mcp"]').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Guardrails' }).count(), 1, 'both pages are in the navigation');
  } finally {
    await context.close();
  }
});

test('MCP: the configured server with its state, tools and prices, secrets masked; tool calls as the log counts them', async () => {
  const { context, page } = await newPage(browser);
  try {
    await logIn(page, running.url, { token: ADMIN_TOKEN }, '/ui/mcp');
    const row = page.locator('tr[data-server="docs"]');
    await page.locator('tr[data-server="docs"][data-state="connected"]').waitFor();
    assert.equal(await row.getAttribute('data-source'), 'config');
    assert.equal(await row.locator('[data-testid="mcp-server-tools"]').getAttribute('data-value'), '2');
    assert.match((await row.locator('li[data-tool="search"]').textContent()) ?? '', /\$0\.002\/call/);
    assert.match((await row.locator('li[data-tool="fetch_page"]').textContent()) ?? '', /\$0\.0001\/call/);
    assert.match((await row.textContent()) ?? '', /x-upstream-token: \*{8}/);
    assert.equal(await row.locator('[data-testid="mcp-server-edit"]').count(), 0, 'a config-file server is changed in the file');
    const calls = page.locator('[data-testid="mcp-tool-calls"] tr[data-tool="docs__search"]');
    await calls.waitFor();
    const from = encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString());
    const reported = await admin<{ rows: { group: { model: string }; requests: number }[] }>('GET', `/admin/logs/aggregate?from=${from}&operation=mcp_tool_call&group_by=model`);
    assert.equal(Number(await calls.getAttribute('data-value')), reported.rows.find((entry) => entry.group.model === 'docs__search')!.requests);
    assert.equal(await calls.getAttribute('data-value'), '2');
    assert.ok(!(await page.content()).includes(CONFIG_SECRET), 'the header value never reaches the page');
    await screenshot(page, 'mcp');
  } finally {
    await context.close();
  }
});

test('MCP: an admin adds a server through the page, edits it keeping its secret header, and removes it', async () => {
  const { context, page } = await newPage(browser);
  try {
    await logIn(page, running.url, { token: ADMIN_TOKEN }, '/ui/mcp');
    await page.locator('[data-testid="mcp-server-new"]').click();
    const form = page.locator('[data-testid="mcp-server-new-form"]');
    await form.locator('[data-testid="mcp-server-name"]').fill('web');
    await form.locator('[data-testid="mcp-server-url"]').fill(web.url);
    await form.locator('[data-testid="mcp-server-add-pair"]').click();
    await form.locator('[data-testid="mcp-server-pair-name"]').fill('x-upstream-token');
    await form.locator('[data-testid="mcp-server-pair-value"]').fill(ADDED_SECRET);
    await form.locator('[data-testid="mcp-server-price"]').fill('0.01');
    await form.locator('[data-testid="mcp-server-save"]').click();
    const row = page.locator('tr[data-server="web"]');
    await row.waitFor();
    assert.equal(await row.getAttribute('data-source'), 'api');
    const listed = await admin<{ servers: { name: string; source: string; url: string; headers: Record<string, string>; price_per_call: number | null }[] }>('GET', '/admin/mcp/servers');
    const added = listed.servers.find((server) => server.name === 'web');
    assert.deepEqual(added && [added.source, added.url, added.headers, added.price_per_call], ['api', web.url, { 'x-upstream-token': '********' }, 0.01]);
    await eventually('web connected', async () => ((await admin<{ state: string }>('GET', '/admin/mcp/servers/web')).state === 'connected' ? true : undefined));
    assert.match(await callTool('web__search'), new RegExp(`token ${ADDED_SECRET}`), 'the header the page sent reaches the upstream');

    // Edit: a new price; the header's value left empty keeps the stored secret.
    await page.locator('button', { hasText: 'Refresh' }).click();
    await page.locator('tr[data-server="web"][data-state="connected"]').waitFor();
    await row.locator('[data-testid="mcp-server-edit"]').click();
    const editor = page.locator('[data-testid="mcp-server-form"]');
    assert.equal(await editor.locator('[data-testid="mcp-server-pair-value"]').inputValue(), '', 'the stored value is not filled in');
    await editor.locator('[data-testid="mcp-server-price"]').fill('0.02');
    await editor.locator('[data-testid="mcp-server-save"]').click();
    await editor.waitFor({ state: 'detached' });
    await eventually('price changed', async () => ((await admin<{ price_per_call: number }>('GET', '/admin/mcp/servers/web')).price_per_call === 0.02 ? true : undefined));
    await eventually('web reconnected', async () => ((await admin<{ state: string }>('GET', '/admin/mcp/servers/web')).state === 'connected' ? true : undefined));
    assert.match(await callTool('web__search'), new RegExp(`token ${ADDED_SECRET}`), 'the edit kept the stored header');
    assert.ok(!(await page.content()).includes(ADDED_SECRET), 'the secret typed once is not shown back');

    page.once('dialog', (dialog) => void dialog.accept());
    await row.locator('[data-testid="mcp-server-remove"]').click();
    await row.waitFor({ state: 'detached' });
    const after = await admin<{ servers: { name: string }[] }>('GET', '/admin/mcp/servers');
    assert.deepEqual(after.servers.map((server) => server.name), ['docs', 'vault']);
  } finally {
    await context.close();
  }
});

test('MCP: an admin starts OAuth for a server that needs it; once authorized it connects', async () => {
  const { context, page } = await newPage(browser);
  try {
    await logIn(page, running.url, { token: ADMIN_TOKEN }, '/ui/mcp');
    const row = page.locator('tr[data-server="vault"]');
    await row.locator('[data-testid="mcp-server-oauth"]').click();
    const link = page.locator('[data-testid="mcp-oauth-link"] a');
    await link.waitFor();
    const authorization = new URL((await link.getAttribute('href'))!);
    assert.equal(authorization.origin, oauth.issuer);
    assert.equal(authorization.searchParams.get('redirect_uri'), REDIRECT);
    // The user approves; the authorization server sends the browser back to the gateway's callback.
    const approved = await fetch(authorization, { redirect: 'manual' });
    const back = new URL(approved.headers.get('location')!);
    assert.equal((await fetch(`${running.url}/mcp/oauth/callback${back.search}`)).status, 200);
    await eventually('vault connected', async () => ((await admin<{ state: string }>('GET', '/admin/mcp/servers/vault')).state === 'connected' ? true : undefined));
    assert.notEqual(await row.getAttribute('data-state'), 'connected', 'the page still shows the state it read');
    await page.locator('button', { hasText: 'Refresh' }).click();
    await page.locator('tr[data-server="vault"][data-state="connected"]').waitFor();
  } finally {
    await context.close();
  }
});

test('guardrails: the rules with action, direction and scope, blocks per rule as the log counts them, no rule secret', async () => {
  const { context, page } = await newPage(browser);
  try {
    await logIn(page, running.url, { token: ADMIN_TOKEN }, '/ui/guardrails');
    const codenames = page.locator('tr[data-rule="codenames"]');
    await codenames.waitFor();
    assert.deepEqual([await codenames.getAttribute('data-action'), await codenames.getAttribute('data-direction')], ['block', 'both']);
    assert.equal((await codenames.locator('[data-testid="guardrail-scope"]').textContent())?.trim(), 'everyone');
    const moderation = page.locator('tr[data-rule="moderation"]');
    assert.equal((await moderation.locator('[data-testid="guardrail-scope"]').textContent())?.trim(), 'team research');
    assert.match((await moderation.textContent()) ?? '', /https:\/\/guard\.example\.com\/check/);
    const from = encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString());
    const reported = await admin<{ rows: { requests: number }[] }>('GET', `/admin/logs/aggregate?from=${from}&error_code=guardrail_blocked`);
    assert.equal(reported.rows[0]!.requests, 3);
    await page.locator('[data-testid="guardrails-blocked"][data-value="3"]').waitFor();
    await codenames.locator('[data-testid="guardrail-blocks"][data-value="3"]').waitFor();
    assert.equal(await moderation.locator('[data-testid="guardrail-blocks"]').getAttribute('data-value'), '0');
    const html = await page.content();
    for (const secret of [HOOK_PASSWORD, HOOK_QUERY, CODENAME]) assert.ok(!html.includes(secret), `${secret} is not on the page`);
    await screenshot(page, 'guardrails');
  } finally {
    await context.close();
  }
});

test('a viewer sees both pages without any control that changes a server; finance sees both pages', async () => {
  for (const account of [VIEWER, FINANCE]) {
    const { context, page } = await newPage(browser);
    try {
      await logIn(page, running.url, account, '/ui/mcp');
      await page.locator('tr[data-server="docs"] [data-testid="mcp-server-tools"]').waitFor();
      await page.locator('[data-testid="mcp-tool-calls"] tr[data-tool="docs__search"]').waitFor();
      for (const control of ['mcp-server-new', 'mcp-server-edit', 'mcp-server-remove', 'mcp-server-oauth']) assert.equal(await page.locator(`[data-testid="${control}"]`).count(), 0, `${account.user}: ${control}`);
      await page.getByRole('link', { name: 'Guardrails' }).click();
      await page.locator('tr[data-rule="codenames"] [data-testid="guardrail-blocks"][data-value="3"]').waitFor();
      await screenshot(page, 'guardrails', `guardrails-${account.user}`);
    } finally {
      await context.close();
    }
  }
});

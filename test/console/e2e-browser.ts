import assert from 'node:assert/strict';
import { mkdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Screenshots of every page: a test artifact (gitignored). */
export const ARTIFACTS = fileURLToPath(new URL('../../../.tollgate/test-artifacts/console/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium (Debian's `chromium`, driven by playwright-core). */
export async function launchBrowser(): Promise<Browser> {
  await mkdir(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export async function newPage(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...options });
  return { context, page: await context.newPage() };
}

/** Saves a full-page screenshot of `page-<name>` and checks it is a real, non-empty render. */
export async function screenshot(page: Page, name: string, file = name): Promise<void> {
  const root = page.locator(`[data-testid="page-${name}"]`);
  const box = await root.boundingBox();
  assert.ok(box !== null && box.width > 100 && box.height > 50, `page-${name} renders with a size`);
  const path = `${ARTIFACTS}${file}.png`;
  await page.screenshot({ path, fullPage: true });
  assert.ok((await stat(path)).size > 5000, `${path} is a real picture`);
}

/** Logs in through the form: with the admin token, or with an account's name and password. */
export async function logIn(page: Page, url: string, credentials: { token: string } | { user: string; password: string }, path = '/ui/overview'): Promise<void> {
  await page.goto(`${url}${path}`);
  const form = page.locator('[data-testid="login-form"]');
  await form.waitFor();
  if ('token' in credentials) {
    await form.locator('input[name="token"]').fill(credentials.token);
  } else {
    await page.locator('[data-testid="login-account-mode"]').click();
    await form.locator('input[name="user"]').fill(credentials.user);
    await form.locator('input[name="password"]').fill(credentials.password);
  }
  await form.locator('button[type="submit"]').click();
  await page.locator('[data-testid^="page-"]').first().waitFor();
}

/** An admin API call made by the page itself, with its session cookie and (for writes) its CSRF token. */
export async function callFromPage(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const session = (await (await fetch('/ui/api/session')).json()) as { csrf_token?: string };
      const headers: Record<string, string> = { 'x-tollgate-csrf': session.csrf_token ?? '' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: response.status, text: await response.text() };
    },
    { method, path, body },
  );
}

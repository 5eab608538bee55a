import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCacheModule, cacheModule, type CacheModuleOptions } from '../../src/cache/module.js';
import { featureModules } from '../../src/server/modules.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

export const ADMIN_TOKEN = 'cache-admin-token-0123456789';
/** Made-up virtual key values, split so secret scanners do not take them for real keys. */
export const KEY_A = 'vk-' + 'cache-alpha-0001';
export const KEY_B = 'vk-' + 'cache-bravo-0002';
export const KEY_C = 'vk-' + 'cache-team-0003';
export const KEY_D = 'vk-' + 'cache-team-0004';
export const KEY_E = 'vk-' + 'cache-team-0005';

/** A settable clock. */
export class TestClock {
  constructor(public time: number) {}
  readonly now = (): number => this.time;
}

/** A gateway config in front of an OpenAI-dialect fake, with the cache on and four keys (two alone, two sharing a team namespace). */
export function cacheConfig(fakeUrl: string, cache: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    admin: { token: ADMIN_TOKEN },
    providers: { openai: { type: 'openai', base_url: `${fakeUrl}/v1`, keys: [{ id: 'p1', value: 'sk-' + 'test-upstream' }], models: ['gpt-test', 'embed-test'], max_retries: 0 } },
    pricing: { 'openai/gpt-test': { input: 1000, output: 1000 }, 'openai/embed-test': { input: 100, output: 0 } },
    teams: [{ id: 'blue' }],
    virtual_keys: [
      { id: 'alpha', value: KEY_A, models: ['*'], budgets: [{ max_usd: 100 }] },
      { id: 'bravo', value: KEY_B, models: ['*'] },
      { id: 'carol', value: KEY_C, models: ['*'], team: 'blue', cache: { namespace: 'team' } },
      { id: 'dave', value: KEY_D, models: ['*'], team: 'blue', cache: { namespace: 'team', allow_namespace_header: true } },
      { id: 'erin', value: KEY_E, models: ['openai/embed-test'], team: 'blue', cache: { namespace: 'team' } },
    ],
    cache: { enabled: true, ...cache },
    ...extra,
  };
}

export async function tempDbPath(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'tollgate-cache-')), 'tollgate.db');
}

/** Starts a gateway with every feature module, the cache built with `options` (a test clock). */
export function startCached(raw: Record<string, unknown>, options: CacheModuleOptions = {}): Promise<RunningGateway> {
  return startGateway(raw, { modules: featureModules.map((factory) => (factory === cacheModule ? createCacheModule(options) : factory)) });
}

export async function adminCall(url: string, method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const text = await response.text();
  return { status: response.status, body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** How many entries the gateway's cache holds (`GET /admin/cache`). */
export async function cachedEntries(url: string): Promise<number> {
  const { status, body } = await adminCall(url, 'GET', '/admin/cache');
  assert.equal(status, 200, 'GET /admin/cache');
  return body.entries as number;
}

/**
 * Resolves once the cache holds more than `count` entries. A miss is stored when its request has
 * ended, which may be a moment after its caller read the last byte (a stream's end, say): polled
 * every 5 ms, failing after 5 s (the documented bound is 500 ms; a loaded CI machine gets slack).
 */
export async function storedBeyond(url: string, count: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((await cachedEntries(url)) <= count) {
    if (Date.now() > deadline) assert.fail(`the cache still holds ${count} entries: the answer was never stored`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

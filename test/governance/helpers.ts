import OpenAI from 'openai';
import { createGovernanceModule, governanceModule, type GovernanceModuleOptions } from '../../src/governance/module.js';
import { featureModules } from '../../src/server/modules.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/** An SDK client for the gateway with a given virtual key (no retries, so limits are seen as they are). */
export function clientFor(url: string, key: string): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
}

/** A plain fetch of the chat endpoint, for checking raw status codes, headers and bodies. */
export async function chat(url: string, headers: Record<string, string>, body: Record<string, unknown> = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown>; text: string }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hello there' }], ...body }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as Record<string, unknown>, text };
}

export function errorCode(body: Record<string, unknown>): string | undefined {
  return (body.error as { code?: string } | undefined)?.code;
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** Calls the admin API (`token: null` sends none). */
export async function admin(url: string, method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  return { status: response.status, body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
}

/** A settable clock for calendar tests. */
export class TestClock {
  constructor(public time: number) {}
  readonly now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

/** Starts a gateway with every feature module, governance built with `options` (e.g. a test clock). */
export function startGoverned(raw: Record<string, unknown>, options: GovernanceModuleOptions = {}): Promise<RunningGateway> {
  return startGateway(raw, { modules: featureModules.map((factory) => (factory === governanceModule ? createGovernanceModule(options) : factory)) });
}

/** Prices that make every mock request cost about a cent: $1,000 per million tokens in and out. */
export const DEAR_PRICING = { 'mock/mock-small': { input: 1000, output: 1000 }, 'other/mock-small': { input: 1000, output: 1000 } };

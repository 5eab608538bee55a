import { createServer, type Server as HttpServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { answerStatelessly, listenOnLoopback } from '../fakes/stateless-mcp.js';

export const ADMIN = 'agent-admin-' + 'token-0123456789';
/** Injection on (its own `mcp.inject: true`), every `calc` tool. */
export const KEY_AGENT = 'vk-' + 'agent-0001';
/** An `mcp` section but no `inject` setting: injection only when asked by header (the global default is off). */
export const KEY_ASKS = 'vk-' + 'agent-asks-0002';
/** `mcp.inject: false`. */
export const KEY_NEVER = 'vk-' + 'agent-never-0003';
/** Only the group `math`. */
export const KEY_MATH = 'vk-' + 'agent-math-0004';
/** Injection on, a $1 budget. */
export const KEY_SMALL = 'vk-' + 'agent-small-0005';
/** A key in code mode with injection on: its model requests get code mode's four meta-tools. */
export const KEY_CODE = 'vk-' + 'agent-code-0006';

/** The calls in flight at once on the `together` tool, and the most seen. */
export const concurrency = { now: 0, most: 0 };

/**
 * A stateless streamable-HTTP MCP server (the official SDK) with `add`, `fail` (an isError result),
 * `slow` (answers after 10 s), `together` (waits, up to 2 s, until a second call is in flight, and
 * says whether one came) and `lookup` (not auto-executable).
 */
export async function startToolServer(): Promise<{ url: string; close(): Promise<void> }> {
  const http: HttpServer = createServer((request, response) => {
    const server = new McpServer({ name: 'calc', version: '1.0.0' });
    server.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
    server.registerTool('fail', { description: 'Always fails' }, () => ({ content: [{ type: 'text', text: 'the tool failed on purpose' }], isError: true }));
    server.registerTool('slow', { description: 'Takes 10 seconds' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      return { content: [{ type: 'text', text: 'finally' }] };
    });
    server.registerTool('together', { description: 'Waits for company' }, async () => {
      concurrency.now++;
      concurrency.most = Math.max(concurrency.most, concurrency.now);
      for (let waited = 0; waited < 2_000 && concurrency.most < 2; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      const text = concurrency.most >= 2 ? 'together' : 'alone';
      concurrency.now--;
      return { content: [{ type: 'text', text }] };
    });
    server.registerTool('lookup', { description: 'Looks something up', inputSchema: { term: z.string() } }, ({ term }) => ({ content: [{ type: 'text', text: `found ${term}` }] }));
    if (request.method !== 'POST') {
      response.writeHead(405).end();
      return;
    }
    answerStatelessly(server, request, response);
  });
  const listening = await listenOnLoopback(http);
  return { url: `http://127.0.0.1:${listening.port}/mcp`, close: listening.close };
}

export interface AgentWorld {
  running: RunningGateway;
  openai: FakeUpstream;
  anthropic: FakeUpstream;
  tools: { url: string; close(): Promise<void> };
  close(): Promise<void>;
}

/** A gateway with an OpenAI fake (`gpt-test`), an Anthropic fake (`claude-test`), both priced, and the tool server as `calc`. */
export async function startAgentWorld(): Promise<AgentWorld> {
  const [openai, anthropic, tools] = await Promise.all([startOpenAIFake(), startAnthropicFake(), startToolServer()]);
  const running = await startGateway({
    admin: { token: ADMIN },
    providers: {
      openai: { type: 'openai', base_url: `${openai.url}/v1`, keys: [{ value: 'sk-' + 'test-upstream' }], models: ['gpt-test'], max_retries: 0 },
      claude: { type: 'anthropic', base_url: anthropic.url, keys: [{ value: 'test-key-' + 'anthropic' }], models: ['claude-test'], max_retries: 0 },
    },
    pricing: { 'openai/gpt-test': { input: 1000, output: 1000 }, 'claude/claude-test': { input: 1000, output: 1000 } },
    mcp: {
      servers: { calc: { transport: 'http', url: tools.url, auto_execute: ['add', 'fail', 'slow'] } },
      groups: { math: ['calc__add'] },
      agent: { auto_execute: ['calc__together'], max_depth: 2, tool_timeout_ms: 3000 },
      code_mode: { enabled: true },
    },
    virtual_keys: [
      { id: 'agent', value: KEY_AGENT, models: ['*'], budgets: [{ max_usd: 100 }], mcp: { allow: ['calc__*'], inject: true } },
      { id: 'asks', value: KEY_ASKS, models: ['*'], mcp: { allow: ['calc__*'] } },
      { id: 'never', value: KEY_NEVER, models: ['*'], mcp: { allow: ['calc__*'], inject: false } },
      { id: 'math', value: KEY_MATH, models: ['*'], mcp: { groups: ['math'] } },
      { id: 'small', value: KEY_SMALL, models: ['*'], budgets: [{ max_usd: 1 }], mcp: { allow: ['calc__*'], inject: true } },
      { id: 'code', value: KEY_CODE, models: ['*'], mcp: { allow: ['calc__*'], inject: true, mode: 'code' } },
    ],
  });
  for (let attempt = 0; attempt < 200 && (await fetch(`${running.url}/ready`)).status !== 200; attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
  return {
    running,
    openai,
    anthropic,
    tools,
    close: async () => {
      await running.close();
      await Promise.all([openai.close(), anthropic.close(), tools.close()]);
    },
  };
}

/** Request log records (request kind) of the gateway. */
export async function logRecords(world: AgentWorld, query = 'limit=200'): Promise<any[]> {
  const response = await fetch(`${world.running.url}/admin/logs?${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await response.json()) as { logs: any[] }).logs;
}

export async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('never happened');
}

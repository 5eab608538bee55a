import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { SandboxPool } from '../../src/mcp/code-mode/sandbox-pool.js';
import type { SandboxLimits } from '../../src/mcp/code-mode/sandbox.js';
import { transpileCode } from '../../src/mcp/code-mode/transpile.js';

const LIMITS: SandboxLimits = { timeoutMs: 5_000, cpuMs: 300, memoryBytes: 32 * 1024 * 1024, stackBytes: 256 * 1024, maxResultChars: 10_000, maxConsoleChars: 2_000, maxToolCalls: 10 };
const pool = new SandboxPool();
after(() => pool.close());

async function run(code: string, options: { signal?: AbortSignal; callTool?: (name: string, argumentsJson: string) => Promise<string> } = {}) {
  return pool.run({ source: await transpileCode(code), tools: { calc: ['add'] }, limits: LIMITS, signal: options.signal ?? new AbortController().signal, callTool: options.callTool ?? (async () => '1') });
}

test('code that computes for its whole CPU budget runs off the event loop: the gateway thread keeps turning', async () => {
  let turns = 0;
  let running = true;
  const spin = () => {
    turns++;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  const outcome = await run('while (true) {}');
  running = false;
  assert.deepEqual(outcome, { ok: false, error: 'TimeoutError: the code used more than its 300 ms of CPU time', console: [] });
  assert.ok(turns > 1, `the event loop turned ${turns} times during the execution`);
  // The thread is reused afterwards.
  assert.deepEqual(await run('return 6 * 7'), { ok: true, resultJson: '42', console: [] });
});

test('tool calls cross to the caller and back; cancelling the caller stops the code', async () => {
  const seen: string[] = [];
  const outcome = await run('const a = await servers.calc.add({ a: 1, b: 2 }); console.log("got", a); return a + 1;', {
    callTool: async (name, argumentsJson) => {
      seen.push(`${name} ${argumentsJson}`);
      return '3';
    },
  });
  assert.deepEqual(outcome, { ok: true, resultJson: '4', console: ['got 3'] });
  assert.deepEqual(seen, ['calc__add {"a":1,"b":2}']);
  const controller = new AbortController();
  const waiting = run('return await servers.calc.add({ a: 1, b: 2 });', { signal: controller.signal, callTool: () => new Promise<string>(() => controller.abort()) });
  assert.deepEqual(await waiting, { ok: false, error: 'AbortError: the call was cancelled', console: [] });
});

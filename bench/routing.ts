/**
 * Micro-benchmark of routing cost: selection, key choice and health bookkeeping for one request
 * (start → next → outcome → end), per strategy, without any I/O.
 * Run: npx tsc -p tsconfig.json && node dist/bench/routing.js
 */
import { createContext } from '../src/pipeline/context.js';
import { targetOf, type RoutePlan, type Strategy } from '../src/pipeline/target.js';
import type { ProviderInstance } from '../src/providers/instance.js';
import { mockAdapter } from '../src/providers/mock/mock-adapter.js';
import { ResilientRouter } from '../src/routing/resilient-router.js';

function instance(name: string, keys: number): ProviderInstance {
  return {
    name,
    adapter: mockAdapter,
    settings: { name, type: 'mock', baseUrl: 'mock://local', headers: {}, options: {} },
    keys: Array.from({ length: keys }, (_, index) => ({ id: `${name}-${index}`, value: `bench-key-${index}`, weight: 1, models: undefined })),
    models: undefined,
    maxRetries: 2,
    timeoutMs: 60_000,
  };
}

function planFor(strategy: Strategy): RoutePlan {
  return {
    requested: 'bench',
    route: 'bench',
    groups: [
      { name: 'bench', strategy, targets: [targetOf(instance('openai', 3), 'gpt-4o', 50), targetOf(instance('azure', 2), 'gpt-4o', 30), targetOf(instance('other', 1), 'gpt-4o', 20)] },
      { name: 'fallback', strategy: 'weighted', targets: [targetOf(instance('anthropic', 2), 'claude', 1)] },
    ],
  };
}

async function measure(strategy: Strategy, iterations: number): Promise<number> {
  const router = new ResilientRouter({ providers: {} });
  const plan = planFor(strategy);
  const signal = new AbortController().signal;
  // One context reused: creating it is the pipeline's cost, not routing's.
  const context = createContext({ id: 'bench', surface: 'openai', operation: 'chat', method: 'POST', path: '/v1/chat/completions', headers: {}, clientAddress: undefined, signal });
  const run = async (count: number) => {
    for (let index = 0; index < count; index++) {
      const target = await router.start(context, plan).next(undefined);
      router.observer.onAttempt?.(context, { target: target!, ok: true, error: undefined, latencyMs: 5 });
      router.observer.onRequestEnd(context);
    }
  };
  await run(20_000);
  const started = process.hrtime.bigint();
  await run(iterations);
  return Number(process.hrtime.bigint() - started) / iterations / 1_000;
}

const iterations = Number(process.argv[2] ?? 200_000);
for (const strategy of ['weighted', 'latency', 'least-busy'] as const) {
  const microseconds = await measure(strategy, iterations);
  console.log(`${strategy.padEnd(10)} ${microseconds.toFixed(2)} µs per request (start, choose target and key, record outcome, end; no I/O)`);
}

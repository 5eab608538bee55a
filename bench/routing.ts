/**
 * Micro-benchmark of routing cost: selection, key choice and health bookkeeping for one request
 * (start → next → outcome → end), per strategy, without any I/O. The last row adds a failed first
 * attempt (503, retried at once on the same target with another key): the failure bookkeeping.
 * Run: npm run bench:routing (= npx tsc -p tsconfig.json && node dist/bench/routing.js [iterations])
 */
import { providerSchema } from '../src/config/provider-schema.js';
import { routingSchema } from '../src/config/routing-schema.js';
import { createContext } from '../src/pipeline/context.js';
import type { AttemptOutcome } from '../src/pipeline/hooks.js';
import { targetOf, type RoutePlan, type Strategy } from '../src/pipeline/target.js';
import type { ProviderInstance } from '../src/providers/instance.js';
import { mockAdapter } from '../src/providers/mock/mock-adapter.js';
import { ResilientRouter } from '../src/routing/resilient-router.js';
import { GatewayError } from '../src/spec/index.js';

const PROVIDERS = { openai: 3, azure: 2, other: 1, anthropic: 2 };

function instance(name: keyof typeof PROVIDERS): ProviderInstance {
  return {
    name,
    adapter: mockAdapter,
    settings: { name, type: 'mock', baseUrl: 'mock://local', headers: {}, options: {} },
    keys: Array.from({ length: PROVIDERS[name] }, (_, index) => ({ id: `${name}-${index}`, value: `bench-key-${index}`, weight: 1, models: undefined })),
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
      { name: 'bench', strategy, targets: [targetOf(instance('openai'), 'gpt-4o', 50), targetOf(instance('azure'), 'gpt-4o', 30), targetOf(instance('other'), 'gpt-4o', 20)] },
      { name: 'fallback', strategy: 'weighted', targets: [targetOf(instance('anthropic'), 'claude', 1)] },
    ],
  };
}

// Every provider has timeouts, as in a real config (the router copies them onto each attempt's target).
const providerConfigs = Object.fromEntries(Object.keys(PROVIDERS).map((name) => [name, providerSchema.parse({ type: 'mock', timeouts: { connect_ms: 5_000 } })]));
const UNAVAILABLE = new GatewayError('upstream_error', 'bench: unavailable', { status: 503, upstreamStatus: 503, retryable: true });

async function measure(strategy: Strategy, iterations: number, failFirst: boolean): Promise<{ wall: number; cpu: number }> {
  // No backoff, so a retry costs bookkeeping only (no timer); thresholds high enough that no circuit opens.
  const config = routingSchema.parse({ retry: { base_backoff_ms: 0, max_backoff_ms: 0 }, circuit_breaker: { consecutive_failures: 1_000_000, error_ratio: 1, min_requests: 1_000_000 } });
  const router = new ResilientRouter({ config, providers: providerConfigs });
  const plan = planFor(strategy);
  const signal = new AbortController().signal;
  // One context reused: creating it is the pipeline's cost, not routing's.
  const context = createContext({ id: 'bench', surface: 'openai', operation: 'chat', method: 'POST', path: '/v1/chat/completions', headers: {}, clientAddress: undefined, signal });
  const run = async (count: number) => {
    for (let index = 0; index < count; index++) {
      const session = router.start(context, plan);
      let target = (await session.next(undefined))!;
      if (failFirst) {
        const failed: AttemptOutcome = { target, ok: false, error: UNAVAILABLE, latencyMs: 5 };
        router.observer.onAttempt?.(context, failed);
        target = (await session.next(failed))!;
      }
      router.observer.onAttempt?.(context, { target, ok: true, error: undefined, latencyMs: 5 });
      router.observer.onRequestEnd(context);
    }
  };
  await run(20_000);
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  await run(iterations);
  const cpu = process.cpuUsage(cpuBefore);
  // CPU time as well as wall time: on a shared machine the wall clock also counts other processes' turns.
  return { wall: Number(process.hrtime.bigint() - started) / iterations / 1_000, cpu: (cpu.user + cpu.system) / iterations };
}

function row(label: string, result: { wall: number; cpu: number }, what: string): string {
  return `${label.padEnd(21)} ${result.wall.toFixed(2).padStart(6)} µs wall ${result.cpu.toFixed(2).padStart(6)} µs CPU per request (${what})`;
}

const iterations = Number(process.argv[2] ?? 200_000);
for (const strategy of ['weighted', 'latency', 'least-busy'] as const) {
  console.log(row(strategy, await measure(strategy, iterations, false), 'start, choose target and key, record outcome, end; no I/O'));
}
console.log(row('weighted, one retry', await measure('weighted', iterations, true), 'as above with a 503 first, retried at once on another key'));

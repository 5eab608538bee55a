import { createContext, type RequestContext } from '../../src/pipeline/context.js';
import type { AttemptOutcome } from '../../src/pipeline/hooks.js';
import { targetOf, type RoutePlan, type Strategy, type Target } from '../../src/pipeline/target.js';
import type { ProviderInstance } from '../../src/providers/instance.js';
import { mockAdapter } from '../../src/providers/mock/mock-adapter.js';
import type { ProviderKey } from '../../src/providers/provider.js';
import { routingSchema, type RoutingConfig } from '../../src/config/routing-schema.js';
import { ResilientRouter } from '../../src/routing/resilient-router.js';
import { GatewayError, type GatewayErrorOptions } from '../../src/spec/index.js';
import type { ErrorCode } from '../../src/spec/error-codes.js';

/** A deterministic PRNG (mulberry32), so statistical tests do not flake. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

export function provider(name: string, options: { keys?: string[]; maxRetries?: number } = {}): ProviderInstance {
  const keys: ProviderKey[] = (options.keys ?? []).map((id) => ({ id, value: `test-key-${id}`, weight: 1, models: undefined }));
  return {
    name,
    adapter: mockAdapter,
    settings: { name, type: 'mock', baseUrl: 'mock://local', headers: {}, options: mockAdapter.optionsSchema.parse({}) },
    keys,
    models: undefined,
    maxRetries: options.maxRetries ?? 2,
    timeoutMs: 60_000,
  };
}

export function plan(groups: { targets: Target[]; strategy?: Strategy }[]): RoutePlan {
  return { requested: 'test-route', route: 'test-route', groups: groups.map((group, index) => ({ name: `group-${index}`, strategy: group.strategy ?? 'weighted', targets: group.targets })) };
}

export { targetOf };

export function context(headers: Record<string, string> = {}): RequestContext {
  return createContext({ id: 'test', surface: 'openai', operation: 'chat', method: 'POST', path: '/v1/chat/completions', headers, clientAddress: undefined, signal: new AbortController().signal });
}

/** A router on a hand-driven clock that records the waits it asks for instead of sleeping. */
export function testRouter(overrides: Partial<{ [K in keyof RoutingConfig]: Partial<RoutingConfig[K]> }> = {}, seed = 42) {
  const clock = { now: 0 };
  const waits: number[] = [];
  const config = routingSchema.parse(overrides);
  const router = new ResilientRouter({
    config,
    environment: {
      now: () => clock.now,
      random: seededRandom(seed),
      sleep: async (ms) => {
        waits.push(ms);
        clock.now += ms;
      },
    },
  });
  return { router, clock, waits };
}

export function upstreamError(code: ErrorCode, upstreamStatus: number, options: GatewayErrorOptions = {}): GatewayError {
  return new GatewayError(code, `upstream said ${upstreamStatus}`, { upstreamStatus, status: upstreamStatus >= 500 ? upstreamStatus : undefined, retryable: upstreamStatus === 429 || upstreamStatus >= 500, ...options });
}

/**
 * Drives one request the way the pipeline does: ask for a target, report its outcome to the
 * observer, ask again. `respond` decides each attempt's outcome. Returns the targets tried and the
 * error the session threw, if any.
 */
export async function drive(router: ResilientRouter, routePlan: RoutePlan, respond: (target: Target, index: number) => GatewayError | undefined, request = context()) {
  const session = router.start(request, routePlan);
  const tried: Target[] = [];
  let outcome: AttemptOutcome | undefined;
  let thrown: GatewayError | undefined;
  try {
    for (;;) {
      const target = await session.next(outcome);
      if (target === undefined) break;
      tried.push(target);
      request.attempts.push({ target, keyId: target.key?.id, status: 0, errorCode: undefined, errorMessage: undefined, latencyMs: 1, upstream: true });
      const error = respond(target, tried.length - 1);
      const attempt = request.attempts[request.attempts.length - 1]!;
      attempt.status = error === undefined ? 200 : (error.upstreamStatus ?? error.status);
      attempt.errorCode = error?.code;
      outcome = { target, ok: error === undefined, error, latencyMs: 1 };
      router.observer.onAttempt?.(request, outcome);
      if (error === undefined) break;
    }
  } catch (error) {
    thrown = error as GatewayError;
  }
  router.observer.onRequestEnd(request);
  return { tried, thrown, context: request };
}

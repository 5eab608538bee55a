import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, plan, provider, targetOf, testRouter } from './router-fixtures.js';

function shares(counts: Map<string, number>, total: number): Record<string, number> {
  return Object.fromEntries([...counts].map(([ref, count]) => [ref, count / total]));
}

async function firstChoices(router: ReturnType<typeof testRouter>['router'], routePlan: ReturnType<typeof plan>, requests: number) {
  const counts = new Map<string, number>();
  for (let index = 0; index < requests; index++) {
    const request = context();
    const target = await router.start(request, routePlan).next(undefined);
    counts.set(target!.ref, (counts.get(target!.ref) ?? 0) + 1);
    router.observer.onAttempt?.(request, { target: target!, ok: true, error: undefined, latencyMs: 1 });
    router.observer.onRequestEnd(request);
  }
  return counts;
}

test('a 70/30 split lands within 3 points over 2,000 requests', async () => {
  const { router } = testRouter({}, 7);
  const routePlan = plan([{ targets: [targetOf(provider('openai'), 'gpt-4o', 70), targetOf(provider('azure'), 'gpt-4o', 30)] }]);
  const counts = await firstChoices(router, routePlan, 2_000);
  const share = shares(counts, 2_000);
  assert.ok(Math.abs(share['openai/gpt-4o']! - 0.7) < 0.03, JSON.stringify(share));
  assert.ok(Math.abs(share['azure/gpt-4o']! - 0.3) < 0.03, JSON.stringify(share));
});

test('weights normalise over eligible targets: an open circuit gets nothing, the rest keep their proportions', async () => {
  const { router } = testRouter({}, 11);
  const first = targetOf(provider('one'), 'm', 50);
  const routePlan = plan([{ targets: [first, targetOf(provider('two'), 'm', 30), targetOf(provider('three'), 'm', 20)] }]);
  router.health.target(first).breaker.trip(1_000_000, 'test outage');
  const counts = await firstChoices(router, routePlan, 2_000);
  const share = shares(counts, 2_000);
  assert.equal(counts.get('one/m'), undefined);
  assert.ok(Math.abs(share['two/m']! - 0.6) < 0.04, JSON.stringify(share));
  assert.ok(Math.abs(share['three/m']! - 0.4) < 0.04, JSON.stringify(share));
});

test('latency strategy: power of two choices prefers the lower peak-EWMA × (in-flight + 1)', async () => {
  const { router } = testRouter({}, 3);
  const slow = targetOf(provider('slow'), 'm');
  const fast = targetOf(provider('fast'), 'm');
  router.health.target(slow).latency.observe(400, 0);
  router.health.target(fast).latency.observe(40, 0);
  const routePlan = plan([{ targets: [slow, fast], strategy: 'latency' }]);
  const counts = await firstChoices(router, routePlan, 200);
  assert.equal(counts.get('fast/m'), 200, 'with two candidates the better one always wins');
  // Busy enough, the fast one loses: 40 × (12 + 1) > 400 × 1.
  router.health.target(fast).inFlight = 12;
  const busy = await firstChoices(router, routePlan, 50);
  assert.equal(busy.get('slow/m'), 50);
});

test('latency strategy tries targets it has never measured', async () => {
  const { router } = testRouter({}, 5);
  const known = targetOf(provider('known'), 'm');
  router.health.target(known).latency.observe(50, 0);
  const counts = await firstChoices(router, plan([{ targets: [known, targetOf(provider('new'), 'm')], strategy: 'latency' }]), 10);
  assert.equal(counts.get('new/m'), 10);
});

test('least-busy picks the target with the fewest requests in flight, ties weighted at random', async () => {
  const { router } = testRouter({}, 9);
  const busy = targetOf(provider('busy'), 'm', 1);
  const idleHeavy = targetOf(provider('idle-heavy'), 'm', 3);
  const idleLight = targetOf(provider('idle-light'), 'm', 1);
  router.health.target(busy).inFlight = 2;
  const counts = await firstChoices(router, plan([{ targets: [busy, idleHeavy, idleLight], strategy: 'least-busy' }]), 2_000);
  assert.equal(counts.get('busy/m'), undefined);
  const share = shares(counts, 2_000);
  assert.ok(Math.abs(share['idle-heavy/m']! - 0.75) < 0.04, JSON.stringify(share));
});

test('in-flight counts rise while attempts run and fall when the request ends, whatever happened', async () => {
  const { router } = testRouter();
  const target = targetOf(provider('p', { keys: ['k1'] }), 'm');
  const request = context();
  const chosen = await router.start(request, plan([{ targets: [target] }])).next(undefined);
  assert.equal(chosen!.key?.id, 'k1');
  assert.equal(router.health.target(target).inFlight, 1);
  // The caller went away: no outcome is reported, only the end of the request.
  router.observer.onRequestEnd(request);
  assert.equal(router.health.target(target).inFlight, 0);
  assert.equal(router.health.key('p', target.provider.keys[0]!).inFlight, 0);
});

test('keys of a provider split by their weights, over the keys that are usable right now', async () => {
  const { router } = testRouter({}, 13);
  const keyed = provider('p', { keys: ['heavy', 'light', 'resting'] });
  const weights: Record<string, number> = { heavy: 3, light: 1, resting: 4 };
  const target = targetOf({ ...keyed, keys: keyed.keys.map((key) => ({ ...key, weight: weights[key.id]! })) }, 'm');
  router.health.key('p', target.provider.keys[2]!).breaker.trip(1_000_000, 'rate-limited: Retry-After');
  const counts = new Map<string, number>();
  for (let index = 0; index < 2_000; index++) {
    const request = context();
    const chosen = await router.start(request, plan([{ targets: [target] }])).next(undefined);
    counts.set(chosen!.key!.id, (counts.get(chosen!.key!.id) ?? 0) + 1);
    router.observer.onAttempt?.(request, { target: chosen!, ok: true, error: undefined, latencyMs: 1 });
    router.observer.onRequestEnd(request);
  }
  assert.equal(counts.get('resting'), undefined);
  const share = shares(counts, 2_000);
  assert.ok(Math.abs(share['heavy']! - 0.75) < 0.03, JSON.stringify(share));
  assert.equal(router.openSessions, 0);
});

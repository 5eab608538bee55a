import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import type { ResilientRouter } from '../../src/routing/resilient-router.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { closeAfterTests } from './closed-after-tests.js';
import { watchLeaks } from './leak-watch.js';
import { sendCompletion, startScriptedUpstream, type ScriptedUpstream } from './scripted-upstream.js';

/** A primary that answers 503 while `down`, and remembers the bodies it was sent. */
async function switchable(): Promise<{ upstream: ScriptedUpstream; bodies: Record<string, unknown>[]; setDown(down: boolean): void }> {
  const upstream = await startScriptedUpstream();
  closeAfterTests(() => upstream.close());
  const bodies: Record<string, unknown>[] = [];
  let down = false;
  upstream.fallback = (_request, response: ServerResponse, body) => {
    bodies.push(JSON.parse(body) as Record<string, unknown>);
    if (!down) return sendCompletion(response, 'primary answered');
    response.writeHead(503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: 'Service Unavailable', type: 'server_error' } }));
  };
  return { upstream, bodies, setDown: (value) => (down = value) };
}

async function gateway(primaryUrl: string, healthChecks: Record<string, unknown>): Promise<{ running: RunningGateway; router: ResilientRouter }> {
  const running = await startGateway({
    logging: { level: 'error', requests: false },
    providers: {
      primary: { type: 'openai', base_url: primaryUrl, keys: [{ id: 'primary-key', value: 'test-key-primary' }], max_retries: 0, models: ['gpt-4o-mini'] },
      backup: { type: 'mock', models: ['mock-small'], mock: { reply: 'backup answered' } },
    },
    routes: { assistant: { targets: [{ model: 'primary/gpt-4o-mini' }], fallbacks: ['backup/mock-small'] } },
    // Without checks an open circuit would wait ten minutes for its half-open probe.
    routing: { circuit_breaker: { consecutive_failures: 2, open_ms: 600_000 }, health_checks: healthChecks },
  });
  closeAfterTests(() => running.close());
  return { running, router: running.gateway.pipeline.parts.router as ResilientRouter };
}

async function ask(running: RunningGateway) {
  const response = await fetch(`${running.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'assistant', messages: [{ role: 'user', content: 'status?' }] }),
  });
  await response.text();
  return { status: response.status, provider: response.headers.get('x-tollgate-provider'), attempts: response.headers.get('x-tollgate-attempts') };
}

async function primaryHealth(running: RunningGateway): Promise<{ state: string; reason?: string }> {
  const health = (await (await fetch(`${running.url}/health/providers`)).json()) as { targets: { target: string; state: string; reason?: string }[] };
  return health.targets.find((target) => target.target === 'primary/gpt-4o-mini')!;
}

test('active health checks are off by default', async () => {
  const primary = await switchable();
  const { router } = await gateway(primary.upstream.url, {});
  assert.equal(router.healthChecks, undefined);
  assert.equal(primary.upstream.count, 0);
});

test('targets: open — a check of an open circuit keeps it open while the provider is down, and closes it as soon as it is back', async () => {
  const primary = await switchable();
  const { running, router } = await gateway(primary.upstream.url, { enabled: true, interval_ms: 3_600_000 });
  const leaks = watchLeaks(running);

  // A round with every circuit closed checks nothing.
  await router.healthChecks!.runOnce();
  assert.equal(primary.upstream.count, 0);

  primary.setDown(true);
  for (let index = 0; index < 3; index++) assert.equal((await ask(running)).provider, 'backup');
  assert.equal(primary.upstream.count, 2, 'two failures open the circuit');
  assert.equal((await primaryHealth(running)).state, 'open');

  await router.healthChecks!.runOnce();
  assert.equal(primary.upstream.count, 3, 'one check');
  const stillDown = await primaryHealth(running);
  assert.equal(stillDown.state, 'open');
  assert.match(stillDown.reason ?? '', /health check: 503 upstream_error/);

  primary.setDown(false);
  await router.healthChecks!.runOnce();
  assert.equal(primary.upstream.count, 4);
  assert.equal((await primaryHealth(running)).state, 'closed', 'closed long before open_ms is over');
  const back = await ask(running);
  assert.deepEqual(back, { status: 200, provider: 'primary', attempts: '1' });

  // The check is the smallest request there is: one user turn, one token.
  const check = primary.bodies[2]!;
  assert.equal(check.model, 'gpt-4o-mini');
  assert.equal((check.messages as unknown[]).length, 1);
  assert.equal(check.max_completion_tokens ?? check.max_tokens, 1);
  assert.notEqual(check.stream, true);
  await leaks.settled({ idleSockets: 2 });
});

test('targets: all — a failing check opens the circuit before any caller runs into the outage', async () => {
  const primary = await switchable();
  const { running, router } = await gateway(primary.upstream.url, { enabled: true, interval_ms: 3_600_000, targets: 'all' });
  await router.healthChecks!.runOnce();
  assert.equal(primary.upstream.count, 1);
  assert.equal((await primaryHealth(running)).state, 'closed');

  primary.setDown(true);
  await router.healthChecks!.runOnce();
  await router.healthChecks!.runOnce();
  assert.equal(primary.upstream.count, 3);
  assert.equal((await primaryHealth(running)).state, 'open');
  const answer = await ask(running);
  assert.deepEqual(answer, { status: 200, provider: 'backup', attempts: '1' }, 'the caller never waited on the primary');
  assert.equal(primary.upstream.count, 3);
});

test('checks run on their interval, and a reload turns them off', async () => {
  const primary = await switchable();
  let checked!: () => void;
  const firstCheck = new Promise<void>((resolve) => (checked = resolve));
  const handler = primary.upstream.fallback;
  primary.upstream.fallback = (request, response, body) => {
    checked();
    return handler(request, response, body);
  };
  const { running, router } = await gateway(primary.upstream.url, { enabled: true, interval_ms: 20, targets: 'all' });
  await firstCheck;
  assert.ok(primary.upstream.count >= 1);
  assert.equal(router.healthChecks!.scheduled, true);

  const next = { ...running.gateway.config, routing: { ...running.gateway.config.routing, health_checks: { ...running.gateway.config.routing.health_checks, enabled: false } } };
  await running.gateway.reload(next);
  assert.equal(router.healthChecks!.scheduled, false);
  await running.gateway.reload({ ...next, routing: { ...next.routing, health_checks: { ...next.routing.health_checks, enabled: true } } });
  assert.equal(router.healthChecks!.scheduled, true);
});

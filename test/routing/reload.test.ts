import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import type { ResilientRouter } from '../../src/routing/resilient-router.js';
import { startGateway } from '../helpers/gateway.js';
import { startScriptedUpstream } from './scripted-upstream.js';

/** The raw config both start-up and the reloads use, with the parts a test changes. */
function raw(primaryUrl: string, route: Record<string, unknown>, routing: Record<string, unknown>): Record<string, unknown> {
  return {
    storage: { type: 'memory' },
    server: { port: 0, host: '127.0.0.1', shutdown_grace_ms: 2000 },
    logging: { level: 'error', requests: false },
    providers: {
      primary: { type: 'openai', base_url: primaryUrl, keys: [{ id: 'primary-key', value: 'test-key-primary' }], max_retries: 0 },
      left: { type: 'mock', models: ['mock-small'], mock: { reply: 'left' } },
      right: { type: 'mock', models: ['mock-small'], mock: { reply: 'right' } },
    },
    routes: { main: route },
    routing,
  };
}

test('a reload changes weights, fallbacks and thresholds for the next request and keeps every circuit; an invalid routing config is refused with its path', async () => {
  const primary = await startScriptedUpstream();
  primary.fallback = (_request, response) => {
    response.writeHead(503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: 'down', type: 'server_error' } }));
  };
  const first = raw(primary.url, { targets: [{ model: 'left/mock-small', weight: 1 }, { model: 'right/mock-small', weight: 0 }] }, { circuit_breaker: { consecutive_failures: 1, open_ms: 600_000 } });
  const running = await startGateway(first);
  after(async () => {
    await running.close();
    await primary.close();
  });
  const router = running.gateway.pipeline.parts.router as ResilientRouter;
  const ask = async (body: Record<string, unknown> = {}) => {
    const response = await fetch(`${running.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'x' }], ...body }),
    });
    const json = (await response.json()) as { choices: { message: { content: string } }[] };
    return { provider: response.headers.get('x-tollgate-provider'), attempts: response.headers.get('x-tollgate-attempts'), text: json.choices[0]!.message.content };
  };

  for (let index = 0; index < 5; index++) assert.equal((await ask()).provider, 'left');
  // One failure opens the primary's circuit (it is not in the route yet: a direct request).
  assert.equal((await fetch(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'primary/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }) })).status, 503);
  assert.equal(primary.count, 1);

  // Weights flip, the primary leads the route with `right` as its fallback, and the breaker wants five failures.
  await running.gateway.reload(
    validateConfig(raw(primary.url, { targets: [{ model: 'primary/gpt-4o-mini', weight: 1 }, { model: 'left/mock-small', weight: 0 }], fallbacks: ['right/mock-small'] }, { circuit_breaker: { consecutive_failures: 5, open_ms: 600_000 } }), 'reload', {}),
  );
  assert.equal(router.state.config.circuit_breaker.consecutive_failures, 5);
  const served = await ask();
  // The primary's circuit survived the reload: it is skipped, `left` (weight 0 but the only one eligible) serves.
  assert.deepEqual([served.provider, served.attempts], ['left', '1']);
  assert.equal(primary.count, 1);
  const open = (await (await fetch(`${running.url}/health/providers`)).json()) as { targets: { target: string; state: string }[] };
  assert.equal(open.targets.find((target) => target.target === 'primary/gpt-4o-mini')!.state, 'open');

  assert.throws(
    () => validateConfig(raw(primary.url, { targets: [{ model: 'left/mock-small' }], strategy: 'fastest' }, {}), 'bad file', {}),
    (error: Error) => /routes\.main\.strategy/.test(error.message) && /weighted|latency|least-busy/.test(error.message),
  );
  assert.throws(() => validateConfig(raw(primary.url, { targets: [{ model: 'left/mock-small' }] }, { retry: { max_attempts: 0 } }), 'bad file', {}), /routing\.retry\.max_attempts/);
  await assert.rejects(running.gateway.reload(validateConfig(raw(primary.url, { targets: [{ model: 'left/mock-small' }], fallbacks: ['nowhere/model'] }, {}), 'reload', {})), /routes\.main/);
  assert.equal(router.state.config.circuit_breaker.consecutive_failures, 5, 'the refused reload changed nothing');
  assert.equal((await ask()).provider, 'left');
});

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createRoutingModule } from '../../src/routing/routing-module.js';
import { startGateway } from '../helpers/gateway.js';
import { watchLeaks } from './leak-watch.js';
import { sendCompletion, startScriptedUpstream } from './scripted-upstream.js';

test('a long outage in seconds: primary down → every request served by the fallback; primary back → traffic returns after the half-open probe', async () => {
  const clock = { now: 1_000 };
  const primary = await startScriptedUpstream();
  let primaryUp = false;
  primary.fallback = (_request, response) => {
    if (primaryUp) return sendCompletion(response, 'primary answered');
    response.writeHead(503, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: 'Service Unavailable', type: 'server_error' } }));
  };
  const running = await startGateway(
    {
      logging: { level: 'error', requests: false },
      providers: {
        primary: { type: 'openai', base_url: primary.url, keys: [{ id: 'primary-key', value: 'test-key-primary' }], max_retries: 0 },
        backup: { type: 'mock', models: ['mock-small'], mock: { reply: 'backup answered' } },
      },
      routes: { assistant: { targets: [{ model: 'primary/gpt-4o-mini' }], fallbacks: ['backup/mock-small'] } },
      routing: { circuit_breaker: { consecutive_failures: 3, open_ms: 30_000 }, retry: { base_backoff_ms: 1 } },
    },
    { modules: [createRoutingModule({ now: () => clock.now })] },
  );
  after(async () => {
    await running.close();
    await primary.close();
  });
  const leaks = watchLeaks(running);

  async function ask() {
    const response = await fetch(`${running.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'assistant', messages: [{ role: 'user', content: 'status?' }] }),
    });
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    return { status: response.status, provider: response.headers.get('x-tollgate-provider'), attempts: response.headers.get('x-tollgate-attempts'), text: body.choices[0]!.message.content };
  }
  async function primaryState() {
    const health = (await (await fetch(`${running.url}/health/providers`)).json()) as { targets: { target: string; state: string }[] };
    return health.targets.find((target) => target.target === 'primary/gpt-4o-mini')!.state;
  }

  // "48 hours" of outage: 100 requests spread over simulated time.
  const served: string[] = [];
  for (let index = 0; index < 100; index++) {
    const answer = await ask();
    assert.equal(answer.status, 200);
    served.push(answer.provider!);
    clock.now += 10; // well inside the open period, so no probes yet
  }
  assert.ok(served.every((provider) => provider === 'backup'));
  assert.equal(primary.count, 3, 'three failures open the circuit; afterwards the primary is not called');
  assert.equal(await primaryState(), 'open');

  // Still down when the open period ends: the single probe fails and the circuit re-opens.
  clock.now += 30_000;
  assert.equal(await primaryState(), 'half-open');
  assert.equal((await ask()).provider, 'backup');
  assert.equal(primary.count, 4);
  assert.equal(await primaryState(), 'open');

  // The primary recovers; nothing changes until the next probe…
  primaryUp = true;
  assert.equal((await ask()).provider, 'backup');
  assert.equal(primary.count, 4);
  // …which succeeds and closes the circuit; traffic is back on the primary.
  clock.now += 30_000;
  const probe = await ask();
  assert.equal(probe.provider, 'primary');
  assert.equal(probe.attempts, '1');
  assert.equal(await primaryState(), 'closed');
  for (let index = 0; index < 20; index++) assert.equal((await ask()).provider, 'primary');
  assert.equal(primary.count, 25);
  // 125 requests later: no timer, session or in-flight count left, at most the primary's keep-alive socket.
  await leaks.settled({ idleSockets: 1 });
});

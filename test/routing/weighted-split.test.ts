import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResilientRouter } from '../../src/routing/resilient-router.js';
import { createRoutingModule } from '../../src/routing/routing-module.js';
import { startGateway } from '../helpers/gateway.js';
import { seededRandom } from './router-fixtures.js';

test('a configured 70/30 route splits 1,000 requests over HTTP within 4 points, and 100/0 when one side is down', async () => {
  const running = await startGateway(
    {
      logging: { level: 'error', requests: false },
      providers: {
        seventy: { type: 'mock', models: ['mock-small'] },
        thirty: { type: 'mock', models: ['mock-small'] },
      },
      routes: { split: { targets: [{ model: 'seventy/mock-small', weight: 70 }, { model: 'thirty/mock-small', weight: 30 }] } },
    },
    // A seeded choice, so the test is deterministic; the weights still come from the config file's route.
    { modules: [createRoutingModule({ random: seededRandom(2024) })] },
  );
  try {
    const served = async (count: number) => {
      const counts: Record<string, number> = {};
      for (let index = 0; index < count; index++) {
        const response = await fetch(`${running.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'split', messages: [{ role: 'user', content: 'hi' }] }),
        });
        await response.arrayBuffer();
        assert.equal(response.status, 200);
        const provider = response.headers.get('x-tollgate-provider')!;
        counts[provider] = (counts[provider] ?? 0) + 1;
      }
      return counts;
    };
    const counts = await served(1_000);
    assert.ok(Math.abs(counts.seventy! / 1_000 - 0.7) < 0.04, JSON.stringify(counts));
    assert.ok(Math.abs(counts.thirty! / 1_000 - 0.3) < 0.04, JSON.stringify(counts));

    // The 30 side's circuit opens: its share goes to the 70 side, nothing is lost.
    const router = running.gateway.pipeline.parts.router as ResilientRouter;
    const thirty = [...router.health.allTargets()].find((target) => target.ref === 'thirty/mock-small')!;
    thirty.breaker.trip(Number.MAX_SAFE_INTEGER, 'test: down');
    assert.deepEqual(await served(50), { seventy: 50 });
  } finally {
    await running.close();
  }
});

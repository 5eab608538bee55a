import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { startGateway } from '../helpers/gateway.js';
import { metricValue, parseMetrics } from './admin-client.js';

test('metric labels keep their first max_label_values values and fold the rest into `other`', async () => {
  const running = await startGateway({
    providers: {
      p1: { type: 'mock', models: ['m'] },
      p2: { type: 'mock', models: ['m'] },
      p3: { type: 'mock', models: ['m'] },
    },
    virtual_keys: ['k1', 'k2', 'k3', 'k4'].map((id) => ({ id, value: `vk-test-${id}`, models: ['*'] })),
    observability: { max_label_values: 2 },
  });
  try {
    const ask = (key: string, provider: string) =>
      new OpenAI({ baseURL: `${running.url}/v1`, apiKey: `vk-test-${key}`, maxRetries: 0 }).chat.completions.create({ model: `${provider}/m`, messages: [{ role: 'user', content: 'count me' }] });
    let k3Tokens = 0;
    let k4Tokens = 0;
    await ask('k1', 'p1');
    await ask('k2', 'p2');
    k3Tokens += (await ask('k3', 'p3')).usage!.prompt_tokens;
    k4Tokens += (await ask('k4', 'p3')).usage!.prompt_tokens;
    const text = await (await fetch(`${running.url}/metrics`)).text();
    const series = parseMetrics(text);
    assert.equal(metricValue(series, 'tollgate_requests_total', { provider: 'p1' }), 1);
    assert.equal(metricValue(series, 'tollgate_requests_total', { provider: 'p2' }), 1);
    assert.equal(metricValue(series, 'tollgate_requests_total', { provider: 'other' }), 2);
    assert.equal(metricValue(series, 'tollgate_tokens_total', { type: 'input', virtual_key_id: 'other' }), k3Tokens + k4Tokens);
    for (const folded of ['provider="p3"', 'virtual_key_id="k3"', 'virtual_key_id="k4"']) assert.ok(!text.includes(folded), `${folded} should be folded into other`);
  } finally {
    await running.close();
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { REDIS_URL } from '../governance/redis.js';
import type { RunningGateway } from '../helpers/gateway.js';
import { observedWithin, replicaConfig, sharedState, startReplicas } from './replicas.js';

/**
 * What replicas share besides entities and the ledger (docs/operations.md): a response stored
 * through one replica is read and continued through another, and an answer cached through one is a
 * hit on another, both on the shared PostgreSQL storage and Redis.
 */

const KEY = { id: 'shared', value: 'vk-test-' + 'shared-state', models: ['*'] };

test('a stored response and a cached answer made on one replica are served by another', async () => {
  const shared = await sharedState();
  const replicas: RunningGateway[] = await startReplicas(
    2,
    replicaConfig(shared, {
      virtual_keys: [KEY],
      cache: { enabled: true, mode: 'exact', store: { type: 'redis', url: REDIS_URL, key_prefix: `${shared.keyPrefix}cache:` } },
    }),
  );
  try {
    const [a, b] = replicas.map((replica) => new OpenAI({ baseURL: `${replica.url}/v1`, apiKey: KEY.value, maxRetries: 0 })) as [OpenAI, OpenAI];

    // Stored responses: created on A, read and continued on B.
    const first = await a.responses.create({ model: 'mock/mock-small', input: 'Remember the word "teal".' });
    const read = await b.responses.retrieve(first.id);
    assert.equal(read.id, first.id);
    assert.equal(read.output_text, first.output_text);
    const next = await b.responses.create({ model: 'mock/mock-small', input: 'Which word?', previous_response_id: first.id });
    assert.equal(next.previous_response_id, first.id);

    // The exact cache layer on Redis: a miss on A is a hit on B.
    const body = { model: 'mock/mock-small', max_tokens: 8, messages: [{ role: 'user' as const, content: 'cache me across replicas' }] };
    const miss = await a.chat.completions.create(body).withResponse();
    assert.equal(miss.response.headers.get('x-tollgate-cache'), 'miss');
    let hit: Awaited<ReturnType<typeof miss.data.choices.at>> | undefined;
    const ms = await observedWithin(performance.now(), async () => {
      const answer = await b.chat.completions.create(body).withResponse();
      if (answer.response.headers.get('x-tollgate-cache') !== 'hit-exact') return false;
      assert.equal(answer.response.headers.get('x-tollgate-cost'), '0');
      hit = answer.data.choices[0];
      return true;
    });
    assert.ok(ms !== undefined, 'the answer cached on A is a hit on B within a second');
    assert.equal(hit?.message.content, miss.data.choices[0]!.message.content);
  } finally {
    await Promise.all(replicas.map((replica) => replica.close()));
    await shared.drop();
  }
});

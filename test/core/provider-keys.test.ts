import assert from 'node:assert/strict';
import { test } from 'node:test';
import { routingSchema } from '../../src/config/routing-schema.js';
import { compileModelPatterns } from '../../src/lib/model-patterns.js';
import { pickKey, canServe, type ProviderInstance } from '../../src/providers/instance.js';
import { mockAdapter } from '../../src/providers/mock/mock-adapter.js';
import type { ProviderKey } from '../../src/providers/provider.js';
import { HealthRegistry } from '../../src/routing/health-registry.js';
import { chooseKey } from '../../src/routing/key-choice.js';
import { targetOf } from '../../src/pipeline/target.js';
import { seededRandom } from '../routing/router-fixtures.js';

function key(id: string, weight: number, models?: string[]): ProviderKey {
  return { id, value: `test-key-${id}`, weight, models: models === undefined ? undefined : compileModelPatterns(models) };
}

function instance(keys: ProviderKey[], requiresKey = true): ProviderInstance {
  return {
    name: 'upstream',
    adapter: { ...mockAdapter, requiresKey },
    settings: { name: 'upstream', type: 'mock', baseUrl: 'mock://local', headers: {}, options: mockAdapter.optionsSchema.parse({}) },
    keys,
    models: undefined,
    maxRetries: 0,
    timeoutMs: 1000,
  };
}

function tally(choose: () => ProviderKey | undefined | null, draws: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let index = 0; index < draws; index++) {
    const chosen = choose();
    const name = chosen === null ? 'keyless' : chosen === undefined ? 'none' : chosen.id;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

const keys = [key('big', 3), key('small', 1), key('mini-only', 4, ['mini'])];

test('keys are chosen at random in proportion to their weight, among the keys allowed for the model', () => {
  const provider = instance(keys);
  const health = new HealthRegistry(routingSchema.parse({}));
  for (const choose of [
    (model: string, random: () => number) => chooseKey(targetOf(provider, model), health, 0, random, undefined),
    (model: string, random: () => number) => pickKey(provider, model, random),
  ]) {
    const random = seededRandom(7);
    const large = tally(() => choose('large', random), 8000);
    assert.deepEqual(Object.keys(large).sort(), ['big', 'small'], 'a key limited to other models is never used');
    assert.ok(Math.abs(large.big! / 8000 - 0.75) < 0.03, JSON.stringify(large));
    const mini = tally(() => choose('mini', random), 8000);
    assert.ok(Math.abs(mini['mini-only']! / 8000 - 0.5) < 0.03, JSON.stringify(mini));
    assert.ok(Math.abs(mini.big! / 8000 - 0.375) < 0.03, JSON.stringify(mini));
  }
});

test('a model no key may serve has no key; a keyless provider needs none', () => {
  const limited = instance([key('a', 1, ['only-this']), key('b', 2, ['only-that'])]);
  assert.equal(pickKey(limited, 'other'), undefined);
  assert.equal(canServe(limited, 'other'), false);
  assert.equal(canServe(limited, 'only-that'), true);
  assert.equal(chooseKey(targetOf(limited, 'other'), new HealthRegistry(routingSchema.parse({})), 0, Math.random, undefined), undefined);
  const keyless = instance([], false);
  assert.equal(canServe(keyless, 'anything'), true);
  assert.equal(chooseKey(targetOf(keyless, 'anything'), new HealthRegistry(routingSchema.parse({})), 0, Math.random, undefined), null);
  assert.equal(canServe(instance([]), 'anything'), false, 'a provider that needs a key cannot serve without one');
});

test('a key\'s models may be wildcards: `*` serves every model, `prefix*` every model starting with prefix', () => {
  const provider = instance([key('all', 1, ['*']), key('mini', 1, ['gpt-4o-mini*', 'o1'])]);
  const health = new HealthRegistry(routingSchema.parse({}));
  assert.equal(canServe(provider, 'echo'), true);
  const random = seededRandom(3);
  const echo = tally(() => chooseKey(targetOf(provider, 'echo'), health, 0, random, undefined), 200);
  assert.deepEqual(Object.keys(echo), ['all'], 'only the `*` key serves a model the prefix does not cover');
  const mini = tally(() => pickKey(provider, 'gpt-4o-mini-2024-07-18', random), 400);
  assert.deepEqual(Object.keys(mini).sort(), ['all', 'mini']);
  const limited = instance([key('mini', 1, ['gpt-4o-mini*'])]);
  assert.equal(canServe(limited, 'gpt-4o-mini'), true, 'the prefix itself matches');
  assert.equal(canServe(limited, 'gpt-4o'), false);
  assert.equal(canServe(instance([key('literal', 1, ['gpt-*-mini'])]), 'gpt-4-mini'), false, 'a `*` before the end is an ordinary character');
});

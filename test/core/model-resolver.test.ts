import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConfigIssue } from '../../src/config/config-error.js';
import { validateConfig } from '../../src/config/load.js';
import { buildProviderInstances } from '../../src/providers/build-instances.js';
import { createAdapterRegistry } from '../../src/providers/registry.js';
import { ModelResolver } from '../../src/routing/model-resolver.js';
import { GatewayError } from '../../src/spec/index.js';

function resolverFor(raw: Record<string, unknown>): ModelResolver {
  const config = validateConfig(raw, 'test', {});
  const issues: ConfigIssue[] = [];
  const providers = buildProviderInstances(config.providers, createAdapterRegistry(), issues);
  const resolver = new ModelResolver({ providers, aliases: config.aliases, routes: config.routes }, issues);
  assert.deepEqual(issues, []);
  return resolver;
}

const base = {
  providers: {
    alpha: { type: 'mock', models: ['shared', 'only-alpha'] },
    beta: { type: 'mock', models: ['shared'] },
    open: { type: 'mock' },
  },
};

test('provider/model splits on the first slash and targets that provider', () => {
  const plan = resolverFor(base).resolve('open/vendor/model-x');
  assert.deepEqual(plan.groups.map((group) => group.targets.map((target) => target.ref)), [['open/vendor/model-x']]);
  assert.equal(plan.groups[0]!.targets[0]!.model, 'vendor/model-x');
});

test('a bare model resolves to every provider that lists it', () => {
  const plan = resolverFor(base).resolve('shared');
  assert.deepEqual(plan.groups[0]!.targets.map((target) => target.ref).sort(), ['alpha/shared', 'beta/shared']);
});

test('unknown models are refused with model_not_found naming what is configured', () => {
  const resolver = resolverFor(base);
  for (const model of ['nope', 'alpha/not-listed', 'missing-provider/x']) {
    assert.throws(
      () => resolver.resolve(model),
      (error: unknown) => GatewayError.is(error) && error.code === 'model_not_found' && error.status === 404 && error.message.includes('only-alpha'),
      model,
    );
  }
});

test('routes expand to weighted targets followed by fallback groups, and body fallbacks come last', () => {
  const resolver = resolverFor({
    ...base,
    aliases: { quick: 'alpha/only-alpha' },
    routes: { main: { targets: [{ model: 'alpha/shared', weight: 70 }, { model: 'beta/shared', weight: 30 }], fallbacks: ['quick'] } },
  });
  const plan = resolver.resolve('main', ['open/last-resort']);
  assert.equal(plan.route, 'main');
  assert.deepEqual(
    plan.groups.map((group) => group.targets.map((target) => `${target.ref}:${target.weight}`)),
    [['alpha/shared:70', 'beta/shared:30'], ['alpha/only-alpha:1'], ['open/last-resort:1']],
  );
  assert.ok(resolver.models().includes('main') && resolver.models().includes('quick') && resolver.models().includes('alpha/only-alpha'));
});

test('route cycles are configuration errors', () => {
  const config = validateConfig({ ...base, routes: { a: { targets: [{ model: 'b' }] }, b: { targets: [{ model: 'a' }] } } }, 'test', {});
  const issues: ConfigIssue[] = [];
  const providers = buildProviderInstances(config.providers, createAdapterRegistry(), issues);
  new ModelResolver({ providers, aliases: config.aliases, routes: config.routes }, issues);
  assert.ok(issues.some((issue) => /cycle/.test(issue.message)), JSON.stringify(issues));
});

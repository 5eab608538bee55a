import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import { validateConfig } from '../../src/config/load.js';

const providers = { mock: { type: 'mock', models: ['mock-small'] } };

function issuesOf(raw: Record<string, unknown>): string[] {
  try {
    validateConfig({ providers, ...raw }, 'test');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  return [];
}

test('references between customers, teams and keys are checked with their paths', () => {
  const issues = issuesOf({
    customers: [{ id: 'acme' }],
    teams: [{ id: 'a', customer: 'acme' }, { id: 'b', customer: 'globex' }],
    virtual_keys: [
      { id: 'k1', value: 'vk-1', team: 'nope' },
      { id: 'k2', value: 'vk-1', team: 'a', customer: 'acme' },
      { id: 'k3', value: 'vk-3', providers: ['mock', { name: 'ghost' }] },
      { id: 'k1', value: 'vk-4', customer: 'initech' },
    ],
  });
  assert.deepEqual(issues.sort(), [
    'teams[1].customer: unknown customer "globex"',
    'virtual_keys[0].team: unknown team "nope"',
    'virtual_keys[1]: a virtual key belongs to a team or a customer, not both',
    'virtual_keys[1].value: two virtual keys have the same value',
    'virtual_keys[2].providers[1]: unknown provider "ghost"',
    'virtual_keys[3].customer: unknown customer "initech"',
    'virtual_keys[3].id: duplicate virtual key id "k1"',
  ].sort());
});

test('periods, budgets and limits are validated', () => {
  const issues = issuesOf({
    virtual_keys: [{ id: 'k', value: 'vk', budgets: [{ max_usd: 5, period: '2M' }], rate_limits: { requests: { max: 10, period: 'hour' } } }],
    providers: { mock: { type: 'mock', budgets: [{ max_usd: -1 }] } },
  });
  assert.ok(issues.some((issue) => issue.startsWith('virtual_keys[0].budgets[0].period: expected a period')));
  assert.ok(issues.some((issue) => issue.startsWith('virtual_keys[0].rate_limits.requests.period')));
  assert.ok(issues.some((issue) => issue.startsWith('providers.mock.budgets[0].max_usd')));
});

test('a valid hierarchy parses with defaults', () => {
  const config = validateConfig(
    {
      providers: { ...providers, other: { type: 'mock', rate_limits: { tokens: { max: 1000, period: '1m' } } } },
      customers: [{ id: 'acme', budgets: [{ max_usd: 1000, period: '1M' }, { max_usd: 50, period: '1d' }] }],
      teams: [{ id: 'research', customer: 'acme' }],
      virtual_keys: [{ id: 'k', value: 'vk-test', team: 'research', models: ['*'], providers: ['mock', { name: 'other', weight: 2 }], metadata: { billing_code: 17 } }],
    },
    'test',
  );
  assert.equal(config.virtual_keys[0]!.active, true);
  assert.deepEqual(config.virtual_keys[0]!.metadata, { billing_code: '17' });
  assert.deepEqual(config.virtual_keys[0]!.providers![0], { name: 'mock', weight: 1, models: undefined, budgets: [], rate_limits: undefined });
  assert.equal(config.customers[0]!.budgets[1]!.rolling, false);
  assert.equal(config.governance.alerts.thresholds.length, 3);
});

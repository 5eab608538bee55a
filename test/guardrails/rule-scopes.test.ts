import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { compileRules } from '../../src/guardrails/compile-rules.js';
import { RuleScopes } from '../../src/guardrails/rule-scopes.js';

test('scope: top-level rules for everyone, plus the customer\'s, the team\'s and the key\'s own; unapplied rules never run', async () => {
  const config = validateConfig(
    {
      providers: {},
      guardrails: {
        rules: ['everyone', 'acme', 'research', 'notebook', 'orphan'].map((name) => ({ name, detector: 'keywords', words: [name] })),
        apply: ['everyone'],
      },
      customers: [{ id: 'acme', guardrails: { apply: ['acme'] } }],
      teams: [{ id: 'research', customer: 'acme', guardrails: { apply: ['research'] } }, { id: 'ops' }],
      virtual_keys: [
        { id: 'notebook', value: 'v1', team: 'research', guardrails: { apply: ['notebook', 'everyone'] } },
        { id: 'direct', value: 'v2', customer: 'acme' },
        { id: 'ops-key', value: 'v3', team: 'ops' },
      ],
    },
    'test',
  );
  const scopes = new RuleScopes(await compileRules(config, 'test'), config);
  const names = (principal: Parameters<RuleScopes['of']>[0]) => scopes.of(principal).inputLocal.map((rule) => rule.name);
  assert.deepEqual(names({ keyId: 'notebook', teamId: 'research', customerId: 'acme' }), ['everyone', 'acme', 'research', 'notebook']);
  assert.deepEqual(names({ keyId: 'direct', customerId: 'acme' }), ['everyone', 'acme']);
  assert.deepEqual(names({ keyId: 'ops-key', teamId: 'ops' }), ['everyone']);
  assert.deepEqual(names(undefined), ['everyone']);
  // A key moved to another team (admin API) gets that team's rules with its next request.
  assert.deepEqual(names({ keyId: 'notebook', teamId: 'ops' }), ['everyone', 'notebook']);
  // The same scope gets the same prebuilt set.
  assert.equal(scopes.of({ keyId: 'direct', customerId: 'acme' }), scopes.of({ keyId: 'direct', customerId: 'acme' }));
});

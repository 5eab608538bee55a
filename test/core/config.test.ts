import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import { parseConfigText, validateConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/server/gateway.js';

function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
  assert.fail('expected the config to be rejected');
}

test('an unset environment variable is reported at its path without leaking other values', () => {
  const issues = issuesOf(() => validateConfig({ providers: { openai: { type: 'openai', keys: [{ value: '${TOLLGATE_TEST_UNSET_KEY}' }] } } }, 'x.yaml', {}));
  assert.deepEqual(issues, ['providers.openai.keys[0].value: environment variable TOLLGATE_TEST_UNSET_KEY is not set']);
});

test('${VAR} and ${VAR:-default} expand inside strings', () => {
  const config = validateConfig({ providers: { local: { type: 'openai-compatible', base_url: 'http://${HOST_VAR}:${PORT_VAR:-9000}/v1' } } }, 'x', { HOST_VAR: '10.0.0.1' });
  assert.equal(config.providers.local!.base_url, 'http://10.0.0.1:9000/v1');
});

test('unknown keys and wrong types name the path and the fix', () => {
  const issues = issuesOf(() => validateConfig({ providers: { mock: { type: 'mock', modles: ['a'] } }, server: { port: 'eighty' } }, 'x', {}));
  assert.ok(issues.some((issue) => issue.startsWith('providers.mock: unknown key `modles`')), issues.join('\n'));
  assert.ok(issues.some((issue) => issue.startsWith('server.port:')), issues.join('\n'));
});

test('YAML syntax errors give the line', () => {
  const issues = issuesOf(() => parseConfigText('providers:\n  mock:\n    type: mock\n   bad: [', 'broken.yaml', {}));
  assert.match(issues[0]!, /line \d+/);
});

test('an unknown provider type, a keyless provider that needs a key and a dangling route fail at start-up', async () => {
  const config = validateConfig(
    {
      storage: { type: 'memory' },
      providers: { weird: { type: 'not-a-provider' }, mock: { type: 'mock', models: ['m'] } },
      routes: { main: { targets: [{ model: 'mock/other' }] } },
    },
    'x',
    {},
  );
  await assert.rejects(createGateway(config, { modules: [] }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    const text = error.message;
    assert.match(text, /providers\.weird\.type: unknown provider type `not-a-provider`/);
    assert.match(text, /routes\.main: .*`mock\/other`/);
    return true;
  });
});

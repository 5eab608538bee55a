import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfigFile, parseConfigText, validateConfig } from '../../src/config/load.js';
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

test('schema problems name the bad value and the fix', () => {
  const issues = issuesWithFixes(() =>
    validateConfig(
      {
        server: { port: 'eighty', max_body_bytes: 0 },
        storage: { type: 'mysql' },
        providers: { 'bad name!': { type: 'mock' }, local: { type: 'vllm', base_url: 'localhost:8000', timeout_ms: 1.5 } },
        routes: { main: { targets: [{ weight: 1 }] } },
      },
      'x',
      {},
    ),
  );
  assert.deepEqual(issues.sort(), [
    'providers.bad name!: "bad name!" is not a valid name: provider names may use letters, digits, `_`, `.` and `-`. Fix: rename it',
    'providers.local.base_url: must be an absolute http(s) URL, e.g. http://127.0.0.1:8000/v1, got "localhost:8000"',
    'providers.local.timeout_ms: expected a whole number, got 1.5. Fix: give providers.local.timeout_ms a whole number',
    'routes.main.targets[0].model: is required. Fix: give routes.main.targets[0].model a string',
    'server.max_body_bytes: must be greater than 0, got 0',
    'server.port: expected a number, got "eighty". Fix: give server.port a number',
    'storage.type: "mysql" is not allowed here. Fix: use one of: sqlite, postgres, memory',
  ]);
});

test('a bad value that may be a secret, or came from the environment, is described but never shown', () => {
  const issues = issuesWithFixes(() =>
    validateConfig(
      {
        admin: { token: 'short-secret' },
        server: { port: '${TOLLGATE_TEST_PORT}' },
        providers: {
          openai: { type: 'openai', keys: [{ value: 123456789 }], headers: { 'x-secret-header': 987654321 } },
          proxy: { type: 'openai-compatible', base_url: 'proxyuser:proxy-password-77@proxy.internal:3128/v1' },
        },
      },
      'x',
      { TOLLGATE_TEST_PORT: 'port-from-env-4242' },
    ),
  );
  const text = issues.join('\n');
  for (const secret of ['short-secret', 'port-from-env-4242', '123456789', '987654321', 'proxy-password-77', 'proxyuser']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
  assert.ok(issues.some((issue) => issue.includes('got "…@proxy.internal:3128/v1"')), text);
  assert.ok(issues.includes('providers.openai.keys[0].value: expected a string, got a number (not shown). Fix: give providers.openai.keys[0].value a string'), text);
  assert.ok(issues.includes('server.port: expected a number, got a string (not shown). Fix: give server.port a number'), text);
  assert.ok(issues.some((issue) => issue.startsWith('admin.token: use at least 16 characters')), text);
});

function issuesWithFixes(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error.issues.map((issue) => `${issue.path}: ${issue.message}${issue.fix ? `. Fix: ${issue.fix}` : ''}`);
  }
  assert.fail('expected the config to be rejected');
}

test('a default may itself be a reference: ${KEY_2:-${KEY}} (as tollgate.example.yaml writes it)', () => {
  const raw = { providers: { openai: { type: 'openai', keys: [{ value: '${TEST_KEY_2:-${TEST_KEY}}' }, { value: '${TEST_UNSET:-${TEST_ALSO_UNSET:-plain}}' }] } } };
  const config = validateConfig(raw, 'x', { TEST_KEY: 'sk-first' });
  assert.deepEqual(config.providers.openai!.keys.map((key) => key.value), ['sk-first', 'plain']);
  assert.equal(validateConfig(raw, 'x', { TEST_KEY: 'sk-first', TEST_KEY_2: 'sk-second' }).providers.openai!.keys[0]!.value, 'sk-second');
  assert.deepEqual(
    issuesOf(() => validateConfig(raw, 'x', {})),
    ['providers.openai.keys[0].value: environment variable TEST_KEY is not set'],
  );
  // Text that only looks like a reference stays as written; environment values are not expanded again.
  const literal = validateConfig({ providers: { m: { type: 'mock', headers: { a: 'price ${ open', b: '${not a reference}', c: '${TEST_INDIRECT}' } } } }, 'x', { TEST_INDIRECT: '${TEST_KEY}' });
  assert.deepEqual(literal.providers.m!.headers, { a: 'price ${ open', b: '${not a reference}', c: '${TEST_KEY}' });
});

test('a JSON config file loads like YAML, and a missing file names the fix', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-json-config-'));
  const file = join(dir, 'tollgate.json');
  await writeFile(file, JSON.stringify({ server: { port: 9090 }, providers: { local: { type: 'openai-compatible', base_url: 'http://127.0.0.1:8000/v1', keys: [{ value: '${TEST_JSON_KEY}', weight: 2, models: ['m'] }], models: ['m'] } } }));
  const config = await loadConfigFile(file, { TEST_JSON_KEY: 'secret-from-env' });
  assert.equal(config.server.port, 9090);
  assert.equal(config.server.max_body_bytes, 10 * 1024 * 1024, 'bodies up to 10 MiB by default');
  assert.equal(config.server.host, '127.0.0.1');
  assert.deepEqual(config.providers.local!.keys, [{ value: 'secret-from-env', weight: 2, models: ['m'] }]);
  await assert.rejects(loadConfigFile(join(dir, 'missing.yaml'), {}), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /file not found\. Fix: pass an existing YAML or JSON file with --config/);
    return true;
  });
});

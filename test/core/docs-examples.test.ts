import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { parse } from 'yaml';
import { parseConfigText, validateConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/lib/logger.js';

const ROOT = new URL('../../../', import.meta.url);

/** Every `${VAR}` resolves to a recognisable placeholder, so examples validate without real secrets. */
const environment = new Proxy({} as NodeJS.ProcessEnv, { get: (_target, name) => (typeof name === 'string' ? `doc-example-${name.toLowerCase()}-0123456789` : undefined) });

/** Providers the documentation's snippets refer to without declaring them. */
const DOC_PROVIDERS = {
  openai: { type: 'openai', keys: [{ value: 'doc-key-openai' }] },
  'openai-eu': { type: 'openai', keys: [{ value: 'doc-key-openai-eu' }] },
  'azure-east': { type: 'azure', base_url: 'https://example.openai.azure.com', keys: [{ value: 'doc-key-azure' }] },
  anthropic: { type: 'anthropic', keys: [{ value: 'doc-key-anthropic' }] },
  gemini: { type: 'gemini', keys: [{ value: 'doc-key-gemini' }] },
  together: { type: 'together', keys: [{ value: 'doc-key-together' }] },
  ollama: { type: 'ollama' },
};

async function buildAndClose(raw: Record<string, unknown>, source: string): Promise<void> {
  const config = validateConfig({ ...raw, storage: { type: 'memory' }, server: { port: 0 } }, source, environment);
  const gateway = await createGateway(config, { configSource: source, logger: createLogger({ level: 'silent' }) });
  await gateway.close();
}

test('every YAML example in docs/ is a valid config (with the providers it mentions)', async () => {
  const files = (await readdir(new URL('docs/', ROOT))).filter((name) => name.endsWith('.md'));
  let checked = 0;
  for (const file of files) {
    const text = await readFile(new URL(`docs/${file}`, ROOT), 'utf8');
    for (const [index, match] of [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].entries()) {
      const source = `docs/${file} example ${index + 1}`;
      const block = parse(match[1]!) as Record<string, unknown>;
      const providers: Record<string, unknown> = { ...DOC_PROVIDERS };
      for (const [name, provider] of Object.entries((block.providers ?? {}) as Record<string, object>)) providers[name] = { ...(DOC_PROVIDERS as Record<string, object>)[name], ...provider };
      await assert.doesNotReject(buildAndClose({ ...block, providers }, source), source);
      checked++;
    }
  }
  assert.ok(checked >= 5, `checked ${checked} examples`);
});

test('tollgate.example.yaml and tollgate.demo.yaml are valid', async () => {
  for (const file of ['tollgate.example.yaml', 'tollgate.demo.yaml']) {
    const config = parseConfigText(await readFile(new URL(file, ROOT), 'utf8'), file, environment);
    const gateway = await createGateway({ ...config, storage: { ...config.storage, type: 'memory' }, server: { ...config.server, port: 0 } }, { configSource: file, logger: createLogger({ level: 'silent' }) });
    await gateway.close();
  }
});

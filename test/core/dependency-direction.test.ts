import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, dirname } from 'node:path';
import { test } from 'node:test';

const SRC = resolve(new URL('../../../src', import.meta.url).pathname);

/** For each folder, the folders (or files) of src it may import from. Arrows point one way. */
const ALLOWED: Record<string, string[]> = {
  spec: ['spec'],
  codecs: ['spec', 'codecs'],
  providers: ['spec', 'codecs', 'providers', 'config/provider-schema.ts', 'config/config-error.ts'],
  config: ['config'],
  storage: ['storage'],
  pipeline: ['spec', 'codecs', 'providers', 'pipeline', 'config', 'storage', 'admin/audit-sink.ts', 'server/http-route.ts', 'server/logger.ts'],
};

/** Features may use anything below them, never the surfaces, the server's assembly or the CLI. */
const FEATURE_FORBIDDEN = ['surfaces', 'cli', 'server/gateway.ts', 'server/modules.ts', 'server/http-server.ts'];
const FEATURES = ['routing', 'governance', 'observability', 'pricing', 'admin'];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : Promise.resolve(entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []))));
  return nested.flat();
}

function matches(target: string, rule: string): boolean {
  return rule.endsWith('.ts') ? target === rule : target === rule || target.startsWith(`${rule}/`);
}

test('imports between src folders point one way', async () => {
  const violations: string[] = [];
  for (const file of await sourceFiles(SRC)) {
    const from = relative(SRC, file);
    const folder = from.split('/')[0]!;
    const text = await readFile(file, 'utf8');
    for (const match of text.matchAll(/(?:import|export)[^'"]*from\s+'(\.[^']+)'/g)) {
      const target = relative(SRC, resolve(dirname(file), match[1]!)).replace(/\.js$/, '.ts');
      if (target.startsWith('cli/') && folder !== 'cli') violations.push(`${from} → ${target}`);
      const allowed = ALLOWED[folder];
      if (allowed !== undefined && !allowed.some((rule) => matches(target, rule))) violations.push(`${from} → ${target}`);
      if (FEATURES.includes(folder) && FEATURE_FORBIDDEN.some((rule) => matches(target, rule))) violations.push(`${from} → ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, dirname } from 'node:path';
import { test } from 'node:test';

const SRC = resolve(new URL('../../../src', import.meta.url).pathname);

/** Folders every layer below the features may build on. */
const FOUNDATION = ['spec', 'lib'];
/** What a feature may use: the pipeline's interfaces and everything below them. Never another feature. */
const BELOW_FEATURES = [...FOUNDATION, 'codecs', 'config', 'storage', 'http', 'providers', 'pricing', 'tokenizers', 'pipeline'];

/**
 * For every folder of src, the folders it may import from (static and dynamic imports alike).
 * Arrows point one way: cli → server → surfaces → features → pipeline → providers → codecs → spec.
 * A folder missing from this table fails the test, so a new folder must say where it sits.
 */
const ALLOWED: Record<string, readonly string[]> = {
  spec: ['spec'],
  lib: ['lib'],
  codecs: ['codecs', 'spec'],
  config: ['config'],
  storage: ['storage'],
  http: ['http', ...FOUNDATION],
  pricing: ['pricing', ...FOUNDATION],
  // Local tokenizers, for token counts no provider answers.
  tokenizers: ['tokenizers', ...FOUNDATION],
  providers: ['providers', 'codecs', 'config', ...FOUNDATION],
  pipeline: ['pipeline', 'providers', 'codecs', 'config', 'storage', 'http', 'tokenizers', ...FOUNDATION],
  // Admin is the admin API's token guard: features mount their admin routes behind it.
  admin: ['admin', ...BELOW_FEATURES],
  routing: ['routing', 'admin', ...BELOW_FEATURES],
  governance: ['governance', 'admin', ...BELOW_FEATURES],
  observability: ['observability', 'admin', ...BELOW_FEATURES],
  'responses-store': ['responses-store', ...BELOW_FEATURES],
  cache: ['cache', 'admin', ...BELOW_FEATURES],
  guardrails: ['guardrails', 'admin', ...BELOW_FEATURES],
  mcp: ['mcp', 'admin', ...BELOW_FEATURES],
  // The Files and Batch APIs: their records, the gateway's own file store and the batch runner.
  batches: ['batches', ...BELOW_FEATURES],
  surfaces: ['surfaces', ...BELOW_FEATURES],
  // The web console's static files and login sessions, beside the admin API it talks to.
  console: ['console', 'admin', ...BELOW_FEATURES],
  server: ['server', 'console', 'surfaces', 'routing', 'governance', 'observability', 'responses-store', 'cache', 'guardrails', 'mcp', 'batches', 'admin', ...BELOW_FEATURES],
  cli: ['cli', 'server', 'console', 'surfaces', 'routing', 'governance', 'observability', 'responses-store', 'cache', 'guardrails', 'mcp', 'batches', 'admin', ...BELOW_FEATURES],
};

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : Promise.resolve(entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []))));
  return nested.flat();
}

/** Relative specifiers of a file's static imports and re-exports, and of its dynamic `import()`s. */
function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g)) found.push(match[1]!);
  for (const match of text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)) found.push(match[1]!);
  return found;
}

test('every src folder is in the table of allowed imports', async () => {
  const folders = (await readdir(SRC, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  assert.deepEqual(folders.filter((folder) => ALLOWED[folder] === undefined), []);
});

test('imports between src folders point one way', async () => {
  const violations: string[] = [];
  for (const file of await sourceFiles(SRC)) {
    const from = relative(SRC, file);
    const folder = from.split('/')[0]!;
    const allowed = ALLOWED[folder] ?? [];
    for (const specifier of importsOf(await readFile(file, 'utf8'))) {
      const target = relative(SRC, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts');
      if (!allowed.includes(target.split('/')[0]!)) violations.push(`${from} → ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the import scanner sees static, re-exported and dynamic imports', () => {
  const text = "import { a } from './a.js';\nexport { b } from '../b.js';\nimport type {\n  C,\n} from './c.js';\nconst d = await import('./d.js');";
  assert.deepEqual(importsOf(text), ['./a.js', '../b.js', './c.js', './d.js']);
});

test('nothing in src turns on async hooks (on Node 20 an AsyncLocalStorage makes every promise of every request pay a hook)', async () => {
  const offenders: string[] = [];
  for (const file of await sourceFiles(SRC)) {
    if (/from\s+'(node:)?async_hooks'|import\(\s*'(node:)?async_hooks'\s*\)/.test(await readFile(file, 'utf8'))) offenders.push(relative(SRC, file));
  }
  assert.deepEqual(offenders, []);
});

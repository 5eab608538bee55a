import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import type { z } from 'zod';
import { configSchema } from '../../src/config/schema.js';
import { builtInAdapters } from '../../src/providers/registry.js';

const DOCS = new URL('../../../docs/', import.meta.url);

/** Every key path of the config schema, e.g. `providers.<name>.keys[].weight`. */
function keyPaths(schema: z.core.$ZodType, path: string, into: string[]): string[] {
  const definition = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (definition.type) {
    case 'default':
    case 'optional':
    case 'nullable':
    case 'prefault':
      return keyPaths(definition.innerType as z.core.$ZodType, path, into);
    case 'pipe':
      return keyPaths(definition.in as z.core.$ZodType, path, into);
    case 'object':
      for (const [key, value] of Object.entries(definition.shape as Record<string, z.core.$ZodType>)) {
        const child = path === '' ? key : `${path}.${key}`;
        into.push(child);
        keyPaths(value, child, into);
      }
      return into;
    case 'record':
      return keyPaths(definition.valueType as z.core.$ZodType, `${path}.<name>`, into);
    case 'array':
      return keyPaths(definition.element as z.core.$ZodType, `${path}[]`, into);
    case 'union':
      for (const option of definition.options as z.core.$ZodType[]) keyPaths(option, path, into);
      return into;
    default:
      return into;
  }
}

test('every config key is documented: named in docs/configuration.md or the page its section links to', async () => {
  const pages = new Map<string, string>();
  for (const file of (await readdir(DOCS)).filter((name) => name.endsWith('.md'))) pages.set(file, await readFile(new URL(file, DOCS), 'utf8'));
  const configuration = pages.get('configuration.md')!;
  const paths = [...new Set(keyPaths(configSchema, '', []))];
  assert.ok(paths.length > 100, `walked ${paths.length} keys`);
  const undocumented = paths.filter((path) => {
    const key = path.split('.').at(-1)!.replace(/\[\]$/, '');
    if (key === '<name>') return false;
    const section = path.split('.')[0]!.replace(/\[\]$/, '');
    // The section's own page, as linked from its heading's paragraph in configuration.md.
    const sectionText = new RegExp(`## \`[^\\n]*\\b${section}\\b[^\\n]*\`[\\s\\S]*?(?=\\n## |$)`).exec(configuration)?.[0] ?? '';
    const linked = [...sectionText.matchAll(/\]\(([a-z-]+\.md)/g)].map((match) => pages.get(match[1]!) ?? '');
    // Named in an inline code span (`keys[]`, `{max, period}`) or written as YAML (`max: 10`).
    const named = new RegExp(`\`[^\`\\n]*\\b${key}\\b[^\`\\n]*\`|\\b${key}:`);
    return ![configuration, ...linked].some((text) => named.test(text));
  });
  assert.deepEqual(undocumented, [], 'config keys no doc names');
});

test('every option of every provider type has its row in docs/providers.md, and the table lists no other', async () => {
  const providers = await readFile(new URL('providers.md', DOCS), 'utf8');
  const table = /## Options[\s\S]*?(?=\n## )/.exec(providers)?.[0] ?? '';
  const documented = [...table.matchAll(/^\| `([a-z0-9-]+)` \| `([a-z_]+)` \|/gm)].map((match) => `${match[1]}.${match[2]}`).sort();
  const declared = [...new Set(builtInAdapters.flatMap((adapter) => keyPaths(adapter.optionsSchema as z.core.$ZodType, adapter.type, [])))].sort();
  assert.ok(declared.includes('azure.api_version') && declared.includes('mock.latency_ms'), declared.join(', '));
  assert.deepEqual(documented, declared);
});

test('docs/configuration.md has a complete example naming every top-level section', async () => {
  const configuration = await readFile(new URL('configuration.md', DOCS), 'utf8');
  const example = /## Complete example[\s\S]*?```yaml\n([\s\S]*?)```/.exec(configuration);
  assert.ok(example, 'a "Complete example" section with a YAML block');
  const sections = Object.keys((configSchema._zod.def as unknown as { shape: object }).shape);
  assert.ok(sections.includes('providers') && sections.includes('observability'), sections.join(', '));
  for (const section of sections) assert.match(example[1]!, new RegExp(`^${section}:`, 'm'), section);
});

test('docs/dependencies.md explains every runtime dependency of package.json, and only those', async () => {
  const manifest = JSON.parse(await readFile(new URL('../package.json', DOCS), 'utf8')) as { dependencies: Record<string, string> };
  const text = await readFile(new URL('dependencies.md', DOCS), 'utf8');
  const rows = new Map([...text.matchAll(/^\|\s*`([^`]+)`\s*\|\s*(.*?)\s*\|\s*$/gm)].map((match) => [match[1]!, match[2]!]));
  for (const name of Object.keys(manifest.dependencies)) assert.ok((rows.get(name)?.length ?? 0) > 20, `docs/dependencies.md says why \`${name}\` is needed`);
  assert.deepEqual([...rows.keys()].filter((name) => !(name in manifest.dependencies)), [], 'rows for packages that are not runtime dependencies');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { schemaToType } from '../../src/mcp/code-mode/schema-to-typescript.js';
import { groupByServer, listFiles, serverFile, serverOfFile, toolDocs } from '../../src/mcp/code-mode/tool-files.js';

test('JSON Schema becomes a TypeScript type: required and optional, enums, arrays, unions, nested objects, refs, docs', () => {
  const type = schemaToType(
    {
      type: 'object',
      properties: {
        owner: { type: 'string', description: 'The repository owner.' },
        'per-page': { type: 'integer', minimum: 1, maximum: 100, default: 30 },
        state: { type: 'string', enum: ['open', 'closed'] },
        labels: { type: 'array', items: { type: 'string' } },
        since: { type: ['string', 'null'], format: 'date-time' },
        target: { $ref: '#/$defs/target' },
        extra: { type: 'object', additionalProperties: { type: 'number' } },
      },
      required: ['owner'],
      $defs: { target: { anyOf: [{ const: 'all' }, { type: 'object', properties: { id: { type: 'number' } }, required: ['id'] }] } },
    },
    '',
  );
  assert.equal(
    type,
    [
      '{',
      '  /** The repository owner. */',
      '  owner: string;',
      '  /** (minimum 1, maximum 100) Default: 30. */',
      '  "per-page"?: number;',
      '  state?: "open" | "closed";',
      '  labels?: string[];',
      '  /** Format: date-time. */',
      '  since?: string | null;',
      '  target?: "all" | {',
      '    id: number;',
      '  };',
      '  extra?: Record<string, number>;',
      '}',
    ].join('\n'),
  );
});

test('hostile schemas stay bounded: recursion, comment terminators, odd names', () => {
  const recursive: Record<string, unknown> = { type: 'object', properties: { next: { $ref: '#' } } };
  const type = schemaToType(recursive, '');
  assert.ok(type.length < 2_000, type);
  assert.match(type, /unknown/);
  const sneaky = schemaToType({ type: 'object', properties: { 'a*/b': { type: 'string', description: 'ends */ here' } } }, '');
  // A description cannot close its doc comment early; a quoted name is only a string.
  assert.match(sneaky, /^ {2}\/\*\* ends \*\\\/ here \*\/$/m);
  assert.match(sneaky, /"a\*\/b"\?: string;/);
});

test('tool files: one per server, declarations with the tools only, paths read leniently, docs of one tool', () => {
  const servers = groupByServer([
    { name: 'calc__add', description: 'Adds two numbers', inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] } },
    { name: 'calc__now', inputSchema: { type: 'object' }, outputSchema: { type: 'object', properties: { iso: { type: 'string' } }, required: ['iso'] } },
    { name: 'my-files__read-file', description: 'Reads a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
    { name: 'no_separator', inputSchema: { type: 'object' } },
  ]);
  assert.equal(listFiles(servers), 'servers/calc.d.ts (2 tools)\nservers/my-files.d.ts (1 tool)');
  assert.equal(listFiles(new Map()), 'No tool files: this key may use no MCP tool.');
  const calc = serverFile('calc', servers.get('calc')!);
  assert.match(calc, /\/\*\* Adds two numbers \*\/\n {4}add\(args: \{\n {6}a: number;\n {6}b: number;\n {4}\}\): Promise<any>;/);
  assert.match(calc, /now\(args\?: \{\}\): Promise<\{\n {6}iso: string;\n {4}\}>;/);
  assert.match(serverFile('my-files', servers.get('my-files')!), /"my-files": \{\n[\s\S]*"read-file"\(args: \{/);
  for (const path of ['servers/calc.d.ts', '/servers/calc.d.ts', 'calc.d.ts', 'calc', 'calc.ts']) assert.equal(serverOfFile(path), 'calc');
  const docs = toolDocs('calc', 'add', servers.get('calc')!.get('add')!);
  assert.match(docs, /^\/\/ servers\.calc\.add \(MCP tool `calc__add`\)/);
  assert.match(docs, /Input JSON Schema: \{"type":"object"/);
});

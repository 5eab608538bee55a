import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ERROR_CODES } from '../../src/spec/error-codes.js';

const ROW = /^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|\s*`([a-z_]+)`\s*\|/;

test('docs/errors.md lists exactly the error codes the gateway returns, with their status and type', async () => {
  const text = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Map<string, { status: number; type: string }>();
  for (const line of text.split('\n')) {
    const match = ROW.exec(line);
    if (match) documented.set(match[1]!, { status: Number(match[2]), type: match[3]! });
  }
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    assert.deepEqual(documented.get(code), { status: spec.status, type: spec.type }, `docs/errors.md row for \`${code}\``);
  }
  assert.deepEqual([...documented.keys()].filter((code) => !(code in ERROR_CODES)), [], 'codes documented but not in src/spec/error-codes.ts');
});

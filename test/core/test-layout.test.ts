import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The source test tree (this file runs from dist/test/core/). */
const TEST_ROOT = fileURLToPath(new URL('../../../test/', import.meta.url));

function files(directory: string, prefix = ''): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(`${directory}/${entry.name}`, `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

test('every test file sits at test/<area>/<name>.test.ts, where `npm test` looks (dist/test/*/*.test.js)', () => {
  const misplaced = files(TEST_ROOT).filter((path) => /\.test\.ts$/.test(path) && !/^[^/]+\/[^/]+\.test\.ts$/.test(path));
  assert.deepEqual(misplaced, []);
  assert.ok(files(TEST_ROOT).some((path) => path === 'core/test-layout.test.ts'));
});

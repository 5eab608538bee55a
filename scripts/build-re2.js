#!/usr/bin/env node
// Compiles the `re2` add-on (guardrails' linear-time regex engine) from the sources in its npm
// package. Its own install script is not approved (package.json `allowScripts`): it would first
// look for a prebuilt binary on its project's GitHub release page, and nothing this project installs
// may come from outside the npm registry. Runs as the project's `postinstall`; does nothing when the
// add-on is already built or re2 is not installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let root;
try {
  root = dirname(require.resolve('re2/package.json'));
} catch {
  process.exit(0);
}
if (existsSync(join(root, 'build', 'Release', 're2.node'))) process.exit(0);
console.log('tollgate: compiling re2 from its npm sources (a few minutes)…');
// npm puts its own node-gyp on PATH for lifecycle scripts.
const result = spawnSync('node-gyp', ['-j', 'max', 'rebuild'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (result.status !== 0) {
  console.error('tollgate: re2 did not compile; guardrails `regex` rules will refuse to start until it does (python3, make and a C++ compiler are needed).');
  process.exit(result.status ?? 1);
}

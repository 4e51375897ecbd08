#!/usr/bin/env node
// `npm run lint`: ESLint and Prettier for the TypeScript and the scripts, clang-format for the
// C and C++ (.clang-format). Fails on the first tool that finds something; `npm run format`
// rewrites what Prettier and clang-format would change.
import { spawnSync } from 'node:child_process';

const fix = process.argv.includes('--fix');
const TS = ['src', 'webview-ui', 'test', 'bench', 'scripts', 'esbuild.mjs', 'eslint.config.mjs', 'vitest.config.mts'];

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.error) {
    console.error(`[lint] cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** The C and C++ sources of the repository (committed ones; fixtures are inputs, not code). */
function cFiles() {
  const r = spawnSync('git', ['ls-files', '-z', '--', '*.c', '*.h', '*.cpp', '*.hpp'], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error('[lint] git ls-files failed: run the lint in a git checkout');
    process.exit(1);
  }
  // mm_libraries.h is generated (src/core/platformio/registrations.ts); the examples ship it
  // exactly as Install writes it, which the device tests check byte for byte.
  return r.stdout.split('\0').filter((f) => f && !f.startsWith('test/fixtures/') && !f.endsWith('/mm_libraries.h'));
}

if (!fix) run('npx', ['--no-install', 'eslint', '--max-warnings', '0', ...TS]);
run('npx', ['--no-install', 'prettier', fix ? '--write' : '--check', '--log-level', 'warn', ...TS]);
run('clang-format', [fix ? '-i' : '--dry-run', ...(fix ? [] : ['--Werror']), '--style=file', ...cFiles()]);
console.log(fix ? '[lint] formatted' : '[lint] clean');

#!/usr/bin/env node
// `npm run demo`: the main job on the bundled example. Copies examples/esp32cam-ai to a
// scratch folder (the repository's copy stays unsplit), shows its memory map, splits the
// dynamic libraries out of firmware.elf and shows the map again.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const example = join(repo, 'examples/esp32cam-ai');
const work = join(repo, 'test-output/demo/esp32cam-ai');
const elf = join(work, '.pio/build/esp32cam/firmware.elf');

function esp32mm(...args) {
  console.log(`\n$ esp32mm ${args.map((a) => (a.startsWith('/') ? relative(process.cwd(), a) || '.' : a)).join(' ')}`);
  const r = spawnSync(process.execPath, [join(repo, 'dist/cli.js'), ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// Build first (quietly): the demo runs the CLI from dist/.
const build = spawnSync(process.execPath, [join(repo, 'esbuild.mjs')], {
  cwd: repo,
  stdio: 'inherit',
  env: { ...process.env, ESBUILD_LOG_LEVEL: 'warning' },
});
if (build.status !== 0) process.exit(build.status ?? 1);

rmSync(work, { recursive: true, force: true });
cpSync(example, work, { recursive: true });
console.log(`Example copied to ${relative(process.cwd(), work)} (custom_mm_storage = sd, so the files go to sd/mm)`);
const hasMap = spawnSync(process.execPath, [join(repo, 'dist/cli.js'), 'map', '--help']).status === 0;
if (hasMap) esp32mm('map', elf);
esp32mm('split', elf, '--out', join(work, 'sd/mm'));
if (hasMap) esp32mm('map', elf);
if (!existsSync(join(work, 'sd/mm/manifest.json'))) process.exit(1);

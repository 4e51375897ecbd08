#!/usr/bin/env node
// `npm test`: the whole suite. Checks (and as root installs) the Debian test tools, builds,
// then runs every tier in order. A tier that cannot run fails loudly; nothing is skipped.
import { execSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { TEST_TOOLS } from './test-tools.mjs';

const has = (t) => (t.cmd ? spawnSync('sh', ['-c', `command -v ${t.cmd}`]).status === 0 : existsSync(t.file));
const missing = TEST_TOOLS.filter((t) => !has(t)).map((t) => t.pkg);
if (missing.length) {
  const cmd = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid && process.getuid() === 0) {
    console.log(`[test] installing test tools: ${missing.join(' ')}`);
    execSync(`apt-get update -qq && DEBIAN_FRONTEND=noninteractive ${cmd}`, { stdio: 'inherit' });
  } else {
    console.error(`[test] missing Debian test tools. Run as root:\n  sudo apt-get update && sudo ${cmd}\nthen run npm test again.`);
    process.exit(1);
  }
}

// Each tier is an npm script; add new tiers here (and to README's test section).
const TIERS = ['build', 'typecheck', 'lint', 'test:unit', 'test:corpus', 'test:fuzz', 'test:tools', 'test:device', 'test:e2e'];
for (const tier of TIERS) {
  console.log(`\n[test] === ${tier} ===`);
  const t0 = Date.now();
  const r = spawnSync('npm', ['run', '--silent', tier], { stdio: 'inherit' });
  console.log(`[test] ${tier}: ${r.status === 0 ? 'ok' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}
console.log('\n[test] all tiers passed');

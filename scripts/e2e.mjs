#!/usr/bin/env node
// `npm run test:e2e`: package the extension, make sure code-server is installed, build the
// host agent, then run the e2e tests (test/e2e) in a real VS Code driven by Chromium.
import { execSync } from 'node:child_process';
import { ensureCodeServer, REPO } from './e2e-setup.mjs';

const run = (cmd) => execSync(cmd, { cwd: REPO, stdio: 'inherit' });
try {
  ensureCodeServer();
  run('npm run -s package');
  run('npm run -s build:agent');
  run(`npx vitest run --project e2e ${process.argv.slice(2).join(' ')}`);
} catch (e) {
  console.error(`[e2e] ${e.message.split('\n')[0]}`);
  process.exit(e.status ?? 1);
}

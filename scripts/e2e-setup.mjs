#!/usr/bin/env node
// Installs code-server (a real VS Code in the browser) into .cache/e2e/srv for the e2e tests
// and `npm run vscode`. Idempotent: does nothing when the pinned version is there.
// code-server 4.100.3 = VS Code 1.100.3, the last line that runs on Node 20 (docs/design.md §9).
// Its @vscode/ripgrep postinstall downloads a binary from GitHub; we satisfy it from a
// cache tarball built from Debian's `rg`, so the install works offline from GitHub.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, copyFileSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CACHE = join(REPO, '.cache', 'e2e');
export const SERVER_DIR = join(CACHE, 'srv');
export const CODE_SERVER = join(SERVER_DIR, 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function installedVersion() {
  try {
    return JSON.parse(readFileSync(join(SERVER_DIR, 'node_modules', 'code-server', 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
}

/** The cache @vscode/ripgrep's postinstall looks in before downloading. */
function seedRipgrepCache() {
  const rg = which('rg');
  if (!rg) throw new Error('ripgrep (rg) is missing: apt-get install -y ripgrep (see scripts/test-tools.mjs)');
  const cacheDir = join(process.env.TMPDIR || tmpdir(), 'vscode-ripgrep-cache-1.15.11');
  const tarball = join(cacheDir, 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz');
  if (existsSync(tarball)) return;
  mkdirSync(cacheDir, { recursive: true });
  const stage = mkdtempSync(join(tmpdir(), 'rg-'));
  copyFileSync(rg, join(stage, 'rg'));
  execFileSync('tar', ['-czf', tarball + '.tmp', '-C', stage, 'rg']);
  execFileSync('mv', [tarball + '.tmp', tarball]);
  rmSync(stage, { recursive: true, force: true });
}

export function ensureCodeServer({ quiet = false } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  if (installedVersion() === CODE_SERVER_VERSION && existsSync(CODE_SERVER)) return CODE_SERVER;
  for (const tool of ['pkg-config', 'rg']) {
    if (!which(tool)) throw new Error(`${tool} is missing; install the e2e Debian packages listed in scripts/test-tools.mjs`);
  }
  seedRipgrepCache();
  mkdirSync(SERVER_DIR, { recursive: true });
  writeFileSync(join(SERVER_DIR, 'package.json'), '{ "name": "e2e-code-server", "private": true }\n');
  if (!quiet) console.log(`[e2e] installing code-server@${CODE_SERVER_VERSION} into ${SERVER_DIR} (about a minute)…`);
  const t0 = Date.now();
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: SERVER_DIR,
    stdio: quiet ? 'ignore' : 'inherit',
    env: { ...process.env, npm_config_yes: 'true', npm_config_unsafe_perm: 'true' },
  });
  if (installedVersion() !== CODE_SERVER_VERSION) throw new Error('code-server install did not complete; see the npm output above');
  if (!quiet) console.log(`[e2e] code-server installed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return CODE_SERVER;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(ensureCodeServer());
  } catch (e) {
    console.error(`[e2e] ${e.message}`);
    process.exit(1);
  }
}

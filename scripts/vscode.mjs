#!/usr/bin/env node
// `npm run vscode`: try the extension by hand in a real VS Code in the browser. Packages the
// .vsix, installs code-server (once, into .cache/e2e), installs the .vsix into a private
// profile and opens a copy of the example project (or the folder given).
//
//   npm run vscode                      # copy of examples/esp32cam-ai, port 8080
//   npm run vscode -- --port 9000 path/to/project [--in-place]
//
// --in-place opens the folder itself instead of a copy (splitting rewrites its firmware.elf).
import { execFileSync, execSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CACHE, REPO, ensureCodeServer } from './e2e-setup.mjs';

const { values, positionals } = parseArgs({
  options: { port: { type: 'string', default: '8080' }, 'in-place': { type: 'boolean' }, 'no-package': { type: 'boolean' } },
  allowPositionals: true,
});
const source = resolve(positionals[0] ?? join(REPO, 'examples', 'esp32cam-ai'));
if (!existsSync(join(source, 'platformio.ini'))) {
  console.error(`[vscode] ${source} has no platformio.ini: give a PlatformIO project folder`);
  process.exit(1);
}
const codeServer = ensureCodeServer();
if (!values['no-package']) execSync('npm run -s package', { cwd: REPO, stdio: 'inherit' });
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const vsix = join(REPO, `${pkg.name}-${pkg.version}.vsix`);

const home = join(CACHE, 'manual');
const dirs = { ud: join(home, 'ud'), exts: join(home, 'exts'), xdg: join(home, 'xdg') };
for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
mkdirSync(join(dirs.ud, 'User'), { recursive: true });
const settings = join(dirs.ud, 'User', 'settings.json');
if (!existsSync(settings)) {
  writeFileSync(
    settings,
    JSON.stringify(
      { 'workbench.startupEditor': 'none', 'extensions.autoUpdate': false, 'git.openRepositoryInParentFolders': 'never' },
      null,
      2,
    ),
  );
}
let folder = source;
if (!values['in-place']) {
  folder = join(home, 'ws', source.split(/[\\/]/).pop());
  rmSync(folder, { recursive: true, force: true });
  cpSync(source, folder, { recursive: true });
}
const env = {
  ...process.env,
  XDG_CONFIG_HOME: join(dirs.xdg, 'config'),
  XDG_DATA_HOME: join(dirs.xdg, 'data'),
  XDG_CACHE_HOME: join(dirs.xdg, 'cache'),
};
const common = ['--user-data-dir', dirs.ud, '--extensions-dir', dirs.exts];
execFileSync(codeServer, [...common, '--install-extension', vsix, '--force'], { env, stdio: 'inherit' });
console.log(`\n[vscode] open http://127.0.0.1:${values.port}/?folder=${encodeURIComponent(folder)}  (Ctrl+C stops)\n`);
const cs = spawn(
  codeServer,
  [
    ...common,
    '--bind-addr',
    `127.0.0.1:${values.port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    folder,
  ],
  { env, stdio: 'inherit' },
);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => cs.kill('SIGTERM'));
cs.on('exit', (code) => process.exit(code ?? 0));

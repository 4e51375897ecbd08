// Drives a real VS Code: code-server 4.100.3 (installed by scripts/e2e-setup.mjs) with the
// packaged .vsix installed into fresh, private user-data/extension dirs, and Debian Chromium
// through playwright-core. Recipe and pitfalls: docs/design.md §9.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';

export const REPO = resolve(__dirname, '..', '..');
export const CACHE = join(REPO, '.cache', 'e2e');
export const CODE_SERVER = join(CACHE, 'srv', 'node_modules', '.bin', 'code-server');
export const SHOTS = join(REPO, 'test-output', 'e2e');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export function vsixPath(): string {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  const p = join(REPO, `${pkg.name}-${pkg.version}.vsix`);
  if (!existsSync(p)) throw new Error(`${p} is missing: run \`npm run package\` (npm run test:e2e does it)`);
  if (!existsSync(CODE_SERVER))
    throw new Error('code-server is not installed: run `node scripts/e2e-setup.mjs` (npm run test:e2e does it)');
  return p;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res((a as { port: number }).port));
    });
  });
}

export interface RunDirs {
  root: string;
  ws: string;
  userData: string;
  extensions: string;
  xdg: string;
}

/** A fresh run folder: private VS Code dirs and a copy of `project` as the workspace. */
export function prepareRun(name: string, project: string): RunDirs {
  const root = join(CACHE, 'runs', name);
  rmSync(root, { recursive: true, force: true });
  const d: RunDirs = { root, ws: join(root, 'ws'), userData: join(root, 'ud'), extensions: join(root, 'exts'), xdg: join(root, 'xdg') };
  for (const p of [d.userData + '/User', d.extensions, d.xdg]) mkdirSync(p, { recursive: true });
  cpSync(project, d.ws, { recursive: true });
  writeFileSync(
    join(d.userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'workbench.tips.enabled': false,
        'security.workspace.trust.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'workbench.colorTheme': 'Default Dark Modern',
        'git.openRepositoryInParentFolders': 'never',
        'git.enabled': false,
      },
      null,
      2,
    ),
  );
  return d;
}

/**
 * Merges `values` into the machine settings of the VS Code server (`<user-data>/Machine/
 * settings.json`, "Remote" in the Settings editor), where machine-scoped settings such as
 * esp32mm.serialPort live, out of any workspace. code-server watches this file and applies a
 * change at once (it does not for the browser-side User/settings.json written behind its back).
 */
export function writeMachineSettings(d: RunDirs, values: Record<string, unknown>): void {
  mkdirSync(join(d.userData, 'Machine'), { recursive: true });
  const file = join(d.userData, 'Machine', 'settings.json');
  const current = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  writeFileSync(file, JSON.stringify({ ...current, ...values }, null, 2));
}

function csEnv(d: RunDirs): NodeJS.ProcessEnv {
  return {
    ...process.env,
    XDG_CONFIG_HOME: join(d.xdg, 'config'),
    XDG_DATA_HOME: join(d.xdg, 'data'),
    XDG_CACHE_HOME: join(d.xdg, 'cache'),
  };
}

export interface CodeServer {
  port: number;
  proc: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

export async function startCodeServer(d: RunDirs, vsix: string): Promise<CodeServer> {
  const common = ['--user-data-dir', d.userData, '--extensions-dir', d.extensions];
  execFileSync(CODE_SERVER, [...common, '--install-extension', vsix], { env: csEnv(d), stdio: 'pipe' });
  const port = await freePort();
  let out = '';
  const proc = spawn(
    CODE_SERVER,
    [
      ...common,
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      d.ws,
    ],
    { env: csEnv(d), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (b) => {
    out += b;
  });
  proc.stderr!.on('data', (b) => {
    out += b;
  });
  const end = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`code-server exited (${proc.exitCode}):\n${out}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`code-server did not listen within 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    proc,
    log: () => out,
    stop: () =>
      new Promise<void>((res) => {
        if (proc.exitCode !== null) return res();
        proc.once('exit', () => res());
        proc.kill('SIGTERM');
        setTimeout(() => {
          if (proc.exitCode === null) proc.kill('SIGKILL');
        }, 5000);
      }),
  };
}

/** `scrollbars`: draw them as a user sees them (headless Chromium hides them by default). */
export async function launchBrowser(opts: { scrollbars?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    ignoreDefaultArgs: opts.scrollbars ? ['--hide-scrollbars'] : undefined,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** Opens the workbench and waits until our contributions are registered (docs/design.md §9). */
export async function openWorkbench(browser: Browser, port: number, folder: string, consoleErrors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  const query = folder.endsWith('.code-workspace') ? 'workspace' : 'folder';
  await page.goto(`http://127.0.0.1:${port}/?${query}=${encodeURIComponent(folder)}`, { waitUntil: 'domcontentloaded' });
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  await activityIcon(page).waitFor({ state: 'visible', timeout: 60_000 });
  return page;
}

export function activityIcon(page: Page) {
  return page.locator('.part.activitybar [aria-label^="Memory Manager"]').first();
}

/** Runs a command from the palette by its exact title (clicks that entry, not the first one). */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input.input');
  const exact = new RegExp(`^\\s*${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
  const row = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: exact }) })
    .first();
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill('>' + title);
    try {
      await row.waitFor({ state: 'visible', timeout: attempt ? 10_000 : 5000 });
      break;
    } catch (e) {
      // the list is computed when the palette opens; reopen once
      await page.keyboard.press('Escape');
      if (attempt) throw e;
    }
  }
  await row.click();
}

/**
 * A notification with `text`: as a toast, or (toasts can be crowded out or already hidden)
 * in the notification center. Returns the element holding it.
 */
export async function notification(page: Page, text: string | RegExp, timeoutMs = 15_000) {
  const toast = page.locator('.notification-toast', { hasText: text }).first();
  try {
    await toast.waitFor({ state: 'visible', timeout: timeoutMs });
    return toast;
  } catch {
    await runCommand(page, 'Notifications: Show Notifications');
    const entry = page.locator('.notifications-center .monaco-list-row', { hasText: text }).first();
    await entry.waitFor({ state: 'visible', timeout: 5000 });
    return entry;
  }
}

/** Palette entries matching `prefix` (e.g. "Memory Manager:"). */
export async function paletteEntries(page: Page, prefix: string): Promise<string[]> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill('>' + prefix);
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 10_000 });
  await page.waitForTimeout(300);
  const labels = await page.locator('.quick-input-list .monaco-list-row .label-name').allTextContents();
  await page.keyboard.press('Escape');
  return labels.map((s) => s.replace(/\s+/g, ' ').trim());
}

/** Webviews are iframes inside iframes: find the frame holding `selector`. */
export async function frameWith(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    for (const f of page.frames()) {
      try {
        if (await f.$(selector)) return f;
      } catch {
        /* detached or navigating */
      }
    }
    await page.waitForTimeout(200);
  }
  throw new Error(`no frame with ${selector} after ${timeoutMs} ms`);
}

export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const p = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: p });
  return p;
}

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 200): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

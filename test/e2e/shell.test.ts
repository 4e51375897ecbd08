// The extension shell in a real VS Code, on a project that was never built: activation on
// platformio.ini, the activity-bar container, every command in the palette under
// "Memory Manager", the status-bar item (or, where the Memory Manager is not used, the offer
// to install it), and an actionable message instead of a map.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  REPO,
  activityIcon,
  frameWith,
  launchBrowser,
  notification,
  openWorkbench,
  paletteEntries,
  prepareRun,
  runCommand,
  shot,
  startCodeServer,
  vsixPath,
  type CodeServer,
  type RunDirs,
} from './harness';

const PKG = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
const INSTALL_ITEM = 'esp32mm.esp32-memory-manager.esp32mm.install';
let dirs: RunDirs;
let server: CodeServer;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  dirs = prepareRun('shell', join(REPO, 'test/e2e/fixtures/unbuilt'));
  // a device library vendored by an older esp32mm: Install offers the update
  mkdirSync(join(dirs.ws, 'lib', 'ESP32MemoryManager'), { recursive: true });
  writeFileSync(
    join(dirs.ws, 'lib', 'ESP32MemoryManager', 'library.json'),
    JSON.stringify({ name: 'ESP32MemoryManager', version: '0.0.1' }),
  );
  writeFileSync(join(dirs.ws, 'lib', 'ESP32MemoryManager', 'esp32mm-version.json'), JSON.stringify({ version: '0.0.1', files: {} }));
  server = await startCodeServer(dirs, vsixPath());
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.port, dirs.ws, consoleErrors);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('extension shell on an unbuilt project', () => {
  it('lists every command under the Memory Manager category', async () => {
    const entries = await paletteEntries(page, 'Memory Manager:');
    for (const title of [
      'Split Libraries',
      'Show Memory Map',
      'Upload Libraries to SD Card',
      'Upload Libraries to SPIFFS/LittleFS',
      'Select Serial Port',
      'Select Environment',
      'Install Build Integration',
      'Show Log',
    ]) {
      expect(entries).toContain(`Memory Manager: ${title}`);
    }
    expect(entries.some((e) => /Reveal Library Folder/.test(e))).toBe(false); // internal command stays hidden
  });

  it('shows the status-bar upload item', async () => {
    const item = page
      .locator('.part.statusbar [id="esp32mm.esp32-memory-manager.esp32mm.upload"], .part.statusbar .statusbar-item', { hasText: 'SD' })
      .first();
    await item.waitFor({ state: 'visible', timeout: 20_000 });
    expect(await item.textContent()).toMatch(/SD/);
  });

  it('explains in the Memory Map view that the environment must be built', async () => {
    await activityIcon(page).click();
    const frame = await frameWith(page, '#message:not([hidden]) p');
    const text = await frame.locator('#message p').textContent();
    expect(text).toContain('No build of environment "esp32dev" yet');
    expect(text).toContain('PlatformIO: Build');
    expect(text).not.toMatch(/--[a-z]/);
    expect(await frame.locator('#env').textContent()).toBe('esp32dev');
    await shot(page, 'shell-unbuilt');
  });

  it('Select Environment switches the view to another env', async () => {
    await runCommand(page, 'Memory Manager: Select Environment');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'esp32s3' }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click();
    const frame = await frameWith(page, '#env');
    await expect.poll(() => frame.locator('#env').textContent(), { timeout: 10_000 }).toBe('esp32s3');
    expect(await frame.locator('#message p').textContent()).toContain('"esp32s3"');
    // esp32s3 does not use the Memory Manager (no custom_mm_libs, no hook): no upload item for it
    await page
      .locator('.part.statusbar .statusbar-item', { hasText: /^\s*SD|FS/ })
      .first()
      .waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() =>
        page
          .locator('.part.statusbar .statusbar-item', { hasText: /^\s*SD|FS/ })
          .first()
          .waitFor({ state: 'hidden', timeout: 1000 }),
      );
    // …but an offer to install it there, which runs Install Build Integration
    const offer = page.locator(`.part.statusbar [id="${INSTALL_ITEM}"]`).first();
    await offer.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await offer.textContent()).toContain('Memory Manager');
    expect(
      await offer.evaluate((el) => el.getAttribute('aria-label') ?? el.querySelector('[aria-label]')?.getAttribute('aria-label')),
    ).toContain('Install the Memory Manager build integration in env:esp32s3');
  });

  it('Split Libraries on an unbuilt env gives an actionable error', async () => {
    await runCommand(page, 'Memory Manager: Split Libraries');
    // esp32s3 has no custom_mm_libs: the error says what to add and where
    const toast = page.locator('.notification-toast', { hasText: 'custom_mm_libs' }).first();
    await toast.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await toast.textContent()).toContain('platformio.ini');
    await shot(page, 'shell-split-error');
  });

  it('Install Build Integration edits platformio.ini and writes the hook pointing at the bundled CLI', async () => {
    await runCommand(page, 'Memory Manager: Install Build Integration');
    const camera = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Camera' }).first();
    await camera.waitFor({ state: 'visible', timeout: 10_000 });
    await camera.locator('.quick-input-list-checkbox, input[type=checkbox], .monaco-checkbox').first().click();
    await page.locator('.quick-input-widget .quick-input-action a, .quick-input-widget .monaco-button', { hasText: 'OK' }).first().click();
    const littlefs = page.locator('.quick-input-list .monaco-list-row', { hasText: 'littlefs' }).first();
    await littlefs.waitFor({ state: 'visible', timeout: 10_000 });
    await littlefs.click();
    await page
      .locator('.notification-toast', { hasText: 'Build integration installed in env:esp32s3' })
      .first()
      .waitFor({ timeout: 20_000 });
    const ini = readFileSync(join(dirs.ws, 'platformio.ini'), 'utf8');
    const s3 = ini.slice(ini.indexOf('[env:esp32s3]'));
    expect(s3).toMatch(/extra_scripts = post:memory_manager.py/);
    expect(s3).toMatch(/custom_mm_libs = Camera/);
    expect(s3).toMatch(/custom_mm_storage = littlefs/);
    expect(ini.slice(0, ini.indexOf('[env:esp32s3]'))).not.toMatch(/memory_manager/); // other env untouched
    const hook = readFileSync(join(dirs.ws, 'memory_manager.py'), 'utf8');
    const cli = /^INSTALLED_CLI = "(.+)"/m.exec(hook)?.[1];
    expect(cli).toBe(join(dirs.extensions, `esp32mm.esp32-memory-manager-${PKG.version}`, 'dist', 'cli.js'));
    expect(existsSync(cli!)).toBe(true);
    // the env uses the Memory Manager now: the install offer gives way to the upload item
    await page.locator('.part.statusbar .statusbar-item', { hasText: /FS/ }).first().waitFor({ state: 'visible', timeout: 10_000 });
    const offer = page.locator(`.part.statusbar [id="${INSTALL_ITEM}"]`).first();
    await offer.waitFor({ state: 'detached', timeout: 10_000 }).catch(() => offer.waitFor({ state: 'hidden', timeout: 1000 }));
    await shot(page, 'shell-installed');
  });

  it('after Install, offers to update the older vendored device library, and updates it', async () => {
    const offer = await notification(page, 'is older than the one this extension brings');
    expect(await offer.textContent()).toContain('version 0.0.1');
    await offer.locator('.monaco-button', { hasText: 'Update Device Library' }).first().click();
    const bundled = JSON.parse(readFileSync(join(REPO, 'firmware', 'library.json'), 'utf8')).version;
    await notification(page, `to version ${bundled}`);
    const lib = join(dirs.ws, 'lib', 'ESP32MemoryManager');
    expect(JSON.parse(readFileSync(join(lib, 'library.json'), 'utf8')).version).toBe(bundled);
    expect(JSON.parse(readFileSync(join(lib, 'esp32mm-version.json'), 'utf8')).version).toBe(bundled);
    for (const f of readdirSync(join(REPO, 'firmware', 'src'))) expect(existsSync(join(lib, 'src', f)), f).toBe(true);
  });

  it('Select Serial Port accepts a typed path, stores it in the user settings (never the workspace) and shows it in the status bar', async () => {
    await runCommand(page, 'Memory Manager: Select Serial Port');
    const typed = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Enter a port path' }).first();
    await typed.click({ timeout: 10_000 });
    const input = page.locator('.quick-input-widget input.input');
    await input.fill('/dev/ttyUSB7');
    await page.keyboard.press('Enter');
    await page.locator('.part.statusbar .statusbar-item', { hasText: 'ttyUSB7' }).first().waitFor({ timeout: 10_000 });
    // a port is a path of this computer: machine-scoped, out of the user's repository
    const workspaceSettings = join(dirs.ws, '.vscode', 'settings.json');
    expect(existsSync(workspaceSettings) ? readFileSync(workspaceSettings, 'utf8') : '').not.toContain('esp32mm.serialPort');
    const stored = ['User', 'Machine']
      .map((d) => join(dirs.userData, d, 'settings.json'))
      .filter((f) => existsSync(f))
      .map((f) => JSON.parse(readFileSync(f, 'utf8'))['esp32mm.serialPort']);
    expect(stored).toContain('/dev/ttyUSB7');
  });

  it('Show Memory Map brings the view back from another container', async () => {
    await runCommand(page, 'View: Show Explorer');
    await page.locator('.explorer-folders-view').first().waitFor({ timeout: 10_000 });
    await runCommand(page, 'Memory Manager: Show Memory Map');
    const frame = await frameWith(page, '#env');
    await expect.poll(() => frame.locator('#env').textContent(), { timeout: 10_000 }).toBe('esp32s3');
  });

  it('raises no CSP violations or page errors from the webview', () => {
    const ours = consoleErrors.filter((e) => /Content Security Policy|Refused to|webview\.js|pageerror/i.test(e));
    expect(ours).toEqual([]);
  });
});

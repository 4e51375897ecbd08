// A LittleFS project: the split writes data/mm (PlatformIO's file-system image folder); with
// no agent answering on the port, "Upload Libraries to SPIFFS/LittleFS" offers PlatformIO's
// own uploadfs, and running it reports plainly what is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ptyPair, type PtyPair } from '../tools/transfer/harness';
import {
  activityIcon,
  launchBrowser,
  openWorkbench,
  prepareRun,
  runCommand,
  shot,
  startCodeServer,
  vsixPath,
  waitFor,
  writeMachineSettings,
  type CodeServer,
  type RunDirs,
} from './harness';
import { fixtureProject } from './project';

const project = fixtureProject();
let dirs: RunDirs;
let server: CodeServer;
let browser: Browser;
let page: Page;
let pty: PtyPair;
const consoleErrors: string[] = [];

beforeAll(async () => {
  dirs = prepareRun('fs-storage', project.dir);
  const iniPath = join(dirs.ws, 'platformio.ini');
  writeFileSync(iniPath, readFileSync(iniPath, 'utf8').replace(/^custom_mm_storage = sd$/m, 'custom_mm_storage = littlefs'));
  pty = await ptyPair(); // nothing listens on the other end: a board without the agent
  writeMachineSettings(dirs, { 'esp32mm.serialPort': pty.a }); // machine-scoped: not a workspace setting
  server = await startCodeServer(dirs, vsixPath());
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.port, dirs.ws, consoleErrors);
  await activityIcon(page).click();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  pty?.stop();
});

describe('LittleFS project without the agent', () => {
  it('splits into data/mm and the status bar says FS', async () => {
    await page.locator('.part.statusbar .statusbar-item', { hasText: /FS/ }).first().waitFor({ timeout: 20_000 });
    await runCommand(page, 'Memory Manager: Split Libraries');
    const dataDir = join(dirs.ws, 'data', 'mm');
    await waitFor('files in data/mm', () => existsSync(join(dataDir, 'manifest.json')));
    for (const lib of project.libs) expect(readdirSync(dataDir).some((f) => f.startsWith(`${lib}_`))).toBe(true);
    expect(existsSync(join(dirs.ws, 'sd'))).toBe(false);
  });

  it('no agent: offers PlatformIO uploadfs, which reports what is missing', async () => {
    await runCommand(page, 'Notifications: Clear All Notifications');
    await runCommand(page, 'Memory Manager: Upload Libraries to SPIFFS/LittleFS');
    const offer = page.locator('.notification-toast', { hasText: 'Without the agent' }).first();
    await offer.waitFor({ state: 'visible', timeout: 20_000 });
    await shot(page, 'fs-no-agent');
    await offer.locator('.monaco-button', { hasText: 'Write File-System Image (uploadfs)' }).first().click();
    // this machine has no PlatformIO Core: the message names it and how to install it
    const outcome = page.locator('.notification-toast', { hasText: /uploadfs failed|File-system image written/ }).first();
    await outcome.waitFor({ state: 'visible', timeout: 60_000 });
    const text = (await outcome.textContent()) ?? '';
    if (!/File-system image written/.test(text)) expect(text).toMatch(/PlatformIO Core|pio run -t uploadfs failed|esptool/);
    await shot(page, 'fs-uploadfs');
  });
});

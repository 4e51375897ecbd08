// The extension's details page as a user sees it: VS Code's Extensions view, our extension
// installed from the packaged .vsix, its README (MARKETPLACE.md) rendered by VS Code itself.
// Every image on it must load (a broken image is a defect of the package), and the page is
// the user's README, not the contributor's (no npm commands).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Frame, Page } from 'playwright-core';
import {
  frameWith,
  launchBrowser,
  openWorkbench,
  prepareRun,
  shot,
  startCodeServer,
  vsixPath,
  waitFor,
  type CodeServer,
  type RunDirs,
} from './harness';
import { exampleProject } from './project';

let dirs: RunDirs;
let server: CodeServer;
let browser: Browser;
let page: Page;
let readme: Frame;

beforeAll(async () => {
  dirs = prepareRun('details-page', exampleProject().dir);
  server = await startCodeServer(dirs, vsixPath());
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.port, dirs.ws, []);
  await page.locator('.part.activitybar [aria-label^="Extensions"]').first().click();
  await page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'ESP32 Memory Manager' }).first().click({ timeout: 60_000 });
  readme = await frameWith(page, 'text=Grow an ESP32 program past its flash chip', 60_000);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('details page of the installed extension', () => {
  it('shows the user README: what it does, commands and settings, no contributor commands', async () => {
    const text = (await readme.locator('body').textContent()) ?? '';
    for (const s of ['Open Memory Map', 'esp32mm.serialPort', 'Install Build Integration']) expect(text).toContain(s);
    expect(text).not.toMatch(/npm (install|test|run)/);
  });

  it('every image on it loads', async () => {
    const images = readme.locator('img');
    const count = await images.count();
    // each image has finished loading (or failed) before it is judged
    await waitFor('the images to settle', () => images.evaluateAll((els) => els.every((e) => (e as HTMLImageElement).complete)), 30_000);
    const states = await images.evaluateAll((els) =>
      els.map((e) => ({ src: (e as HTMLImageElement).src, width: (e as HTMLImageElement).naturalWidth })),
    );
    expect(states.filter((s) => s.width === 0)).toEqual([]);
    expect(states.length).toBe(count);
    await shot(page, 'details-page');
  });
});

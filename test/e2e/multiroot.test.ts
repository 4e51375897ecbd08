// Multi-root and multi-env: two PlatformIO projects in one VS Code workspace, one of them
// with two environments. A build of any env in any folder is noticed; the view follows
// the build that just finished; Select Environment lists every project's envs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  activityIcon,
  frameWith,
  launchBrowser,
  openWorkbench,
  prepareRun,
  runCommand,
  shot,
  startCodeServer,
  vsixPath,
  waitFor,
  type CodeServer,
  type RunDirs,
} from './harness';
import { fixtureProject } from './project';

const source = fixtureProject(); // watcher semantics; the example's flow is in flow.test.ts
let dirs: RunDirs;
let server: CodeServer;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
let second: string;

/** Rewrites an ELF the way a linker does: a new file renamed into place. */
function relink(elf: string, from: string): void {
  copyFileSync(from, elf + '.tmp');
  renameSync(elf + '.tmp', elf);
}

beforeAll(async () => {
  dirs = prepareRun('multiroot', source.dir);
  // a second project: the same firmware under two environments
  second = join(dirs.root, 'second');
  cpSync(source.dir, second, { recursive: true });
  const ini = readFileSync(join(second, 'platformio.ini'), 'utf8');
  const other = `${source.env}_psram`;
  writeFileSync(join(second, 'platformio.ini'), `${ini}\n[env:${other}]\nextends = env:${source.env}\n`);
  mkdirSync(join(second, '.pio', 'build', other), { recursive: true });
  for (const f of ['firmware.elf', 'firmware.map'])
    copyFileSync(join(second, '.pio', 'build', source.env, f), join(second, '.pio', 'build', other, f));
  const workspace = join(dirs.root, 'two.code-workspace');
  writeFileSync(
    workspace,
    JSON.stringify({
      folders: [
        { path: dirs.ws, name: 'first' },
        { path: second, name: 'second' },
      ],
    }),
  );
  server = await startCodeServer(dirs, vsixPath());
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.port, workspace, consoleErrors);
  await activityIcon(page).click();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('multi-root, multi-env workspace', () => {
  it('follows a build in the second folder, in its second environment', async () => {
    const frame = await frameWith(page, 'body[data-updated]');
    await frame.locator('.region').first().waitFor({ timeout: 30_000 });
    const other = `${source.env}_psram`;
    const elf = join(second, '.pio', 'build', other, 'firmware.elf');
    relink(elf, elf);
    await waitFor(
      'the view to show second/' + other,
      async () => (await frame.locator('#project').textContent()) === 'second' && (await frame.locator('#env').textContent()) === other,
      20_000,
    );
    await frame.locator('.region').first().waitFor({ timeout: 10_000 });
    await shot(page, 'multiroot-followed');
  });

  it('Select Environment lists the environments of both projects', async () => {
    await runCommand(page, 'Memory Manager: Select Environment');
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ timeout: 10_000 });
    const texts = (await rows.allTextContents()).join('\n');
    expect(texts).toContain('first');
    expect(texts).toContain('second');
    expect(texts).toContain(`${source.env}_psram`);
    expect(await rows.count()).toBe(3);
    await page.keyboard.press('Escape');
  });
});

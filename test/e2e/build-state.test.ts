// What the extension keeps and reports about a build, in a real VS Code (code-server) on a
// copy of the example: the doctor's findings (`esp32mm doctor`) in the Problems panel on the
// platformio.ini line they are about, and the previous build of the environment kept across
// a window reload (in the extension's storage, not in the project), so the full view still
// offers the changes against it (= `esp32mm map --diff`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import {
  REPO,
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
import { exampleProject } from './project';
import type { DiffView } from '../../webview-ui/model';

const example = exampleProject();
let dirs: RunDirs;
let server: CodeServer;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const build = () => join(dirs.ws, '.pio', 'build', example.env);
const elf = () => join(build(), 'firmware.elf');
const iniPath = () => join(dirs.ws, 'platformio.ini');

function cliDoctor(): { findings: { message: string; option?: string; severity: string }[] } {
  try {
    return JSON.parse(execFileSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'doctor', dirs.ws, '--json'], { encoding: 'utf8' }));
  } catch (e) {
    return JSON.parse((e as { stdout: string }).stdout); // exit 1: the report has errors
  }
}

/** The project's files, .pio (the build, changed by the test) left out. */
function filesOutsideBuild(): string[] {
  return readdirSync(dirs.ws)
    .filter((f) => f !== '.pio')
    .flatMap((f) => [
      f,
      ...(statSync(join(dirs.ws, f)).isDirectory()
        ? readdirSync(join(dirs.ws, f), { recursive: true, encoding: 'utf8' }).map((g) => `${f}/${g}`)
        : []),
    ])
    .sort();
}

async function openFullView(): Promise<Frame> {
  // the command, not the activity icon: after a reload the container may be open already, and a click would close it
  await runCommand(page, 'Memory Manager: Show Memory Map');
  await (await frameWith(page, 'body[data-layout="sidebar"] .region')).locator('.region').first().waitFor();
  await runCommand(page, 'Memory Manager: Open Memory Map');
  return frameWith(page, 'body[data-layout="full"] .region');
}

beforeAll(async () => {
  dirs = prepareRun('build-state', example.dir);
  server = await startCodeServer(dirs, vsixPath());
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.port, dirs.ws, consoleErrors);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('build state', () => {
  it("shows the doctor's findings in Problems on the option's line of platformio.ini", async () => {
    const ini = readFileSync(iniPath(), 'utf8');
    writeFileSync(iniPath(), ini.replace(/^custom_mm_code = iram$/m, 'custom_mm_code = psram'));
    try {
      const expected = cliDoctor().findings.find((f) => f.option === 'custom_mm_code');
      expect(expected?.severity).toBe('error');
      await runCommand(page, 'Problems: Focus on Problems View');
      const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'cannot execute code from PSRAM' }).first();
      await row.waitFor({ state: 'visible', timeout: 20_000 });
      expect(await row.textContent()).toContain(expected!.message);
      // on the custom_mm_code line (1-based in the panel)
      const line =
        readFileSync(iniPath(), 'utf8')
          .split('\n')
          .findIndex((l) => l.startsWith('custom_mm_code')) + 1;
      expect(await row.textContent()).toContain(`[Ln ${line},`);
      expect(await page.locator('.markers-panel .monaco-list-row', { hasText: 'platformio.ini' }).count()).toBeGreaterThan(0);
      await shot(page, 'build-state-1-doctor');
    } finally {
      writeFileSync(iniPath(), ini);
    }
    // fixed in platformio.ini: the finding goes
    await page
      .locator('.markers-panel .monaco-list-row', { hasText: 'cannot execute code from PSRAM' })
      .first()
      .waitFor({ state: 'detached', timeout: 20_000 });
  });

  it('keeps the previous build across a window reload, outside the project', async () => {
    let frame = await openFullView();
    const stamp = async () => Number(await frame.locator('body').getAttribute('data-updated'));
    const previous = join(dirs.root, 'previous.elf');
    writeFileSync(previous, readFileSync(elf()));
    writeFileSync(previous.replace(/\.elf$/, '.map'), readFileSync(join(build(), 'firmware.map')));
    const before = await stamp();
    const projectFiles = filesOutsideBuild();
    // a new link with other contents (the fixture firmware without dynamic libraries), map first, ELF renamed into place
    const fixture = join(REPO, 'test', 'fixtures', 'firmware', 'out', 'xtensa');
    rmSync(join(build(), 'firmware.full.elf'), { force: true });
    writeFileSync(join(build(), 'firmware.map'), readFileSync(join(fixture, 'fw_nomm.map')));
    writeFileSync(elf() + '.tmp', readFileSync(join(fixture, 'fw_nomm.elf')));
    renameSync(elf() + '.tmp', elf());
    await waitFor('the new build to show', async () => (await stamp()) > before, 20_000);
    await waitFor(
      'the previous-build option',
      async () => (await frame.locator('#compare option[value="previous"]').count()) === 1,
      10_000,
    );

    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await activityIcon(page).waitFor({ state: 'visible', timeout: 60_000 });
    frame = await openFullView();
    await waitFor(
      'the previous-build option after the reload',
      async () => (await frame.locator('#compare option[value="previous"]').count()) === 1,
      20_000,
    );
    await frame.locator('#compare').selectOption('previous');
    const table = frame.locator('.comparison[data-against="previous"] table');
    await table.waitFor();
    const diff: DiffView = JSON.parse(
      execFileSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'map', elf(), '--diff', previous, '--json'], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      }),
    );
    const rows = await table
      .locator('tbody tr[data-kind="archive"]')
      .evaluateAll((trs) => trs.map((t) => [t.getAttribute('data-name'), Number(t.getAttribute('data-change'))]));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows).toEqual(diff.archives.filter((a) => a.change !== 0).map((a) => [a.name, a.change]));
    // nothing was written into the project to keep it
    expect(filesOutsideBuild()).toEqual(projectFiles);
    await shot(page, 'build-state-2-previous-after-reload');
  });
});

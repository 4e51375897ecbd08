// The whole user flow in a real VS Code (code-server) + Chromium, on a copy of the example
// project: the Memory Map view shows what `esp32mm map --json` says; "Split Libraries"
// from the command palette writes the library files and updates the view; touching
// firmware.elf refreshes it; the status-bar upload sends the files over a real pty to the
// host build of the device agent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Frame, Page } from 'playwright-core';
import { ptyPair, proxiedAgent, startAgent, AGENT, type AgentProcess, type PtyPair } from '../tools/transfer/harness';
import {
  REPO,
  SHOTS,
  activityIcon,
  notification,
  frameWith,
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
import { e2eProjects, type E2eProject } from './project';
import type { MemoryMapModel } from '../../webview-ui/model';
import { bytes } from '../../webview-ui/format';

for (const project of e2eProjects()) flow(project);

function flow(project: E2eProject): void {
  describe(project.source, () => {
    let dirs: RunDirs;
    let server: CodeServer;
    let browser: Browser;
    let page: Page;
    let pty: PtyPair;
    let agent: AgentProcess | undefined;
    let card: string;
    const consoleErrors: string[] = [];
    // The port is a machine setting; the workspace's own values (port, autoSplit) must be ignored.
    const WORKSPACE_SETTINGS = () => ({
      'esp32mm.serialPort': '/dev/ttyWORKSPACE-IGNORED',
      'esp32mm.autoSplit': true,
      'files.watcherExclude': { '**/.pio/**': true },
    });

    const build = () => join(dirs.ws, '.pio', 'build', project.env);
    const outDir = () => join(dirs.ws, project.storage === 'sd' ? 'sd' : 'data', 'mm');

    function cliMap(elf: string): MemoryMapModel {
      const args = [join(REPO, 'dist', 'cli.js'), 'map', elf, '--json'];
      const map = join(build(), 'firmware.map');
      if (existsSync(map)) args.push('--map', map);
      return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' }));
    }

    async function mapFrame(): Promise<Frame> {
      return frameWith(page, 'body[data-layout="sidebar"][data-updated]');
    }

    /** The editor-tab view (every library; the sidebar lists the largest five). */
    async function fullFrame(): Promise<Frame> {
      await runCommand(page, 'Memory Manager: Open Memory Map');
      const frame = await frameWith(page, 'body[data-layout="full"][data-updated]');
      await frame.locator('table.libs tbody tr').first().waitFor({ timeout: 30_000 });
      return frame;
    }

    async function updatedStamp(): Promise<number> {
      return Number(await (await mapFrame()).locator('body').getAttribute('data-updated'));
    }

    beforeAll(async () => {
      console.log(`e2e project: ${project.source} (${project.dir})`);
      dirs = prepareRun(`flow-${project.source}`, project.dir);
      pty = await ptyPair();
      card = join(dirs.root, 'card');
      mkdirSync(card, { recursive: true });
      mkdirSync(join(dirs.ws, '.vscode'), { recursive: true });
      // .pio excluded from file watching, as many PlatformIO setups have it: builds must still be seen
      writeFileSync(
        join(dirs.ws, '.vscode', 'settings.json'),
        JSON.stringify({ ...WORKSPACE_SETTINGS(), 'esp32mm.baudRate': 921600 }, null, 2),
      );
      writeMachineSettings(dirs, { 'esp32mm.serialPort': pty.a });
      server = await startCodeServer(dirs, vsixPath());
      browser = await launchBrowser();
      page = await openWorkbench(browser, server.port, dirs.ws, consoleErrors);
      await activityIcon(page).click();
    });

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      await agent?.stop();
      pty?.stop();
    });

    describe(`user flow on the ${project.source} project`, () => {
      it('Memory Map shows the regions and libraries with the numbers of esp32mm map --json', async () => {
        const expected = cliMap(join(build(), 'firmware.elf'));
        const frame = await mapFrame();
        await frame.locator('.region').first().waitFor({ timeout: 30_000 });
        for (const r of expected.regions) {
          const el = frame.locator(`.region[data-region="${r.name}"]`);
          expect(await el.getAttribute('data-used')).toBe(String(r.used));
          expect(await el.getAttribute('data-size')).toBe(String(r.size));
          const text = await el.locator('.region-numbers').textContent();
          expect(text).toContain(`${bytes(r.used)} / ${bytes(r.size)} B`);
        }
        expect(await frame.locator('.region').count()).toBe(expected.regions.length);
        const rowsOf = (f: Frame) =>
          f
            .locator('table.libs tbody tr')
            .evaluateAll((trs) => trs.map((tr) => ({ name: tr.getAttribute('data-library'), total: tr.querySelector('td')?.textContent })));
        // the sidebar: the five largest libraries and how many more the editor tab has
        const largest = [...expected.libraries].sort((a, b) => b.total - a.total || a.name.localeCompare(b.name)).slice(0, 5);
        expect(await rowsOf(frame)).toEqual(largest.map((l) => ({ name: l.name, total: bytes(l.total) })));
        expect(await frame.locator('.more').getAttribute('data-more')).toBe(String(expected.libraries.length - 5));
        await shot(page, `${project.source}-flow-1-memory-map`);
        // the editor tab: every library
        const rows = await rowsOf(await fullFrame());
        expect(rows.map((r) => r.name).sort()).toEqual(expected.libraries.map((l) => l.name).sort());
        for (const l of expected.libraries) expect(rows.find((r) => r.name === l.name)?.total).toBe(bytes(l.total));
        for (const lib of project.libs) expect(rows.map((r) => r.name)).toContain(lib);
        await shot(page, `${project.source}-flow-1b-memory-map-tab`);
        await runCommand(page, 'View: Close All Editors');
      });

      it('Split Libraries from the palette writes the files and updates the view', async () => {
        const before = await updatedStamp();
        await runCommand(page, 'Memory Manager: Split Libraries');
        await waitFor('the split files', () => {
          const files = existsSync(outDir()) ? readdirSync(outDir()) : [];
          return project.libs.every((l) => files.includes(`${l}_e`) || files.includes(`${l}_d`)) && files.includes('manifest.json');
        });
        const toast = page.locator('.notification-toast', { hasText: /Split \d+ librar/ }).first();
        await toast.waitFor({ state: 'visible', timeout: 15_000 });
        // the example's platformio.ini has the post-link hook; the stand-in has not, and is told so
        expect(/Install Build Integration makes every build split/.test((await toast.textContent()) ?? '')).toBe(
          project.source === 'fixture',
        );
        await waitFor('the view to update after the split', async () => (await updatedStamp()) > before);
        // the Dynamic Libraries tree lists the libraries with their files
        for (const lib of project.libs) {
          await page.locator('.pane-body .monaco-list-row', { hasText: lib }).first().waitFor({ timeout: 10_000 });
        }
        await shot(page, `${project.source}-flow-2-after-split`);
      });

      it('after the split the view shows the stripped firmware, and the toggle the original', async () => {
        const frame = await mapFrame();
        await waitFor('the before/after toggle', async () => (await frame.locator('#mode').getAttribute('hidden')) === null);
        const after = cliMap(join(build(), 'firmware.elf'));
        expect(after.split).toBe(true);
        for (const r of after.regions) {
          const el = frame.locator(`.region[data-region="${r.name}"]`);
          expect(await el.getAttribute('data-used')).toBe(String(r.used));
          // the slots stay reserved after the split: the view shows the model's reservation
          if (r.slotReserved && !r.flash) {
            expect(await el.getAttribute('data-slots')).toBe(String(r.slotReserved));
            // in use = the sections + the slots: the split frees no RAM, and the view says so
            expect(await el.getAttribute('data-occupied')).toBe(String(r.used + r.slotReserved));
            for (const s of after.slots) {
              const reserved = s.ranges.filter((x) => x.region === r.name).reduce((a, x) => a + x.size, 0);
              if (reserved)
                expect(await el.locator(`.seg[data-kind="slot"][data-name="${s.name}"]`).getAttribute('data-bytes')).toBe(String(reserved));
            }
          }
        }
        expect(await frame.locator('.fact.saved').getAttribute('data-bytes')).toBe(String(after.flashSaved));
        const headline = frame.locator('.summary .headline');
        expect(await headline.getAttribute('data-flash-change')).toBe(String(after.imageBytes - after.before!.imageBytes));
        expect(await headline.getAttribute('data-ram-change')).toBe('0');
        expect(await headline.textContent()).toMatch(/RAM unchanged/);
        const full = cliMap(join(build(), 'firmware.full.elf'));
        await frame.locator('vscode-radio[value="before"]').click();
        await waitFor('the before view', async () => (await frame.locator('body').getAttribute('data-mode')) === 'before');
        for (const r of full.regions) {
          expect(await frame.locator(`.region[data-region="${r.name}"]`).getAttribute('data-used')).toBe(String(r.used));
        }
        await shot(page, `${project.source}-flow-3-before-split`);
        // a picture of the view alone for the README: the tree folded away, the sidebar only
        const treeHeader = page.locator('.pane-header', { hasText: 'Dynamic Libraries' }).first();
        await treeHeader.click();
        await frame.locator('vscode-radio[value="after"]').click();
        await page.waitForTimeout(300);
        await page.locator('.part.sidebar').screenshot({ path: join(SHOTS, `${project.source}-readme-memory-map.png`) });
        await treeHeader.click();
        await waitFor('the after view', async () => (await frame.locator('body').getAttribute('data-mode')) === 'after');
      });

      it('touching firmware.elf refreshes the view', async () => {
        const before = await updatedStamp();
        const elf = join(build(), 'firmware.elf');
        const now = new Date();
        utimesSync(elf, now, now);
        await waitFor('a refresh after the touch', async () => (await updatedStamp()) > before, 15_000);
      });

      it('clicking a library reveals its folder in the Explorer', async () => {
        const frame = await fullFrame();
        const lib = project.libs[0];
        await frame.locator(`button.lib[data-library="${lib}"]`).click();
        await page.locator('.explorer-folders-view .monaco-list-row.selected', { hasText: lib }).first().waitFor({ timeout: 15_000 });
        await shot(page, `${project.source}-flow-4-reveal`);
        await runCommand(page, 'View: Close All Editors');
        await activityIcon(page).click();
      });

      it('a loose object opens its source file; framework archives are not links', async () => {
        const frame = await fullFrame();
        const model = cliMap(join(build(), 'firmware.elf'));
        const framework = model.libraries.find(
          (l) => /^lib/.test(l.archive) && !project.libs.includes(l.name) && !existsSync(join(dirs.ws, 'lib', l.name)),
        );
        if (framework) {
          expect(await frame.locator(`tr[data-library="${framework.name}"] button.lib`).count()).toBe(0);
          expect(await frame.locator(`tr[data-library="${framework.name}"] .lib-plain`).count()).toBe(1);
        }
        if (project.source !== 'example') return; // the stand-in has no src/
        await frame.locator('button.lib[data-library="main.cpp"]').click();
        await page.locator('.tabs-container .tab', { hasText: 'main.cpp' }).first().waitFor({ timeout: 15_000 });
        expect(await page.locator('.tabs-container .tab.active').getAttribute('data-resource-name')).toBe('main.cpp');
        await shot(page, `${project.source}-flow-4b-source`);
        await runCommand(page, 'View: Close All Editors');
      });

      it('the status-bar upload sends the files to the agent and reports success', async () => {
        const manifest = JSON.parse(readFileSync(join(outDir(), 'manifest.json'), 'utf8'));
        agent = await startAgent(pty.b, card, ['--build-id', manifest.buildId], AGENT);
        const item = page.locator('.part.statusbar .statusbar-item', { hasText: /SD|FS/ }).first();
        await item.click();
        const toast = page.locator('.notification-toast', { hasText: /Uploaded \d+ files?/ }).first();
        await toast.waitFor({ state: 'visible', timeout: 60_000 });
        const sent = readdirSync(outDir()).filter((f) => /_[ed]$/.test(f) || f === 'manifest.json');
        const arrived = readdirSync(join(card, 'mm'));
        for (const f of sent) {
          expect(arrived).toContain(f);
          expect(readFileSync(join(card, 'mm', f)).equals(readFileSync(join(outDir(), f)))).toBe(true);
        }
        expect(await toast.textContent()).toContain(`Uploaded ${sent.length} files`);
        await waitFor('the status bar to show success', async () => /check/.test((await item.innerHTML()) ?? ''));
        // the view came back after the Explorer visit (its webview is re-created) with the map
        await (await mapFrame()).locator('.region').first().waitFor({ timeout: 15_000 });
        await page.locator('.notification-toast', { hasText: 'uploading to the SD card' }).waitFor({ state: 'detached', timeout: 15_000 });
        await shot(page, `${project.source}-flow-5-uploaded`);
      });

      it('Cancel in the upload progress stops a slow upload and says so', async () => {
        const manifest = JSON.parse(readFileSync(join(outDir(), 'manifest.json'), 'utf8'));
        const slowCard = join(dirs.root, 'slow-card');
        mkdirSync(slowCard, { recursive: true });
        // a throttled line (1.5 KB/s) between the extension and a second agent
        const slow = await proxiedAgent(slowCard, { bytesPerSecond: 1500 }, ['--build-id', manifest.buildId], AGENT);
        try {
          writeMachineSettings(dirs, { 'esp32mm.serialPort': slow.port });
          await waitFor(
            'the status bar to show the new port',
            async () => (await page.locator('.part.statusbar .statusbar-item', { hasText: slow.port.replace(/^\/dev\//, '') }).count()) > 0,
            10_000,
          );
          await runCommand(page, 'Memory Manager: Upload Libraries to SD Card');
          const progress = page.locator('.notification-toast', { hasText: 'uploading to the SD card' }).first();
          await progress.waitFor({ state: 'visible', timeout: 15_000 });
          await page.waitForTimeout(500);
          await progress.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
          await page.locator('.notification-toast', { hasText: 'Upload cancelled' }).first().waitFor({ timeout: 15_000 });
          await shot(page, `${project.source}-flow-5b-cancelled`);
          // not every file arrived complete: the cancel really stopped the transfer
          const sent = readdirSync(outDir()).filter((f) => /_[ed]$/.test(f) || f === 'manifest.json');
          const complete = sent.filter(
            (f) => existsSync(join(slowCard, 'mm', f)) && readFileSync(join(slowCard, 'mm', f)).equals(readFileSync(join(outDir(), f))),
          );
          expect(complete.length).toBeLessThan(sent.length);
          expect(complete).not.toContain('manifest.json'); // the manifest goes last
        } finally {
          writeMachineSettings(dirs, { 'esp32mm.serialPort': pty.a });
          await slow.stop();
        }
      });

      it('a library that is not in the link shows up in Problems on its platformio.ini line', async () => {
        const iniPath = join(dirs.ws, 'platformio.ini');
        const ini = readFileSync(iniPath, 'utf8');
        writeFileSync(iniPath, ini.replace(/^(custom_mm_libs\s*=.*)$/m, '$1, ghost'));
        try {
          await runCommand(page, 'Problems: Focus on Problems View');
          const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'nothing from libghost.a' }).first();
          await row.waitFor({ state: 'visible', timeout: 20_000 });
          expect(await page.locator('.markers-panel .monaco-list-row', { hasText: 'platformio.ini' }).count()).toBeGreaterThan(0);
          await shot(page, `${project.source}-flow-6-problems`);
        } finally {
          writeFileSync(iniPath, ini); // later tests split again: no unknown library may stay listed
        }
        await page.locator('.markers-panel .monaco-list-row', { hasText: 'ghost' }).first().waitFor({ state: 'detached', timeout: 20_000 });
      });

      it('with autoSplit + autoUpload, a new link is split and uploaded without a click', async () => {
        writeMachineSettings(dirs, { 'esp32mm.autoSplit': true, 'esp32mm.autoUpload': true });
        for (const f of readdirSync(join(card, 'mm'))) rmSync(join(card, 'mm', f));
        for (const f of readdirSync(outDir())) rmSync(join(outDir(), f));
        await page.waitForTimeout(1000); // the settings change reaches the extension host
        // what a rebuild does: a fresh, unsplit firmware.elf appears
        const elf = join(build(), 'firmware.elf');
        writeFileSync(elf + '.new', readFileSync(join(build(), 'firmware.full.elf')));
        renameSync(elf + '.new', elf);
        await waitFor('auto-split files', () => existsSync(join(outDir(), 'manifest.json')), 30_000);
        await waitFor('auto-upload to the agent', () => existsSync(join(card, 'mm', 'manifest.json')), 30_000);
        for (const f of readdirSync(outDir())) expect(readFileSync(join(card, 'mm', f)).equals(readFileSync(join(outDir(), f)))).toBe(true);
        await shot(page, `${project.source}-flow-7-auto`);
      });

      it('Upload to SPIFFS/LittleFS on an SD-card project says what to change instead of writing the wrong place', async () => {
        await runCommand(page, 'Notifications: Clear All Notifications');
        await runCommand(page, 'Memory Manager: Upload Libraries to SPIFFS/LittleFS');
        await shot(page, `${project.source}-flow-8-wrong-storage`);
        const toast = await notification(page, 'custom_mm_storage');
        expect(await toast.textContent()).toMatch(/custom_mm_storage = spiffs or littlefs/);
        await toast.locator('.monaco-button', { hasText: 'Open platformio.ini' }).first().waitFor({ timeout: 5000 });
      });

      it('follows the colour theme (theme variables only): light theme repaints the view', async () => {
        const frame = await mapFrame();
        const dark = await frame.evaluate(() => getComputedStyle(document.body).backgroundColor);
        await runCommand(page, 'Preferences: Color Theme');
        await page.locator('.quick-input-widget input.input').fill('Light Modern');
        await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Light Modern' }).first().click({ timeout: 10_000 });
        await waitFor(
          'the light theme in the webview',
          async () => (await (await mapFrame()).evaluate(() => getComputedStyle(document.body).backgroundColor)) !== dark,
          20_000,
        );
        const light = await (await mapFrame()).evaluate(() => getComputedStyle(document.body).backgroundColor);
        const lum = (c: string) =>
          c
            .match(/\d+/g)!
            .slice(0, 3)
            .map(Number)
            .reduce((a, b) => a + b, 0);
        expect(lum(light)).toBeGreaterThan(lum(dark));
        await runCommand(page, 'Notifications: Clear All Notifications');
        await page.locator('.part.sidebar').screenshot({ path: join(SHOTS, `${project.source}-readme-memory-map-light.png`) });
      });

      it('raises no CSP violations or errors from the extension webview', () => {
        expect(consoleErrors.filter((e) => /Content Security Policy|Refused to|webview\.js|pageerror/i.test(e))).toEqual([]);
      });
    });
  });
}

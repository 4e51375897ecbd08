// The Memory Map view on real ESP-IDF builds from the real-builds corpus (beside the
// repository, never copied into it): an ESP32 build with Windows paths, a C3 and a C6.
// Each test assembles a PlatformIO project in a temp folder at run time (platformio.ini,
// the rebuilt firmware.elf, the build's own <project>.map, partitions.bin and sdkconfig)
// and opens it in code-server. The view must show archives (the map was read, not the
// symbol fallback), the link's own DRAM limit, the app partition and which map it used;
// the independent sides are `esp32mm map --json` on the same project and the map's own
// "Memory Configuration" block read here with a regex.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
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
} from './harness';
import { corpusAvailable, corpusCase, type CorpusCase, reportMissingCorpus } from '../helpers/corpus';
import { rebuildCorpusElf } from '../helpers/corpus-elf';
import type { MemoryMapModel } from '../../webview-ui/model';

interface CorpusE2e {
  name: string;
  chipName: string;
}

const CASES: CorpusE2e[] = [
  { name: 'esp32cam_idf_demo', chipName: 'ESP32' }, // ESP-IDF 4.3 under PlatformIO on Windows: backslash paths
  { name: 'esp32c3_idf_tute', chipName: 'ESP32-C3' },
  { name: 'esp32c6_idf_washer', chipName: 'ESP32-C6' },
];

/** The length of `dram0_0_seg` in the map's "Memory Configuration" block (32- or 64-bit numbers). */
function dramSegLength(mapText: string): number {
  const block = /^Memory Configuration\s*$([\s\S]*?)^Linker script and memory map\s*$/m.exec(mapText);
  if (!block) throw new Error('no "Memory Configuration" block in the map');
  const m = /^dram0_0_seg\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)/m.exec(block[1]);
  if (!m) throw new Error("no dram0_0_seg line in the map's Memory Configuration");
  return parseInt(m[2], 16);
}

interface CorpusProject {
  dir: string;
  env: string;
  build: string;
  elf: string;
  mapName: string;
}

/** A PlatformIO project holding the case's build, in `parent` (a temp folder). */
function corpusProject(c: CorpusCase, parent: string): CorpusProject {
  const env = String(c.meta.env);
  const dir = join(parent, c.name);
  const build = join(dir, '.pio', 'build', env);
  mkdirSync(build, { recursive: true });
  const caseIni = (() => {
    try {
      return readFileSync(join(c.dir, 'platformio.ini'), 'utf8');
    } catch {
      return '';
    }
  })();
  const board = /^\S+/.exec(String(c.meta.board))?.[0] ?? env; // "esp32-c3-devkitc-02 (env name; ...)"
  writeFileSync(
    join(dir, 'platformio.ini'),
    caseIni.includes(`[env:${env}]`)
      ? caseIni
      : `; e2e: the corpus case ${c.name} (its own platformio.ini has no [env:${env}])\n[env:${env}]\nplatform = espressif32\nboard = ${board}\nframework = espidf\n`,
  );
  const elf = join(build, 'firmware.elf');
  writeFileSync(elf, rebuildCorpusElf(c));
  const mapName = basename(c.mapPath);
  copyFileSync(c.mapPath, join(build, mapName));
  if (!c.partitionsPath) throw new Error(`corpus case ${c.name} has no partition table`);
  copyFileSync(c.partitionsPath, join(build, 'partitions.bin'));
  for (const f of readdirSync(c.dir).filter((f) => f.startsWith('sdkconfig'))) copyFileSync(join(c.dir, f), join(dir, f));
  return { dir, env, build, elf, mapName };
}

/** `esp32mm map <elf> --json` on the project: the CLI finds the map, partition table and sdkconfig itself. */
function cliMap(elf: string): MemoryMapModel {
  return JSON.parse(
    execFileSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'map', elf, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 }),
  );
}

if (!corpusAvailable()) {
  describe('Memory Map on real builds (corpus)', () => {
    reportMissingCorpus();
  });
} else {
  describe('Memory Map on real builds (corpus)', () => {
    let tmp: string;
    let server: CodeServer;
    let browser: Browser;

    beforeAll(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'esp32mm-e2e-corpus-'));
      // private VS Code dirs under .cache/e2e; the workspaces (corpus data) stay in the temp folder
      const empty = join(tmp, 'empty');
      mkdirSync(empty);
      const dirs = { ...prepareRun('corpus', empty), ws: empty };
      server = await startCodeServer(dirs, vsixPath());
      browser = await launchBrowser();
    });

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    for (const k of CASES) {
      describe(k.name, () => {
        let c: CorpusCase;
        let project: CorpusProject;
        let expected: MemoryMapModel;
        let page: Page;
        let frame: Frame;
        const consoleErrors: string[] = [];

        beforeAll(async () => {
          c = corpusCase(k.name);
          project = corpusProject(c, tmp);
          expected = cliMap(project.elf);
          page = await openWorkbench(browser, server.port, project.dir, consoleErrors);
          await activityIcon(page).click();
          frame = await frameWith(page, 'body[data-updated]');
          // the model of this build is rendered: regions drawn and the map it used named
          await frame.locator('.region[data-region="DRAM"]').waitFor({ timeout: 60_000 });
          await frame.locator('.summary .inputs[data-map]').waitFor({ timeout: 30_000 });
          // for the picture: the Dynamic Libraries tree folded (the table comes into view), the
          // pointer off the activity bar (its hover would cover the view)
          const tree = page.locator('.pane-header', { hasText: 'Dynamic Libraries' }).first();
          if ((await tree.getAttribute('aria-expanded')) === 'true') {
            const height = await frame.evaluate(() => window.innerHeight);
            await tree.click();
            await waitFor('the map view to grow', async () => (await frame.evaluate(() => window.innerHeight)) > height, 10_000);
          }
          await page.mouse.move(900, 500);
          await page
            .locator('.monaco-hover, .workbench-hover', { hasText: 'Memory Manager' })
            .waitFor({ state: 'hidden', timeout: 10_000 });
          await shot(page, `corpus-${k.name}`);
        });

        afterAll(async () => {
          await page?.close();
        });

        it('the CLI reads the same build with its map (the independent side)', () => {
          expect(expected.inputs?.map && 'path' in expected.inputs.map ? basename(expected.inputs.map.path) : expected.inputs?.map).toBe(
            project.mapName,
          );
          expect(expected.libraries.map((l) => l.name)).not.toContain('(global symbols)');
        });

        it('lists archives, not symbols, with the top rows of esp32mm map --json', async () => {
          const rowsOf = (f: Frame) =>
            f.locator('table.libs tbody tr').evaluateAll((trs) =>
              trs.map((tr) => ({
                name: tr.getAttribute('data-library') ?? '',
                archive: tr.getAttribute('data-archive') ?? '',
                total: Number(tr.querySelector('td')?.getAttribute('data-bytes')),
              })),
            );
          // the sidebar: the five largest, and how many more the editor tab lists
          const largest = [...expected.libraries].sort((a, b) => b.total - a.total || a.name.localeCompare(b.name)).slice(0, 5);
          expect(await rowsOf(frame)).toEqual(largest.map((l) => ({ name: l.name, archive: l.archive, total: l.total })));
          expect(await frame.locator('.more').getAttribute('data-more')).toBe(String(expected.libraries.length - 5));
          await runCommand(page, 'Memory Manager: Open Memory Map');
          const full = await frameWith(page, 'body[data-layout="full"] .region');
          await full.locator('table.libs tbody tr').first().waitFor({ timeout: 30_000 });
          const rows = await rowsOf(full);
          const names = rows.map((r) => r.name);
          for (const lib of ['freertos', 'esp_system', 'c']) expect(names).toContain(lib);
          expect(names).not.toContain('(global symbols)');
          expect(names).not.toContain('(no symbol)');
          expect(rows.filter((r) => !/\.(a|o)$/.test(r.archive))).toEqual([]); // every row an archive or object file
          expect(rows.find((r) => r.name === 'c')?.archive).toBe('libc.a');
          expect(rows.length).toBe(expected.libraries.length);
          const top = 10;
          expect(rows.slice(0, top)).toEqual(
            expected.libraries.slice(0, top).map((l) => ({ name: l.name, archive: l.archive, total: l.total })),
          );
        });

        it("DRAM is the map's own dram0_0_seg length; every region as the CLI says", async () => {
          const dram = dramSegLength(readFileSync(c.mapPath, 'latin1'));
          if (k.name === 'esp32cam_idf_demo') expect(dram).toBe(180_736);
          expect(await frame.locator('.region[data-region="DRAM"]').getAttribute('data-size')).toBe(String(dram));
          for (const r of expected.regions) {
            const el = frame.locator(`.region[data-region="${r.name}"]`);
            expect(await el.getAttribute('data-used'), r.name).toBe(String(r.used));
            expect(await el.getAttribute('data-size'), r.name).toBe(String(r.size));
          }
          expect(await frame.locator('.region').count()).toBe(expected.regions.length);
        });

        it('shows the app partition factory of 1 MB from partitions.bin', async () => {
          const fact = frame.locator('[data-app-partition]');
          expect(await fact.count()).toBe(1);
          expect(await fact.getAttribute('data-app-partition')).toBe('factory');
          expect(await fact.getAttribute('data-size')).toBe('1048576');
          expect(expected.appPartition?.name).toBe('factory');
          expect(await fact.getAttribute('data-used')).toBe(String(expected.appPartition?.used));
          expect(Number(await fact.getAttribute('data-used'))).toBeGreaterThan(0);
        });

        it("names the map it used: the build's <project>.map", async () => {
          const map = await frame.locator('.summary .inputs[data-map]').getAttribute('data-map');
          expect(map).toBeTruthy();
          expect(map!.endsWith('/' + project.mapName)).toBe(true);
          expect(await frame.locator('.summary .inputs').textContent()).toContain(`Map: ${project.mapName}`);
        });

        it(`draws no PSRAM region and shows the chip ${k.chipName}`, async () => {
          const regionNames = await frame.locator('.region').evaluateAll((els) => els.map((e) => e.getAttribute('data-region')));
          expect(regionNames.filter((n) => /psram|spiram|ext/i.test(n ?? ''))).toEqual([]);
          expect(expected.regions.map((r) => r.name)).not.toContain('PSRAM');
          expect((await frame.locator('.summary .fact').first().textContent())?.trim()).toBe(k.chipName);
          expect(expected.chipName).toBe(k.chipName);
        });

        it('Open Memory Map: headroom = appPartition, the freertos drill-down = map --files', async () => {
          await runCommand(page, 'Memory Manager: Open Memory Map');
          const full = await frameWith(page, 'body[data-layout="full"] .region');
          const headroom = full.locator('.headroom');
          await headroom.waitFor({ timeout: 30_000 });
          const p = expected.appPartition!;
          expect(await headroom.getAttribute('data-used')).toBe(String(p.used));
          expect(await headroom.getAttribute('data-size')).toBe(String(p.size));
          expect(await headroom.getAttribute('data-free')).toBe(String(p.free));
          const files = (
            JSON.parse(
              execFileSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'map', project.elf, '--files', '--json'], {
                encoding: 'utf8',
                maxBuffer: 64 << 20,
              }),
            ) as { objects: { object: string; archive: string; total: number }[] }
          ).objects.filter((o) => o.archive === 'libfreertos.a');
          await full.locator('tr[data-library="freertos"] button.drill').click();
          const rows = full.locator('tr.objects[data-parent="freertos"]');
          await rows.first().waitFor({ timeout: 30_000 });
          expect(
            await rows.evaluateAll((trs) =>
              trs.map((t) => ({ object: t.querySelector('.object')!.textContent, total: Number(t.getAttribute('data-bytes')) })),
            ),
          ).toEqual(files.map((o) => ({ object: o.object, total: o.total })));
          await shot(page, `corpus-${k.name}-full`);
        });

        it('raises no CSP violations or errors from the webview', () => {
          expect(consoleErrors.filter((e) => /Content Security Policy|Refused to|webview\.js|pageerror/i.test(e))).toEqual([]);
        });
      });
    }
  });
}

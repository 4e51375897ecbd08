// The full Memory Map in an editor tab ("Memory Manager: Open Memory Map") in a real VS Code
// (code-server), on a copy of the example with a small partition table of its own: every
// number is checked against the CLI on the same build — regions (`map --json`), app-partition
// headroom and its threshold, drill-down rows (`map --files`, `map --archive`), the
// comparisons with the unsplit ELF and with the previous build (`map --diff`), drill-down in
// the unsplit firmware after the split (`map firmware.full.elf --files/--archive`) with a
// symbol opening its definition line, and the exports: CSV (`map --archives --format csv`),
// JSON (the model's exported fields) and Markdown (tables parsed back to the model's rows).
// Search, sort and drill-down are driven by keyboard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
import type { DiffView, MemoryMapModel, ObjectRow, SymbolRow } from '../../webview-ui/model';
import { EXPORTED_FIELDS } from '../../src/core/memmap/export';
import { parseMarkdownTables } from '../helpers/markdown';

const example = exampleProject();
let dirs: RunDirs;
let server: CodeServer;
let browser: Browser;
let page: Page;
let frame: Frame;
const consoleErrors: string[] = [];
const build = () => join(dirs.ws, '.pio', 'build', example.env);
const elf = () => join(build(), 'firmware.elf');
const partitions = () => join(dirs.ws, 'partitions.csv');

function cli<T>(...args: string[]): T {
  return cliOn<T>(elf(), ...args);
}

/** `esp32mm map <firmware> … --json`; for firmware.full.elf the build's own map is named (it lies beside firmware.elf). */
function cliOn<T>(firmware: string, ...args: string[]): T {
  return JSON.parse(
    execFileSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'map', firmware, '--partitions', partitions(), ...args, '--json'], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }),
  );
}

/** The 1-based line of `file` holding `text` (exactly one must). */
function lineOf(file: string, text: string): number {
  const hits = readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  expect(hits, text).toHaveLength(1);
  return hits[0];
}

const stamp = async () => Number(await frame.locator('body').getAttribute('data-updated'));

beforeAll(async () => {
  dirs = prepareRun('full-view', example.dir);
  // a factory app partition of 40 KiB: the unsplit image fills ≥ 95 % of it
  writeFileSync(
    partitions(),
    '# Name, Type, SubType, Offset, Size\nnvs, data, nvs, 0x9000, 0x6000\nfactory, app, factory, 0x10000, 0xA000\n',
  );
  const ini = readFileSync(join(dirs.ws, 'platformio.ini'), 'utf8');
  if (!/^board_build\.partitions = partitions\.csv$/m.test(ini))
    writeFileSync(join(dirs.ws, 'platformio.ini'), ini.replace(/^(board = .*)$/m, '$1\nboard_build.partitions = partitions.csv'));
  // PlatformIO would build partitions.bin from the changed CSV; with no build here, the copy's
  // partitions.bin (the example's own table) goes, so the view reads the CSV the project names.
  rmSync(join(build(), 'partitions.bin'), { force: true });
  server = await startCodeServer(dirs, vsixPath());
  browser = await launchBrowser();
  page = await openWorkbench(browser, server.port, dirs.ws, consoleErrors);
  await activityIcon(page).click();
  await (await frameWith(page, 'body[data-layout="sidebar"] .region')).locator('.region').first().waitFor();
  await runCommand(page, 'Memory Manager: Open Memory Map');
  frame = await frameWith(page, 'body[data-layout="full"] .region');
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('Open Memory Map (editor tab)', () => {
  it('renders the model of esp32mm map --json with the app partition headroom and its threshold', async () => {
    const expected = cli<MemoryMapModel>();
    for (const r of expected.regions) {
      expect(await frame.locator(`.region[data-region="${r.name}"]`).getAttribute('data-used'), r.name).toBe(String(r.used));
      expect(await frame.locator(`.region[data-region="${r.name}"]`).getAttribute('data-size'), r.name).toBe(String(r.size));
    }
    const p = expected.appPartition!;
    expect(p).toMatchObject({ name: 'factory', size: 0xa000 });
    const headroom = frame.locator('.headroom');
    expect(await headroom.getAttribute('data-used')).toBe(String(p.used));
    expect(await headroom.getAttribute('data-free')).toBe(String(p.free));
    expect(p.used / p.size).toBeGreaterThanOrEqual(0.95);
    expect(await headroom.getAttribute('data-level')).toBe('error');
    // the threshold is drawn in a theme colour: the bar is not the ok colour
    const [used, ok] = await frame.evaluate(() => [
      getComputedStyle(document.querySelector('.headroom-used')!).backgroundColor,
      getComputedStyle(document.body).getPropertyValue('--vscode-charts-green'),
    ]);
    expect(used).not.toBe(ok);
    await shot(page, 'full-1-open');
  });

  it('filters by keyboard: typed text leaves the libraries whose name or archive contains it', async () => {
    const expected = cli<MemoryMapModel>()
      .libraries.filter((l) => /mm_/i.test(l.name) || /mm_/i.test(l.archive))
      .map((l) => l.name)
      .sort();
    await frame.locator('#filter').focus();
    await page.keyboard.type('mm_');
    await waitFor('the filter', async () => (await frame.locator('body').getAttribute('data-filtered')) === 'mm_');
    const visible = await frame
      .locator('table.libs tbody tr:not([hidden])')
      .evaluateAll((trs) => trs.map((t) => t.getAttribute('data-library')!).sort());
    expect(visible).toEqual(expected);
    expect(visible.length).toBeGreaterThan(1);
    await shot(page, 'full-2-filtered');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await waitFor('the filter cleared', async () => (await frame.locator('body').getAttribute('data-filtered')) === '');
  });

  it('sorts by keyboard (Enter on a column header)', async () => {
    await frame.locator('button.sort[data-sort="name"]').focus();
    await page.keyboard.press('Enter');
    expect(await frame.locator('th[data-column="name"]').getAttribute('aria-sort')).toBe('ascending');
    const names = await frame.locator('table.libs tbody tr').evaluateAll((trs) => trs.map((t) => t.getAttribute('data-library')!));
    expect(names).toEqual([...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    await frame.locator('button.sort[data-sort="total"]').focus();
    await page.keyboard.press('Enter');
    expect(await frame.locator('th[data-column="total"]').getAttribute('aria-sort')).toBe('descending');
  });

  it('drills down by keyboard: archive → object files (= map --files) → symbols (= map --archive)', async () => {
    const lib = 'FrameworkArduino';
    const files = cli<{ objects: ObjectRow[] }>('--files').objects.filter((o) => o.archive === `lib${lib}.a`);
    await frame.locator(`tr[data-library="${lib}"] button.drill`).focus();
    await page.keyboard.press('Enter');
    const objects = frame.locator(`tr.objects[data-parent="${lib}"]`);
    await objects.first().waitFor({ timeout: 15_000 });
    const shown = await objects.evaluateAll((trs) =>
      trs.map((t) => ({ object: t.querySelector('.object')!.textContent, total: Number(t.getAttribute('data-bytes')) })),
    );
    expect(shown).toEqual(files.map((o) => ({ object: o.object, total: o.total })));
    const first = files[0];
    const symbols = cli<{ symbols: SymbolRow[] }>('--archive', lib).symbols.filter((s) => s.object === first.member);
    await frame.locator(`tr.objects[data-object="${first.member}"] button.drill`).focus();
    await page.keyboard.press('Enter');
    const rows = frame.locator(`tr.symbols[data-object="${first.member}"]`);
    await rows.first().waitFor({ timeout: 15_000 });
    expect(
      await rows.evaluateAll((trs) =>
        trs.map((t) => ({ name: t.getAttribute('data-symbol'), size: Number(t.getAttribute('data-bytes')) })),
      ),
    ).toEqual(symbols.map((s) => ({ name: s.name, size: s.size })));
    expect(await frame.locator(`tr[data-library="${lib}"] button.drill`).getAttribute('aria-expanded')).toBe('true');
    await shot(page, 'full-3-drill-down');
    // a framework archive's objects have nothing in the project to open: no links
    expect(await objects.locator('button.open').count()).toBe(0);
  });

  it('after a split: the headline says RAM unchanged, the headroom drops, the diff against the unsplit ELF = map --diff', async () => {
    const before = await stamp();
    await runCommand(page, 'Memory Manager: Split Libraries');
    await waitFor(
      'the split to show',
      async () => (await stamp()) > before && (await frame.locator('body').getAttribute('data-mode')) === 'after',
      30_000,
    );
    const expected = cli<MemoryMapModel>();
    expect(expected.split).toBe(true);
    expect(await frame.locator('.headroom').getAttribute('data-used')).toBe(String(expected.appPartition!.used));
    expect(await frame.locator('.headroom').getAttribute('data-level')).toBe('ok');
    expect(await frame.locator('.summary .headline').getAttribute('data-ram-change')).toBe('0');
    await frame.locator('#compare').selectOption('unsplit');
    const table = frame.locator('.comparison[data-against="unsplit"] table');
    await table.waitFor();
    const diff = cli<DiffView>('--diff', join(build(), 'firmware.full.elf'));
    const rows = await table
      .locator('tbody tr[data-kind="archive"]')
      .evaluateAll((trs) => trs.map((t) => [t.getAttribute('data-name'), Number(t.getAttribute('data-change'))]));
    expect(rows).toEqual(diff.archives.filter((a) => a.change !== 0).map((a) => [a.name, a.change]));
    const regions = await table
      .locator('tbody tr[data-kind="region"]')
      .evaluateAll((trs) => trs.map((t) => [t.getAttribute('data-name'), Number(t.getAttribute('data-change'))]));
    expect(regions).toEqual(diff.regions.map((r) => [r.name, r.change]));
    await shot(page, 'full-4-diff-unsplit');
  });

  it('drills down in the unsplit firmware too (Before split): rows = map firmware.full.elf --files / --archive, a symbol opens its definition line', async () => {
    const full = join(build(), 'firmware.full.elf');
    const map = join(build(), 'firmware.map');
    const lib = 'TinyClassifier';
    await frame.locator('#compare').selectOption(''); // the libraries, not the comparison the last test chose
    await frame.locator('#mode vscode-radio[value="before"]').click();
    await waitFor('the unsplit firmware to show', async () => (await frame.locator('body').getAttribute('data-mode')) === 'before');
    const files = cliOn<{ objects: ObjectRow[] }>(full, '--map', map, '--files').objects.filter((o) => o.archive === `lib${lib}.a`);
    expect(files.length).toBeGreaterThan(0);
    await frame.locator(`tr[data-library="${lib}"] button.drill`).focus();
    await page.keyboard.press('Enter');
    const objects = frame.locator(`tr.objects[data-parent="${lib}"]`);
    await objects.first().waitFor({ timeout: 15_000 });
    expect(
      await objects.evaluateAll((trs) =>
        trs.map((t) => ({ object: t.querySelector('.object')!.textContent, total: Number(t.getAttribute('data-bytes')) })),
      ),
    ).toEqual(files.map((o) => ({ object: o.object, total: o.total })));
    // a project library's object opens its source file
    const source = join(dirs.ws, 'lib', lib, 'src', 'TinyClassifier.cpp');
    expect(await objects.first().locator('button.open').getAttribute('data-open')).toBe(source);
    const member = files[0].member!;
    const symbols = cliOn<{ symbols: SymbolRow[] }>(full, '--map', map, '--archive', lib).symbols.filter((s) => s.object === member);
    await frame.locator(`tr.objects[data-object="${member}"] button.drill`).click();
    const rows = frame.locator(`tr.symbols[data-object="${member}"]`);
    await rows.first().waitFor({ timeout: 15_000 });
    expect(
      await rows.evaluateAll((trs) =>
        trs.map((t) => ({ name: t.getAttribute('data-symbol'), size: Number(t.getAttribute('data-bytes')) })),
      ),
    ).toEqual(symbols.map((s) => ({ name: s.name, size: s.size })));
    // symbols link to their definition line; ones with no line found are plain text
    const classify = rows.locator('button.open[data-line]', { hasText: /^_ZNK10Classifier8classifyEPKh$/ });
    expect(await classify.getAttribute('data-line')).toBe(String(lineOf(source, 'int Classifier::classify(')));
    expect(await rows.locator('button.open').count()).toBeGreaterThan(3);
    expect(await rows.locator('button.open:not([data-line])').count()).toBe(0);
    await shot(page, 'full-4b-drill-down-before-split');
    await classify.click();
    await page.locator('.tabs-container .tab.active[data-resource-name="TinyClassifier.cpp"]').waitFor({ timeout: 15_000 });
    const line = lineOf(source, 'int Classifier::classify(');
    await waitFor(
      'the cursor on the definition',
      async () => ((await page.locator('#status\\.editor\\.selection').textContent()) ?? '').includes(`Ln ${line},`),
      15_000,
    );
    await shot(page, 'full-4c-symbol-source');
    await runCommand(page, 'View: Close Editor');
    await frame.locator('#mode vscode-radio[value="after"]').click();
    await waitFor('the split firmware to show again', async () => (await frame.locator('body').getAttribute('data-mode')) === 'after');
  });

  it('keeps the previous build: a new link offers the changes against it (= map --diff of the two builds)', async () => {
    const previous = join(dirs.root, 'previous.elf');
    writeFileSync(previous, readFileSync(elf()));
    writeFileSync(previous.replace(/\.elf$/, '.map'), readFileSync(join(build(), 'firmware.map')));
    const before = await stamp();
    // a new link with other contents (the fixture firmware without dynamic libraries), map first, ELF renamed into place
    const fixture = join(REPO, 'test', 'fixtures', 'firmware', 'out', 'xtensa');
    rmSync(join(build(), 'firmware.full.elf'));
    writeFileSync(join(build(), 'firmware.map'), readFileSync(join(fixture, 'fw_nomm.map')));
    writeFileSync(elf() + '.tmp', readFileSync(join(fixture, 'fw_nomm.elf')));
    renameSync(elf() + '.tmp', elf());
    await waitFor('the new build to show', async () => (await stamp()) > before, 20_000);
    await waitFor(
      'the previous-build option',
      async () => (await frame.locator('#compare option[value="previous"]').count()) === 1,
      10_000,
    );
    await frame.locator('#compare').selectOption('previous');
    const table = frame.locator('.comparison[data-against="previous"] table');
    await table.waitFor();
    const diff = cli<DiffView>('--diff', previous);
    const rows = await table
      .locator('tbody tr[data-kind="archive"]')
      .evaluateAll((trs) => trs.map((t) => [t.getAttribute('data-name'), Number(t.getAttribute('data-change'))]));
    expect(rows).toEqual(diff.archives.filter((a) => a.change !== 0).map((a) => [a.name, a.change]));
    expect(rows.length).toBeGreaterThan(0);
    await shot(page, 'full-5-diff-previous');
    await frame.locator('#compare').selectOption('');
  });

  /** Export from the toolbar into `target` through VS Code's save dialog. */
  async function exportTo(format: 'csv' | 'json' | 'md', target: string): Promise<string> {
    await frame.locator(`button[data-export="${format}"]`).click();
    const input = page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    // code-server's save dialog fills in its default path once it has read the folder, which
    // can come after our fill: fill again until the dialog holds our path
    await input.fill(target);
    await waitFor('the dialog to hold the path', async () => {
      if ((await input.inputValue()) === target) return true;
      await input.fill(target);
      return false;
    });
    await shot(page, `full-6-save-dialog-${format}`);
    await page.keyboard.press('Enter');
    try {
      // code-server's save dialog ignores an Enter while it still reads the folder: it then
      // stays open with the path, and takes the next Enter
      await waitFor(
        `the exported ${format}`,
        async () => {
          if (existsSync(target)) return true;
          if ((await input.isVisible()) && (await input.inputValue()) === target) await page.keyboard.press('Enter');
          return false;
        },
        15_000,
        500,
      );
    } catch (e) {
      await shot(page, `full-export-${format}-failed`);
      throw e;
    }
    return readFileSync(target, 'utf8');
  }

  it('exports CSV equal to esp32mm map --archives --format csv', async () => {
    const csv = await exportTo('csv', join(dirs.ws, `memory-map-${example.env}.csv`));
    const expected = execFileSync(
      process.execPath,
      [join(REPO, 'dist', 'cli.js'), 'map', elf(), '--partitions', partitions(), '--archives', '--format', 'csv'],
      { encoding: 'utf8' },
    );
    expect(csv).toBe(expected);
    await shot(page, 'full-6-exported');
  });

  it('exports JSON equal to the model of esp32mm map --json (its exported fields, no machine paths)', async () => {
    const json = JSON.parse(await exportTo('json', join(dirs.ws, `memory-map-${example.env}.json`)));
    // the extension passes the environment's board, as --board does (the chip is then known from it)
    const board = /^board = (\S+)$/m.exec(readFileSync(join(dirs.ws, 'platformio.ini'), 'utf8'))![1];
    const expected = cli<MemoryMapModel>('--board', board) as unknown as Record<string, unknown>;
    const { notes, ...rest } = json;
    const keep = EXPORTED_FIELDS.filter((k) => expected[k] !== undefined && k !== 'notes');
    expect(rest).toEqual(Object.fromEntries(keep.map((k) => [k, expected[k]])));
    // the notes are the CLI's in VS Code's words (commands and settings, not flags)
    expect((notes as string[]).length).toBe((expected.notes as string[]).length);
    expect(Object.keys(json)).not.toContain('inputs');
  });

  it('exports Markdown whose tables parse back to the rows of esp32mm map --json', async () => {
    const md = await exportTo('md', join(dirs.ws, `memory-map-${example.env}.md`));
    const expected = cli<MemoryMapModel>();
    const [regions, libs] = parseMarkdownTables(md);
    expect(regions.rows.map((r) => [r[0], Number(r[2])])).toEqual(expected.regions.map((r) => [r.name, r.size]));
    const used = expected.regions.filter((r) => r.used > 0);
    expect(libs.header).toEqual(['Library', 'Archive', 'Dynamic', 'Total', ...used.map((r) => r.name)]);
    expect(libs.rows.slice(0, -1)).toEqual(
      expected.libraries.map((l) => [
        l.name,
        l.archive,
        l.dynamic ? 'yes' : '',
        String(l.total),
        ...used.map((r) => String(l.byRegion[r.name] ?? 0)),
      ]),
    );
    expect(libs.rows.at(-1)).toEqual(['linker fill', '', '', String(expected.fill), ...used.map((r) => String(r.fill))]);
    await shot(page, 'full-7-exported-markdown');
  });

  it('raises no CSP violations or errors from the webview', () => {
    expect(consoleErrors.filter((e) => /Content Security Policy|Refused to|webview\.js|pageerror/i.test(e))).toEqual([]);
  });
});

// The views of `esp32mm map` on every real build of ../shared/real-builds: per object file
// (--files) against the independent count exactly, the archives view's parts against
// esp-idf-size 2.0.0 up to the definitions docs/memmap-json.md names, one archive's symbols
// (--archive), and two builds of one chip side by side (--diff). The whole command runs as a
// process (node dist/cli.js, so `npm run build` first) for --files, --diff and --archive.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../src/core/elf/reader';
import { baseName, decodeMapFile } from '../../src/core/mapfile/parse';
import { loadMemoryMap } from '../../src/core/memmap/load';
import type { MemoryMapModel } from '../../src/core/memmap/model';
import { archiveSymbolsView, filesView, partName, type DiffView, type FilesView } from '../../src/core/memmap/views';
import { corpusAvailable, corpusCases, corpusExpected, type CorpusCase, reportMissingCorpus } from '../helpers/corpus';
import { rebuildCorpusElf } from '../helpers/corpus-elf';
import { CLI, tempDir } from '../helpers/tools';
import { parseCsv } from '../helpers/csv';

interface IndependentCount {
  objects: Record<string, number>;
}
/** esp-idf-size `--archives --format json2`: per archive path, per memory type, per output section. */
type IdfSizeArchives = Record<
  string,
  { size: number; memory_types: Record<string, { size: number; sections: Record<string, { size: number; abbrev_name: string }> }> }
>;

/**
 * Output sections esp-idf-size 2.0.0 does not list at all (its tables predate them); ours
 * count their bytes like any other section's. All of them are RTC memory.
 */
const UNKNOWN_TO_ESP_IDF_SIZE = ['.rtc.force_fast', '.rtc_reserved', '.rtc_slow_reserved'];
/** esp-idf-size's one entry for every object file linked directly, not from an archive. */
const EXE = '(exe)';

const cases = corpusCases();

if (!corpusAvailable()) {
  describe('real-builds corpus', () => {
    reportMissingCorpus();
  });
}

/** `node dist/cli.js map …`: stdout, stderr and exit code. */
function esp32mm(...args: string[]): { code: number; out: string; err: string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const r = spawnSync(process.execPath, [CLI, 'map', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const models = new Map<string, Promise<MemoryMapModel>>();
const mapOnly = (c: CorpusCase) => models.get(c.name) ?? models.set(c.name, loadMemoryMap({ map: c.mapPath })).get(c.name)!;
const mapText = (c: CorpusCase) => decodeMapFile(readFileSync(c.mapPath));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const isArchive = (name: string) => name.endsWith('.a');

describe.each(cases)('$name', (c) => {
  it('--files (as a process, CSV): per object totals equal the independent count exactly', async () => {
    const r = esp32mm('--map', c.mapPath, '--files', '--format', 'csv');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const [header, ...rows] = parseCsv(r.out);
    const col = (name: string) => header.indexOf(name);
    const objects = rows.filter((row) => row[0] !== '*fill*');
    const ours = Object.fromEntries(objects.map((row) => [row[col('Path')], Number(row[col('Total')])]));
    expect(objects.length, 'one row per file').toBe(Object.keys(ours).length);
    expect(ours).toEqual(corpusExpected<IndependentCount>(c, 'independent-count.json').objects);
    // The same numbers as the view in process, and as the model per archive.
    const m = await mapOnly(c);
    const v: FilesView = filesView(m, mapText(c));
    expect(objects.map((row) => [row[col('Object')], row[col('Path')], Number(row[col('Total')])])).toEqual(
      v.objects.map((o) => [o.object, o.path, o.total]),
    );
    for (const l of m.libraries) {
      const mine = v.objects.filter((o) => (isArchive(l.archive) ? o.archive === l.archive : o.object === l.archive));
      expect(sum(mine.map((o) => o.total)), l.archive).toBe(l.total);
    }
  });

  it('archives: per archive and output section the bytes esp-idf-size shows, up to the named definitions', async () => {
    const m = await mapOnly(c);
    const idf = corpusExpected<IdfSizeArchives>(c, 'esp-idf-size-archives.json');
    // Their part names are our abbreviation rule, section by section.
    const listed = new Set<string>();
    for (const a of Object.values(idf)) {
      for (const mt of Object.values(a.memory_types)) {
        for (const [section, s] of Object.entries(mt.sections)) {
          expect(s.abbrev_name, section).toBe(partName(section));
          listed.add(section);
        }
      }
    }
    // Theirs per archive file name (their keys are paths; Windows paths split on '\' too).
    const theirs = new Map<string, Record<string, number>>();
    for (const [path, a] of Object.entries(idf)) {
      const key = path === EXE ? EXE : baseName(path);
      const t = theirs.get(key) ?? {};
      for (const mt of Object.values(a.memory_types))
        for (const [section, s] of Object.entries(mt.sections)) if (s.size) t[section] = (t[section] ?? 0) + s.size;
      theirs.set(key, t);
    }
    // Ours: the model's archives; every object linked directly together, as their (exe).
    const ours = new Map<string, Record<string, number>>();
    for (const l of m.libraries) {
      const key = isArchive(l.archive) ? l.archive : EXE;
      const t = ours.get(key) ?? {};
      for (const [section, b] of Object.entries(l.bySection)) {
        // (1) Sections esp-idf-size does not know: not in its output at all.
        if (UNKNOWN_TO_ESP_IDF_SIZE.includes(section)) {
          expect(listed.has(section), section).toBe(false);
          continue;
        }
        t[section] = (t[section] ?? 0) + b;
      }
      ours.set(key, t);
    }
    expect(Object.fromEntries(ours)).toEqual(Object.fromEntries(theirs));
  });

  it("--archive on the largest archive: from the map its bytes exactly; from the rebuilt ELF's symbols at most its total", async () => {
    const m = await mapOnly(c);
    const largest = m.libraries.filter((l) => isArchive(l.archive)).sort((a, b) => b.total - a.total)[0];
    const text = mapText(c);
    const fromMap = archiveSymbolsView(m, text, largest);
    expect(fromMap.listed).toBe(largest.total);
    expect(sum(fromMap.symbols.map((s) => s.size))).toBe(largest.total);
    const elf = readElf(rebuildCorpusElf(c));
    const fromElf = archiveSymbolsView(m, text, largest, elf);
    expect(fromElf.symbols.length).toBeGreaterThan(0);
    expect(sum(fromElf.symbols.map((s) => s.size))).toBeLessThanOrEqual(largest.total);
    expect(fromElf.listed).toBe(sum(fromElf.symbols.map((s) => s.size)));
  });
});

// Cases by name and pairs of cases: only when the corpus is there (the suites would be empty).
if (corpusAvailable()) {
  describe('the whole command on a case, as a process', () => {
    // A Windows PlatformIO build of ESP-IDF 4.4 (ESP32): every part esp-idf-size shows, and a padding-only section.
    const c = cases.find((x) => x.name === 'esp32_idf_spwm')!;

    it('--archive with the rebuilt ELF: its symbol table; table and JSON', () => {
      const dir = tempDir('esp32mm-corpus-views-');
      const elf = join(dir, 'firmware.elf');
      writeFileSync(elf, rebuildCorpusElf(c));
      const json = esp32mm(elf, '--map', c.mapPath, '--archive', 'c', '--format', 'json');
      expect(json.code).toBe(0);
      const v = JSON.parse(json.out);
      expect(v).toMatchObject({ view: 'archive', archive: 'libc.a', source: 'elf' });
      expect(v.listed).toBeLessThanOrEqual(v.total);
      const table = esp32mm(elf, '--map', c.mapPath, '--archive', 'libc.a');
      expect(table.code).toBe(0);
      expect(table.out).toMatch(/^libc\.a: [\d,]+ symbols from the ELF's symbol table/m);
      // The largest symbol first, as in the JSON.
      const top = v.symbols[0];
      const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const row = [top.name, top.section, top.object, `0x${top.address.toString(16).padStart(8, '0')}`, top.size.toLocaleString('en-US')]
        .map(esc)
        .join('\\s+');
      expect(table.out).toMatch(new RegExp(`^Name\\s+Section\\s+Object\\s+Address\\s+Size\\n${row}$`, 'm'));
    });

    it('the summary table shows the parts; an unknown archive is a plain error', () => {
      const r = esp32mm('--map', c.mapPath);
      expect(r.code).toBe(0);
      // Padding-only sections are parts too (.iram0.text_end): their bytes are in the fill row.
      expect(r.out).toMatch(
        /^Archive\s+Total\s+IRAM\s+\.vectors\s+\.text\s+\.text_end\s+DRAM\s+\.data\s+\.bss\s+RTC Slow\s+Flash Code\s+Flash Data\s+\.appdesc\s+\.rodata$/m,
      );
      expect(r.out).toMatch(/^\*fill\*\s+2,247\s+1,181\s+599\s+581\s+1\s/m);
      const bad = esp32mm('--map', c.mapPath, '--archive', 'nosuch');
      expect(bad.code).toBe(1);
      expect(bad.err).toMatch(/^esp32mm map: no archive 'nosuch' in this build \(the largest: libc\.a/);
      expect(bad.err).not.toMatch(/\n\s+at /);
    });
  });

  describe('--diff between builds of one chip (the esp32 cases)', () => {
    const esp32 = cases.filter((c) => c.chip === 'esp32');
    const pairs = esp32.slice(1).map((c, i) => [esp32[i], c] as const);

    it.each(pairs.map(([a, b]) => ({ name: `${a.name} against ${b.name}`, a, b })))(
      '$name: exits 0, the changes add up to the difference of the totals',
      async ({ a, b }) => {
        const r = esp32mm('--map', a.mapPath, '--diff', b.mapPath, '--format', 'json');
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        const v = JSON.parse(r.out) as DiffView;
        const [ma, mb] = await Promise.all([mapOnly(a), mapOnly(b)]);
        const total = (m: MemoryMapModel) => sum(m.sections.map((s) => s.size));
        expect(v.total).toEqual({ current: total(ma), reference: total(mb), change: total(ma) - total(mb) });
        expect(sum(v.archives.map((x) => x.change)) + v.fill.change).toBe(v.total.change);
        for (const region of v.regions) {
          const used = (m: MemoryMapModel) => m.regions.find((g) => g.name === region.name)?.used ?? 0;
          expect(region, region.name).toEqual({ name: region.name, current: used(ma), reference: used(mb), change: used(ma) - used(mb) });
        }
        const changes = v.archives.map((x) => Math.abs(x.change));
        expect(changes).toEqual([...changes].sort((p, q) => q - p));
        // The table says the same in words.
        const table = execFileSync(process.execPath, [CLI, 'map', '--map', a.mapPath, '--diff', b.mapPath], { encoding: 'utf8' });
        expect(table).toMatch(new RegExp(`^Total\\s+${total(ma).toLocaleString('en-US')}\\s+${total(mb).toLocaleString('en-US')}\\s`, 'm'));
      },
    );
  });
}

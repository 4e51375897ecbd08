// The views of `esp32mm map` (archives, files, one archive's symbols, diff) on the committed
// fixtures: each adds up to the model it is derived from, and each format (table, JSON, CSV)
// carries the same numbers — the CSV is parsed back and compared with the JSON.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readElf } from '../../../src/core/elf/reader';
import { SymbolType } from '../../../src/core/elf/types';
import { buildMemoryMap, type MemoryMapModel } from '../../../src/core/memmap/model';
import {
  archiveSymbolsView,
  archivesView,
  diffView,
  filesView,
  findArchive,
  memoryTypeHeaders,
  partName,
  symbolOfInputSection,
  toCsv,
  viewCsv,
  type ArchivesView,
  type FilesView,
  type MemoryTypeBytes,
  type MemoryTypeColumn,
} from '../../../src/core/memmap/views';
import { mapCommand } from '../../../src/cli/map';
import { parseCommandArgs, UsageError } from '../../../src/cli/command';
import { FIXTURES, abs, bytes, text, type Fixture } from './fixtures';
import { parseCsv } from '../../helpers/csv';

/** Rows of a parsed CSV as objects by header, numbers where the header says so. */
function records(csv: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(csv);
  for (const r of rows) expect(r.length).toBe(header.length);
  return rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

/** `esp32mm map …` in process: what it prints on stdout, and its exit code. */
async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    out += a.join(' ') + '\n';
  });
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    const { positionals, values } = parseCommandArgs(mapCommand, args);
    return { code: await mapCommand.run(positionals, values), out };
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
}

const model = (f: Fixture): MemoryMapModel => buildMemoryMap({ elf: bytes(f.elf), mapText: text(f.map), chip: f.chipOption });
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const sectionsTotal = (m: MemoryMapModel) => sum(m.sections.map((s) => s.size));

/** Bytes per memory type and part, summed over rows. */
function addUp(rows: Record<string, MemoryTypeBytes>[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const row of rows) {
    for (const [mt, m] of Object.entries(row)) {
      expect(sum(Object.values(m.parts)), mt).toBe(m.total);
      for (const [p, b] of Object.entries(m.parts)) (out[mt] ??= {})[p] = (out[mt][p] ?? 0) + b;
    }
  }
  return out;
}

/** The model's own bytes of a library per region and part, read from its bySection and sections. */
function expectedParts(m: MemoryMapModel, bySection: Record<string, number>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [name, b] of Object.entries(bySection)) {
    if (!b) continue;
    const region = m.sections.find((s) => s.name === name)!.region;
    const part = name.slice(name.lastIndexOf('.'));
    (out[region] ??= {})[part] = (out[region][part] ?? 0) + b;
  }
  return out;
}

/** A view's rows against its CSV: every row, every column. */
function checkPartsCsv(csv: string, view: ArchivesView | FilesView, key: 'Archive' | 'Object'): void {
  const recs = records(csv);
  const rows =
    view.view === 'archives'
      ? view.archives.map((a) => ({ id: a.archive, total: a.total, mt: a.memoryTypes }))
      : view.objects.map((o) => ({ id: o.object, total: o.total, mt: o.memoryTypes }));
  expect(recs.map((r) => r[key])).toEqual([...rows.map((r) => r.id), '*fill*']);
  [...rows, { id: '*fill*', total: view.fill.total, mt: view.fill.memoryTypes }].forEach((row, i) => {
    const r = recs[i];
    expect(Number(r.Total), row.id).toBe(row.total);
    for (const c of view.memoryTypes) {
      expect(Number(r[c.memoryType]), `${row.id} ${c.memoryType}`).toBe(row.mt[c.memoryType]?.total ?? 0);
      if (c.parts.length > 1)
        for (const p of c.parts)
          expect(Number(r[`${c.memoryType} ${p}`]), `${row.id} ${c.memoryType} ${p}`).toBe(row.mt[c.memoryType]?.parts[p] ?? 0);
    }
  });
}

describe('esp-idf-size part names', () => {
  it.each([
    ['.iram0.text', '.text'],
    ['.iram0.vectors', '.vectors'],
    ['.dram0.data', '.data'],
    ['.dram0.bss', '.bss'],
    ['.flash.text', '.text'],
    ['.flash.rodata', '.rodata'],
    ['.flash.appdesc', '.appdesc'],
    ['.rtc.data', '.data'],
    ['.rtc_noinit', '.rtc_noinit'],
    ['.mm.fastmath.text', '.text'],
    ['.ext_ram.bss', '.bss'],
  ])('%s → %s', (section, part) => expect(partName(section)).toBe(part));

  it('input sections name their function or variable; merged and numbered ones do not', () => {
    expect(symbolOfInputSection('.text.app_main')).toBe('app_main');
    expect(symbolOfInputSection('.literal.app_main')).toBe('app_main');
    expect(symbolOfInputSection('.text.startup._GLOBAL__sub_I_x')).toBe('_GLOBAL__sub_I_x');
    expect(symbolOfInputSection('.bss.counter')).toBe('counter');
    expect(symbolOfInputSection('.rodata.str1.1')).toBeUndefined();
    expect(symbolOfInputSection('.srodata.cst8')).toBeUndefined();
    expect(symbolOfInputSection('.iram1.5')).toBeUndefined();
    expect(symbolOfInputSection('.text')).toBeUndefined();
  });
});

describe('CSV', () => {
  it('quotes as RFC 4180 and reads back', () => {
    const rows = [
      ['a', 'b,c', 'say "hi"', 'two\nlines', 'cr\rlf', ''],
      [1, 2, 3, 4, 5, 6],
    ];
    const csv = toCsv(rows);
    expect(csv).toBe('a,"b,c","say ""hi""","two\nlines","cr\rlf",\r\n1,2,3,4,5,6\r\n');
    expect(parseCsv(csv)).toEqual(rows.map((r) => r.map(String)));
  });
});

describe.each(FIXTURES)('views of $name', (f) => {
  it("archives: per archive the model's bytes by memory type and part; everything adds up to the sections", () => {
    const m = model(f);
    const v = archivesView(m);
    expect(v.archives.map((a) => [a.archive, a.total])).toEqual(m.libraries.map((l) => [l.archive || l.name, l.total]));
    m.libraries.forEach((l, i) => {
      expect(addUp([v.archives[i].memoryTypes]), l.name).toEqual(expectedParts(m, l.bySection));
      for (const [r, b] of Object.entries(l.byRegion)) expect(v.archives[i].memoryTypes[r].total, `${l.name} ${r}`).toBe(b);
    });
    expect(v.total).toBe(sectionsTotal(m));
    expect(sum(v.archives.map((a) => a.total)) + v.fill.total + sum(v.placeholders.map((p) => p.bytes))).toBe(v.total);
    expect(v.fill.total + sum(v.placeholders.map((p) => p.bytes))).toBe(m.fill);
    for (const r of m.regions)
      expect(
        (v.fill.memoryTypes[r.name]?.total ?? 0) + sum(v.placeholders.filter((p) => p.region === r.name).map((p) => p.bytes)),
        r.name,
      ).toBe(r.fill);
    // Every byte of a row is in a column.
    for (const a of [...v.archives.map((x) => x.memoryTypes), v.fill.memoryTypes]) {
      for (const [mt, x] of Object.entries(a))
        for (const [p, b] of Object.entries(x.parts))
          if (b) expect(v.memoryTypes.find((c) => c.memoryType === mt)?.parts, `${mt} ${p}`).toContain(p);
    }
    checkPartsCsv(viewCsv(v), v, 'Archive');
  });

  it('files: the objects of each archive add up to the archive, part by part', () => {
    const m = model(f);
    const v = filesView(m, text(f.map));
    expect(v.total).toBe(sectionsTotal(m));
    expect(sum(v.objects.map((o) => o.total)) + v.fill.total + sum(v.placeholders.map((p) => p.bytes))).toBe(v.total);
    for (const l of m.libraries) {
      const mine = v.objects.filter((o) => (l.archive.endsWith('.a') ? o.archive === l.archive : o.object === (l.archive || l.name)));
      expect(mine.length, l.archive).toBeGreaterThan(0);
      expect(addUp(mine.map((o) => o.memoryTypes)), l.archive).toEqual(expectedParts(m, l.bySection));
    }
    for (const o of v.objects.filter((x) => x.member)) expect(o.object).toBe(`${o.archive}(${o.member})`);
    checkPartsCsv(viewCsv(v), v, 'Object');
    expect(
      records(viewCsv(v))
        .slice(0, -1)
        .map((r) => r.Path),
    ).toEqual(v.objects.map((o) => o.path));
  });

  it('map-only: the same archives and objects as with the ELF', () => {
    if (f.name.startsWith('xtensa/') || f.name.startsWith('riscv/')) return; // QEMU fixtures: not ESP-IDF layouts, map-only needs ESP-IDF memory regions
    const withElf = model(f);
    const mapOnly = buildMemoryMap({ mapText: text(f.map), chip: f.chipOption ?? f.chip });
    const strip = (v: ArchivesView) => v.archives.map(({ archive, total, memoryTypes }) => ({ archive, total, memoryTypes }));
    expect(strip(archivesView(mapOnly))).toEqual(strip(archivesView(withElf)));
    expect(filesView(mapOnly, text(f.map)).objects).toEqual(filesView(withElf, text(f.map)).objects);
  });

  it("one archive's symbols: from the map they are its bytes exactly; from the ELF, at most", () => {
    const m = model(f);
    const elf = readElf(bytes(f.elf));
    for (const lib of m.libraries) {
      const fromMap = archiveSymbolsView(m, text(f.map), lib);
      expect(fromMap.source).toBe('map');
      expect(fromMap.listed, lib.name).toBe(lib.total);
      expect(sum(fromMap.symbols.map((s) => s.size))).toBe(fromMap.listed);
      const fromElf = archiveSymbolsView(m, text(f.map), lib, elf);
      expect(fromElf.source).toBe('elf');
      expect(fromElf.listed, lib.name).toBeLessThanOrEqual(lib.total);
      // Each ELF symbol lies inside one of the archive's input sections.
      for (const s of fromElf.symbols) {
        expect(
          fromMap.symbols.some((r) => r.section === s.section && s.address >= r.address && s.address < r.address + r.size),
          `${lib.name} ${s.name}`,
        ).toBe(true);
        const sym = elf.symbols().find((x) => x.name === s.name && x.value === s.address)!;
        expect([SymbolType.FUNC, SymbolType.OBJECT]).toContain(sym.type);
        expect(sym.size).toBe(s.size);
      }
    }
  });

  it('diff: against itself nothing changes; against another build the changes add up', () => {
    const m = model(f);
    const same = diffView(m, model(f));
    expect(same.archives.every((a) => a.change === 0) && same.regions.every((r) => r.change === 0) && same.total.change === 0).toBe(true);
    const other = FIXTURES.find((g) => g !== f)!;
    const d = diffView(m, model(other));
    expect(sum(d.archives.map((a) => a.change)) + d.fill.change).toBe(d.total.change);
    expect(d.total).toEqual({
      current: sectionsTotal(m),
      reference: sectionsTotal(model(other)),
      change: sectionsTotal(m) - sectionsTotal(model(other)),
    });
    const changes = d.archives.map((a) => Math.abs(a.change));
    expect(changes).toEqual([...changes].sort((a, b) => b - a));
    for (const a of d.archives) expect(sum(Object.values(a.memoryTypes).map((x) => x.change)), a.archive).toBe(a.change);
  });
});

describe('symbols from the ELF', () => {
  it('nested entry points (RISC-V __riscv_save_N) are folded into the symbol around them', () => {
    const f = FIXTURES.find((x) => x.name === 'riscv/fw')!;
    const m = model(f);
    const v = archiveSymbolsView(m, text(f.map), findArchive(m, 'gcc')!, readElf(bytes(f.elf)));
    const save12 = v.symbols.find((s) => s.name === '__riscv_save_12')!;
    expect(save12.inner).toEqual(expect.arrayContaining(['__riscv_save_8', '__riscv_save_4']));
    // No listed symbol starts inside another of the same section.
    for (const s of v.symbols) {
      expect(
        v.symbols.some((o) => o !== s && o.section === s.section && s.address >= o.address && s.address < o.address + o.size),
        s.name,
      ).toBe(false);
    }
    expect(
      records(viewCsv(v))
        .find((r) => r.Name === '__riscv_save_12')!
        .Inner.split(' '),
    ).toEqual(save12.inner);
  });
});

const fmt = (v: number) => v.toLocaleString('en-US');
const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A table line: the cells, escaped, separated by blanks. */
const line = (cells: string[]) => new RegExp(`^${cells.map(esc).join('\\s+')}$`, 'm');
/** A row of the archives / files table: label, total, then each memory type's total and its parts. */
const partsLine = (label: string, total: number, m: Record<string, MemoryTypeBytes>, columns: MemoryTypeColumn[]) =>
  line([label, fmt(total), ...memoryTypeHeaders(columns).values(m).map(fmt)]);

describe('esp32mm map: every view in table, JSON and CSV', () => {
  const f = FIXTURES.find((x) => x.name === 'example/esp32cam-ai')!;
  const elf = abs(f.elf);
  const map = abs(f.map);
  const other = abs('test/fixtures/mapfiles/out/esp32/fw.elf');
  const tiny = () => model(f).libraries.find((l) => l.archive === 'libTinyClassifier.a')!;

  it('the summary: --json and --format json print the model; CSV is its archives table; the table has the parts', async () => {
    const json = await cli(elf, '--json');
    expect(json.code).toBe(0);
    expect((await cli(elf, '--format', 'json')).out).toBe(json.out);
    const m = JSON.parse(json.out) as MemoryMapModel;
    expect(m.libraries).toEqual(model(f).libraries);
    const csv = (await cli(elf, '--format', 'csv')).out;
    expect(csv).toBe(viewCsv(archivesView(m)));
    checkPartsCsv(csv, archivesView(m), 'Archive');
    const table = (await cli(elf)).out;
    expect(table).toMatch(/^Archive\s+Total\s+IRAM\s+\.vectors\s+\.text\s+DRAM\s+\.data\s+\.bss\s+Flash Code\s+Flash Data$/m);
    const av = archivesView(m);
    for (const a of av.archives)
      expect(table).toMatch(partsLine(a.archive + (a.dynamic ? ' *' : ''), a.total, a.memoryTypes, av.memoryTypes));
    expect(table).toMatch(partsLine('*fill*', av.fill.total, av.fill.memoryTypes, av.memoryTypes));
    expect(table).toMatch(new RegExp(`^\\*fill\\*\\s+${archivesView(m).fill.total.toLocaleString('en-US')}\\s`, 'm'));
  });

  it('--archives', async () => {
    const v = JSON.parse((await cli(elf, '--archives', '--format', 'json')).out) as ArchivesView;
    expect(v).toEqual(archivesView(model(f)));
    checkPartsCsv((await cli(elf, '--archives', '--format', 'csv')).out, v, 'Archive');
    const main = v.archives.find((a) => a.archive === 'main.cpp.o')!;
    expect((await cli(elf, '--archives')).out).toMatch(partsLine('main.cpp.o', main.total, main.memoryTypes, v.memoryTypes));
  });

  it('--files, with the ELF and map-only', async () => {
    const v = JSON.parse((await cli(elf, '--files', '--json')).out) as FilesView;
    expect(v).toEqual(filesView(model(f), text(f.map)));
    expect(JSON.parse((await cli('--map', map, '--files', '--json')).out).objects).toEqual(v.objects);
    checkPartsCsv((await cli(elf, '--files', '--format', 'csv')).out, v, 'Object');
    const table = (await cli(elf, '--files')).out;
    for (const o of v.objects) expect(table).toMatch(partsLine(o.object, o.total, o.memoryTypes, v.memoryTypes));
  });

  it('--archive: from the ELF when it is given, from the map alone otherwise; CSV = JSON', async () => {
    for (const [args, source] of [
      [[elf], 'elf'],
      [['--map', map], 'map'],
    ] as const) {
      for (const name of ['TinyClassifier', 'libTinyClassifier.a']) {
        const v = JSON.parse((await cli(...args, '--archive', name, '--format', 'json')).out);
        expect(v).toMatchObject({ view: 'archive', archive: 'libTinyClassifier.a', source, total: tiny().total });
        const recs = records((await cli(...args, '--archive', name, '--format', 'csv')).out);
        expect(
          recs.map((r) => ({
            name: r.Name,
            section: r.Section,
            memoryType: r['Memory type'],
            address: parseInt(r.Address, 16),
            size: Number(r.Size),
            object: r.Object,
            inputSection: r['Input section'],
          })),
        ).toEqual(
          v.symbols.map(({ name, section, memoryType, address, size, object, inputSection }: Record<string, unknown>) => ({
            name,
            section,
            memoryType,
            address,
            size,
            object,
            inputSection,
          })),
        );
        if (source === 'elf')
          expect(recs.map((r) => [r.Type, r.Binding])).toEqual(
            v.symbols.map((s: { type: string; binding: string }) => [s.type, s.binding]),
          );
      }
    }
    const table = (await cli(elf, '--archive', 'TinyClassifier')).out;
    expect(table).toMatch(/symbols from the ELF's symbol table/);
    const v = JSON.parse((await cli(elf, '--archive', 'TinyClassifier', '--json')).out);
    expect(v.symbols.length).toBeGreaterThan(3);
    for (const s of v.symbols.filter((x: { aliases?: string[]; inner?: string[] }) => !x.aliases && !x.inner))
      expect(table).toMatch(line([s.name, s.section, s.object, `0x${s.address.toString(16).padStart(8, '0')}`, fmt(s.size)]));
    expect((await cli('--map', map, '--archive', 'TinyClassifier')).out).toMatch(/symbols from the map's input sections/);
  });

  it('--diff: regions and archives of two builds; CSV = JSON', async () => {
    const { code, out } = await cli(elf, '--diff', other, '--format', 'json');
    expect(code).toBe(0);
    const v = JSON.parse(out);
    expect(v).toEqual(
      diffView(
        model(f),
        buildMemoryMap({ elf: bytes('test/fixtures/mapfiles/out/esp32/fw.elf'), mapText: text('test/fixtures/mapfiles/out/esp32/fw.map') }),
      ),
    );
    const recs = records((await cli(elf, '--diff', other, '--format', 'csv')).out);
    const rows = recs.map((r) => ({
      kind: r.Kind,
      name: r.Name,
      archive: r.Archive,
      current: Number(r.Current),
      reference: Number(r.Reference),
      change: Number(r.Change),
    }));
    expect(
      rows.filter((r) => r.kind === 'region').map(({ name, current, reference, change }) => ({ name, current, reference, change })),
    ).toEqual(v.regions);
    expect(
      rows
        .filter((r) => r.kind === 'archive')
        .map(({ name, archive, current, reference, change }) => ({ archive, name, current, reference, change })),
    ).toEqual(
      v.archives.map(({ archive, name, current, reference, change }: Record<string, unknown>) => ({
        archive,
        name,
        current,
        reference,
        change,
      })),
    );
    expect(rows.find((r) => r.kind === 'total')).toMatchObject(v.total);
    const table = (await cli(elf, '--diff', abs('test/fixtures/mapfiles/out/esp32/fw.map'))).out;
    expect(table).toMatch(line(['libTinyClassifier.a', fmt(tiny().total), '0', `+${fmt(tiny().total)}`]));
    expect(table).toMatch(/change = current - reference/);
  });

  describe('plain errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-views-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    copyFileSync(abs('test/fixtures/mapfiles/out/esp32/fw.elf'), join(dir, 'fw.elf'));

    it('views that need the map say so when there is none', async () => {
      await expect(cli(join(dir, 'fw.elf'), '--files')).rejects.toThrow(/--files needs the linker map file.*pass --map/);
      await expect(cli(join(dir, 'fw.elf'), '--archive', 'model')).rejects.toThrow(/--archive needs the linker map file/);
    });

    it('an unknown archive names the largest ones', async () => {
      await expect(cli(elf, '--archive', 'nosuch')).rejects.toThrow(
        /no archive 'nosuch' in this build \(the largest: libTinyClassifier\.a, /,
      );
    });

    it('bad usage', async () => {
      await expect(cli(elf, '--format', 'xml')).rejects.toThrow(UsageError);
      await expect(cli(elf, '--json', '--format', 'csv')).rejects.toThrow(/--json means --format json/);
      await expect(cli(elf, '--files', '--archive', 'x')).rejects.toThrow(/--files and --archive cannot be combined/);
      await expect(cli(elf, '--diff', join(dir, 'nope.elf'))).rejects.toThrow(/cannot read the ELF file .*nope\.elf: no such file/);
    });
  });

  it('findArchive accepts libfoo.a, foo and a loose object without .o', () => {
    const m = model(f);
    expect(findArchive(m, 'libdriver.a')?.archive).toBe('libdriver.a');
    expect(findArchive(m, 'driver')?.archive).toBe('libdriver.a');
    expect(findArchive(m, 'main.cpp')?.archive).toBe('main.cpp.o');
    expect(findArchive(m, 'main.cpp.o')?.archive).toBe('main.cpp.o');
    expect(findArchive(m, 'nosuch')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { MapFileError, baseName, parseMapFile, splitArchiveMember } from '../../../src/core/mapfile/parse';
import { buildMemoryMap } from '../../../src/core/memmap/model';
import { readElf } from '../../../src/core/elf/reader';
import { SHF_ALLOC } from '../../../src/core/elf/types';
import { FIXTURES, bytes, text } from '../memmap/fixtures';

const XT_MAP = 'test/fixtures/firmware/out/xtensa/fw.map';
const XT_ELF = 'test/fixtures/firmware/out/xtensa/fw.elf';

describe.each(FIXTURES)('map file of $name', (f) => {
  it('output sections match the ELF and their records add up to their sizes', () => {
    const map = parseMapFile(text(f.map));
    const elf = readElf(bytes(f.elf));
    for (const s of elf.sections.filter((x) => (x.flags & SHF_ALLOC) !== 0 && x.size > 0)) {
      const out = map.sections.find((o) => o.name === s.name && o.address === s.addr);
      expect(out, s.name).toBeDefined();
      expect(out!.size, s.name).toBe(s.size);
      // ld accounts for every byte: input sections, *fill* and data statements. A merged
      // string section whose contents went into an earlier copy is listed with the merged
      // blob's size over the next records: it owns nothing past the next record.
      const owned = out!.inputs.map((i, k) => {
        const next = out!.inputs[k + 1]?.address ?? s.addr + s.size;
        return /\.(str|cst)\d+(\.\d+)?$/.test(i.name) ? Math.min(i.size, Math.max(0, next - i.address)) : i.size;
      });
      expect(
        owned.reduce((a, b) => a + b, 0),
        s.name,
      ).toBe(s.size);
    }
    expect(map.memory.some((m) => m.name === '*default*')).toBe(true);
  });
});

describe('GNU ld 2.40 map details (xtensa fixture)', () => {
  const source = text(XT_MAP);
  const map = parseMapFile(source);
  const lines = source.split('\n');

  it('reads archive members with the file and symbol that pulled them in', () => {
    expect(map.archiveMembers[0]).toEqual({
      archive: 'lib/libfastmath.a',
      member: 'fastmath.o',
      referencedBy: 'obj/main.o',
      symbol: 'fm_isqrt',
      line: 3,
    });
    expect(map.archiveMembers.find((a) => a.member === 'libc_machine_xtensa_memcpy.S.o')).toMatchObject({
      archive: '/usr/lib/gcc/xtensa-lx106-elf/12.2.0/../../../xtensa-lx106-elf/lib/libc.a',
      referencedBy: 'obj/main.o',
      symbol: 'memcpy',
    });
    expect(map.archiveMembers).toHaveLength(6);
  });

  it('reads the memory configuration', () => {
    expect(map.memory.find((m) => m.name === 'iram0_0_seg')).toEqual({
      name: 'iram0_0_seg',
      origin: 0x40080000,
      length: 0x10000,
      attributes: 'xr',
    });
    expect(map.memory.map((m) => m.name)).toEqual([
      'drom0_0_seg',
      'dram0_0_seg',
      'dram_mm_seg',
      'iram0_0_seg',
      'iram_mm_seg',
      'iram0_2_seg',
      'mm_load_seg',
      'resetv_seg',
      '*default*',
    ]);
  });

  it('reads names wrapped onto their own line (output and input sections)', () => {
    const out = map.sections.find((s) => s.name === '.mm.fastmath.text')!;
    expect(out).toMatchObject({ address: 0x40090000, size: 0x124 });
    expect(lines[out.line - 1]).toBe('.mm.fastmath.text');
    const wrapped = out.inputs.find((i) => i.name === '.text.fm_isqrt')!;
    expect(wrapped).toMatchObject({ kind: 'input', address: 0x40090000, size: 0x39, file: 'lib/libfastmath.a(fastmath.o)' });
    expect(lines[wrapped.line - 1]).toBe(' .text.fm_isqrt');
    expect(map.sections.find((s) => s.name === '.mm.filters.text')!.loadAddress).toBe(0x40200000);
  });

  it('reads *fill* records and skips symbols, assignments and "size before relaxing"', () => {
    const text = map.sections.find((s) => s.name === '.mm.fastmath.text')!;
    expect(text.inputs.filter((i) => i.kind === 'fill').reduce((a, i) => a + i.size, 0)).toBe(3 + 3 + 1 + 1 + 1);
    expect(text.inputs.every((i) => i.kind === 'fill' || i.file === 'lib/libfastmath.a(fastmath.o)')).toBe(true);
  });

  it('reads discarded input sections, wrapped ones included', () => {
    // One numbers line per record, counted without the parser.
    const start = lines.indexOf('Discarded input sections');
    const end = lines.indexOf('Memory Configuration');
    const records = lines.slice(start, end).filter((l) => /0x[0-9a-f]+\s+0x[0-9a-f]+ \S/.test(l)).length;
    expect(map.discarded).toHaveLength(records);
    expect(map.discarded).toContainEqual(expect.objectContaining({ name: '.xt.prop', size: 0xa8, file: 'obj/crt.o' }));
    expect(map.discarded).toContainEqual(expect.objectContaining({ name: '.literal.__cxa_pure_virtual', size: 0xc, file: 'obj/fw_obj.o' }));
  });

  it('reads data statements (LONG) as linker data', () => {
    const m = parseMapFile(text('test/fixtures/mapfiles/out/esp32/fw.map'));
    const data = m.sections.find((s) => s.name === '.dram0.data')!.inputs.filter((i) => i.kind === 'data');
    expect(data).toEqual([expect.objectContaining({ name: 'LONG', size: 4 })]);
  });
});

describe('Windows paths', () => {
  const unix = text('test/fixtures/mapfiles/out/esp32/fw.map');
  const windows = text('test/fixtures/mapfiles/variants/windows.map');

  it('splits archive(member) and base names with drive letters, backslashes, spaces and parentheses', () => {
    expect(splitArchiveMember('C:\\Users\\Jane Doe\\.platformio\\lib\\libsensor.a(sensor.o)')).toEqual({
      path: 'C:\\Users\\Jane Doe\\.platformio\\lib\\libsensor.a',
      member: 'sensor.o',
    });
    expect(splitArchiveMember('C:\\Program Files (x86)\\sdk\\libc.a(lib_a-memcpy.o)')).toEqual({
      path: 'C:\\Program Files (x86)\\sdk\\libc.a',
      member: 'lib_a-memcpy.o',
    });
    expect(splitArchiveMember('.pio\\build\\esp32dev\\src\\main.cpp.o')).toEqual({ path: '.pio\\build\\esp32dev\\src\\main.cpp.o' });
    expect(baseName('.pio\\build\\esp32dev\\lib4a1\\libmodel.a')).toBe('libmodel.a');
    expect(baseName('C:/mixed\\sep/libx.a')).toBe('libx.a');
  });

  it('parses the PlatformIO-on-Windows map (CRLF) to the same records as the Unix one', () => {
    expect(windows.includes('\r\n')).toBe(true);
    const w = parseMapFile(windows);
    const u = parseMapFile(unix);
    const shape = (m: typeof w) =>
      m.sections.map((s) => [s.name, s.address, s.size, s.inputs.map((i) => [i.kind, i.name, i.address, i.size])]);
    expect(shape(w)).toEqual(shape(u));
    expect(w.archiveMembers.map((a) => [a.archive, a.member, a.referencedBy, a.symbol])).toEqual([
      [
        'C:\\Users\\Jane Doe\\.platformio\\packages\\framework-arduinoespressif32\\tools\\sdk\\esp32\\lib\\libsensor.a',
        'sensor.o',
        '.pio\\build\\esp32dev\\src\\app.o',
        'sensor_read',
      ],
      ['.pio\\build\\esp32dev\\lib4a1\\libmodel.a', 'model.o', '.pio\\build\\esp32dev\\src\\app.o', 'model_infer'],
    ]);
    const input = w.sections.find((s) => s.name === '.flash.text')!.inputs.find((i) => i.file?.includes('libsensor'))!;
    expect(input.file).toBe(
      'C:\\Users\\Jane Doe\\.platformio\\packages\\framework-arduinoespressif32\\tools\\sdk\\esp32\\lib\\libsensor.a(sensor.o)',
    );
  });

  it('gives the same memory map as the Unix map', () => {
    const elf = bytes('test/fixtures/mapfiles/out/esp32/fw.elf');
    expect(buildMemoryMap({ elf, mapText: windows })).toEqual(buildMemoryMap({ elf, mapText: unix }));
  });
});

describe('corrupted and truncated maps', () => {
  const source = text(XT_MAP);
  const elf = bytes(XT_ELF);
  const good = buildMemoryMap({ elf, mapText: source });

  function failure(mapText: string): MapFileError {
    try {
      buildMemoryMap({ elf, mapText });
    } catch (e) {
      expect(e).toBeInstanceOf(MapFileError);
      return e as MapFileError;
    }
    throw new Error('expected a MapFileError');
  }

  /** Builds the model; a MapFileError is fine, any other result must equal the good model. */
  function errorOrSame(mapText: string, what: string, memoryLine = false): boolean {
    let model;
    try {
      model = buildMemoryMap({ elf, mapText });
    } catch (e) {
      expect(e, what).toBeInstanceOf(MapFileError);
      expect((e as Error).message, what).toMatch(/^map file( line \d+)?: /);
      return true;
    }
    // The notes may say why a section outside the chip's windows was counted where it was
    // (by its linker region, or by its name when that region's line is gone); the table may not differ.
    if (memoryLine) {
      // Without one of its memory-region lines, that region's size falls back to the chip
      // table, and says so; what is used where stays the same.
      for (const r of model.regions) {
        const before = good.regions.find((g) => g.name === r.name)?.sizeSource;
        if (r.sizeSource !== before) expect([before, r.sizeSource], what).toEqual([expect.stringMatching(/^map:/), 'chip-table']);
      }
      const usage = (m: typeof model) => m.regions.map(({ name, used, fill }) => ({ name, used, fill }));
      expect({ ...model, notes: [], regions: usage(model) }, what).toEqual({ ...good, notes: [], regions: usage(good) });
      return false;
    }
    expect({ ...model, notes: [] }, what).toEqual({ ...good, notes: [] });
    return false;
  }

  it('a map missing any one line gives an error or the same model — never a different one', () => {
    const lines = source.split('\n');
    let errors = 0;
    for (let i = 0; i < lines.length; i++) {
      const memoryLine = /^\w+_seg\s+0x/.test(lines[i]);
      if (errorOrSame([...lines.slice(0, i), ...lines.slice(i + 1)].join('\n'), `without line ${i + 1}: ${lines[i]}`, memoryLine)) errors++;
    }
    // Every record of an allocated section matters; symbol and assignment lines do not.
    expect(errors).toBeGreaterThan(150);
  });

  it('a map cut anywhere gives an error or (cut after the memory map) the same model — never a different one', () => {
    let errors = 0;
    const cuts = [...source.matchAll(/\n/g)].map((m) => m.index! + 1);
    for (let cut = 0; cut < source.length; cut += 41) cuts.push(cut);
    for (const cut of cuts) {
      const truncated = source.slice(0, cut);
      if (errorOrSame(truncated, `cut at ${cut}`)) errors++;
    }
    expect(errors).toBeGreaterThan(100);
  });

  it('names the line of a wrapped name whose numbers are missing', () => {
    const lines = source.split('\n');
    const at = lines.indexOf(' .text.fm_isqrt');
    const e = failure(lines.slice(0, at + 1).join('\n') + '\n');
    expect(e.line).toBe(at + 1);
    expect(e.message).toMatch(/\.text\.fm_isqrt has no address and size|is not followed by its address/);
  });

  it('says the map is truncated when the OUTPUT(...) line is missing', () => {
    const at = source.indexOf('OUTPUT(');
    expect(failure(source.slice(0, at)).message).toMatch(/truncated/);
  });

  it('rejects a damaged number with its line', () => {
    const bad = source.replace('.text.fm_dot   0x4009003c       0x39', '.text.fm_dot   0x4009z03c       0x39');
    const e = failure(bad);
    expect(e.line).toBe(source.split('\n').findIndex((l) => l.startsWith(' .text.fm_dot')) + 1);
    expect(e.message).toMatch(/not a hexadecimal number/);
  });

  it('rejects a size that makes records overlap, instead of showing a wrong table', () => {
    const bad = source.replace('.text.fm_dot   0x4009003c       0x39', '.text.fm_dot   0x4009003c       0x99');
    const e = failure(bad);
    expect(e.message).toMatch(/overlaps|runs past/);
  });

  it('rejects binary data with its line and column', () => {
    const lines = source.split('\n');
    lines[40] = lines[40].slice(0, 5) + '\u0000\u0001' + lines[40].slice(5);
    const e = failure(lines.join('\n'));
    expect(e.line).toBe(41);
    expect(e.message).toMatch(/binary data.*column 6/);
  });

  it('rejects a file that is not a map', () => {
    expect(() => parseMapFile('hello\nworld\n')).toThrow(/not a GNU ld map file/);
    expect(() => parseMapFile('')).toThrow(MapFileError);
  });

  it('rejects numbers without a section name', () => {
    const bad = source.replace(' .text.fm_isqrt\n', '\n');
    expect(failure(bad).message).toMatch(/without an input-section name/);
  });

  it('rejects a broken memory configuration line', () => {
    const bad = source.replace('iram0_0_seg      0x40080000         0x00010000         xr', 'iram0_0_seg      0x40080000');
    expect(failure(bad).message).toMatch(/memory region line/);
  });
});

describe('decodeMapFile', () => {
  it('reads ASCII maps as they are and non-ASCII paths as UTF-8', async () => {
    const { decodeMapFile } = await import('../../../src/core/mapfile/parse');
    expect(decodeMapFile(new TextEncoder().encode('LOAD obj/main.o\n'))).toBe('LOAD obj/main.o\n');
    expect(decodeMapFile(new TextEncoder().encode('LOAD C:\\Users\\Zoë\\main.o\n'))).toBe('LOAD C:\\Users\\Zoë\\main.o\n');
  });
});

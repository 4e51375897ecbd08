import { describe, expect, it } from 'vitest';
import { open } from 'elfinfo';
import { buildMemoryMap } from '../../../src/core/memmap/model';
import { parseMapFile } from '../../../src/core/mapfile/parse';
import { ChipError } from '../../../src/core/chips/detect';
import { readElf } from '../../../src/core/elf/reader';
import { splitFirmware } from '../../../src/core/split/split';
import { FIXTURES, bytes, text } from './fixtures';
import { checkInvariants } from './invariants';

/** Allocated, non-empty sections as the independent parser (elfinfo) sees them. */
async function oracleSections(path: string) {
  const r = await open(bytes(path));
  expect(r.success, r.errors.join('; ')).toBe(true);
  return r
    .elf!.sections.filter((s) => (s.flags & 2) !== 0 && s.size > 0)
    .map((s) => ({ name: s.name, address: Number(s.addr), size: s.size }));
}

describe.each(FIXTURES)('memory map of $name', (f) => {
  it('with the map: sections match the ELF, chip is detected, totals add up', async () => {
    const m = buildMemoryMap({ elf: bytes(f.elf), mapText: text(f.map), chip: f.chipOption });
    expect(m.chip).toBe(f.chip);
    expect(m.chipSource).toBe(f.chipOption ? 'option' : 'elf');
    expect(m.attribution).toBe('map');
    expect(m.sections.map(({ name, address, size }) => ({ name, address, size }))).toEqual(await oracleSections(f.elf));
    checkInvariants(m);
  });

  it('fill equals the *fill* records and data statements inside allocated sections', () => {
    const m = buildMemoryMap({ elf: bytes(f.elf), mapText: text(f.map), chip: f.chipOption });
    // Independent of the parser: every `*fill*` line, placed by address into the ELF sections.
    let expected = 0;
    for (const line of text(f.map).split('\n')) {
      const fill = /^ \*fill\*\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)/.exec(line);
      const data = /^\s{16}0x([0-9a-f]+)\s+0x([0-9a-f]+) (LONG|SHORT|BYTE|QUAD)/.exec(line);
      const hit = fill ?? data;
      if (!hit) continue;
      const addr = parseInt(hit[1], 16);
      if (m.sections.some((s) => addr >= s.address && addr < s.address + s.size)) expected += parseInt(hit[2], 16);
    }
    expect(m.fill).toBe(expected);
  });

  it('without a map: falls back to symbols, says so, totals still add up', () => {
    const m = buildMemoryMap({ elf: bytes(f.elf), chip: f.chipOption });
    expect(m.attribution).toBe('symbols');
    expect(m.notes.join('\n')).toMatch(/No map file.*coarser/);
    checkInvariants(m);
  });
});

describe('dynamic libraries and slots (xtensa fixture)', () => {
  const elfBytes = bytes('test/fixtures/firmware/out/xtensa/fw.elf');
  const mapText = text('test/fixtures/firmware/out/xtensa/fw.map');
  const elf = readElf(elfBytes);
  const size = (name: string) => elf.section(name)!.size;

  it('shows each library in its slot with the flash it saves', () => {
    const m = buildMemoryMap({ elf: elfBytes, mapText });
    expect(m.slots.map((s) => [s.name, s.libraries])).toEqual([
      ['fastmath', ['fastmath']],
      ['shapes', ['shapes']],
      ['dsp', ['filters', 'codec']],
    ]);
    for (const name of ['fastmath', 'shapes', 'filters', 'codec']) {
      const lib = m.libraries.find((l) => l.name === name)!;
      expect(lib.dynamic).toBe(true);
      expect(lib.archive).toBe(`lib${name}.a`);
      expect(lib.moved).toEqual({ text: size(`.mm.${name}.text`), data: size(`.mm.${name}.data`), bss: size(`.mm.${name}.bss`) });
      expect(lib.flashSaved).toBe(size(`.mm.${name}.text`) + size(`.mm.${name}.data`));
      // All of the library is in its .mm sections: its bytes there plus their fill = the sections.
      const mine = m.sections.filter((s) => s.library === name);
      expect(lib.total + mine.reduce((a, s) => a + s.fill, 0)).toBe(mine.reduce((a, s) => a + s.size, 0));
    }
    const dsp = m.slots.find((s) => s.name === 'dsp')!;
    // An overlay reserves its largest member.
    expect(dsp.ranges.find((r) => r.kind === 'text')!.size).toBe(Math.max(size('.mm.filters.text'), size('.mm.codec.text')));
    expect(dsp.region).toBe('IRAM');
    expect(m.libraries.find((l) => l.name === 'main')!.dynamic).toBe(false);
  });

  it('a split ELF with its .full.elf gives before and after, and the flash saved', () => {
    const split = splitFirmware(elfBytes);
    const after = buildMemoryMap({ elf: split.strippedElf, mapText, fullElf: elfBytes });
    expect(after.split).toBe(true);
    expect(after.before).toBeDefined();
    expect(after.before!.split).toBe(false);
    expect(after.flashSaved).toBe(split.loadableBytesBefore - split.loadableBytesAfter);
    expect(after.flashSaved).toBeGreaterThan(0);
    expect(after.imageBytes).toBe(split.loadableBytesAfter);
    expect(after.before!.imageBytes).toBe(split.loadableBytesBefore);
    expect(after.sections.some((s) => s.name.startsWith('.mm.'))).toBe(false);
    // The moved libraries are still listed, in their slots, with nothing left in the image.
    const fastmath = after.libraries.find((l) => l.name === 'fastmath')!;
    expect(fastmath).toMatchObject({
      dynamic: true,
      total: 0,
      slot: 'fastmath',
      flashSaved: size('.mm.fastmath.text') + size('.mm.fastmath.data'),
    });
    expect(after.slots.map((s) => s.name)).toEqual(['fastmath', 'shapes', 'dsp']);
    const iram = (m: typeof after) => m.regions.find((r) => r.name === 'IRAM')!;
    expect(iram(after).used).toBeLessThan(iram(after.before!).used);
    // The slots stay reserved after the split: same reservation and free space before and after.
    const textSlots = after.slots.flatMap((s) => s.ranges.filter((r) => r.region === 'IRAM')).reduce((a, r) => a + r.size, 0);
    expect(iram(after).slotReserved).toBe(textSlots);
    expect(iram(after.before!).slotReserved).toBe(textSlots);
    expect(iram(after).free).toBe(iram(after.before!).free);
    checkInvariants(after);
    checkInvariants(after.before!);
    // Without the map, the original ELF still tells which libraries were moved and where.
    const noMap = buildMemoryMap({ elf: split.strippedElf, fullElf: elfBytes });
    expect(noMap.slots).toEqual(after.slots);
    expect(noMap.libraries.find((l) => l.name === 'codec')).toMatchObject({
      dynamic: true,
      slot: 'dsp',
      flashSaved: size('.mm.codec.text') + size('.mm.codec.data'),
    });
  });
});

describe('chip choice', () => {
  const elf = bytes('test/fixtures/mapfiles/out/esp32/fw.elf');
  it('--chip and the board id override detection', () => {
    expect(buildMemoryMap({ elf, chip: 'esp32-s3' })).toMatchObject({ chip: 'esp32s3', chipSource: 'option' });
    expect(buildMemoryMap({ elf, board: 'esp32-c3-devkitm-1' })).toMatchObject({ chip: 'esp32c3', chipSource: 'board' });
    expect(buildMemoryMap({ elf, board: 'esp32cam' })).toMatchObject({ chip: 'esp32', chipSource: 'board' });
  });
  it('rejects an unknown chip with the list of known ones', () => {
    expect(() => buildMemoryMap({ elf, chip: 'esp8266' })).toThrow(ChipError);
    expect(() => buildMemoryMap({ elf, chip: 'esp8266' })).toThrow(/esp32, esp32s2, esp32s3, esp32c2, esp32c3, esp32c6, esp32h2/);
  });
  it('places PSRAM, RTC and IRAM_ATTR sections in their regions on every chip', () => {
    for (const id of ['esp32', 'esp32s2', 'esp32s3', 'esp32c3', 'esp32c6']) {
      const m = buildMemoryMap({
        elf: bytes(`test/fixtures/mapfiles/out/${id}/fw.elf`),
        mapText: text(`test/fixtures/mapfiles/out/${id}/fw.map`),
        chip: id,
      });
      const region = (name: string) => m.sections.find((s) => s.name === name)?.region;
      expect(region('.iram0.text'), id).toBe('IRAM');
      expect(region('.dram0.data'), id).toBe('DRAM');
      expect(region('.flash.text'), id).toBe('Flash Code');
      expect(region('.flash.rodata'), id).toBe('Flash Data');
      expect(region('.rtc.data'), id).toBe(id === 'esp32' || id === 'esp32s2' ? 'RTC Slow' : id === 'esp32s3' ? 'RTC Fast' : 'RTC Fast');
      if (id === 'esp32' || id === 'esp32s2' || id === 'esp32s3') expect(region('.ext_ram.bss'), id).toBe('PSRAM');
      expect(
        m.notes.filter((n) => /outside/.test(n)),
        id,
      ).toEqual([]);
      expect(m.libraries.find((l) => l.name === 'app')!.byRegion.IRAM, `${id}: IRAM_ATTR function`).toBeGreaterThan(0);
    }
  });
  it('computes free space from the boundary symbols and, for one SRAM seen twice, for the pool', () => {
    const c3 = buildMemoryMap({
      elf: bytes('test/fixtures/mapfiles/out/esp32c3/fw.elf'),
      mapText: text('test/fixtures/mapfiles/out/esp32c3/fw.map'),
    });
    const elf = readElf(bytes('test/fixtures/mapfiles/out/esp32c3/fw.elf'));
    const heapStart = elf.symbol('_heap_start')!.value;
    const iram = c3.regions.find((r) => r.name === 'IRAM')!;
    const dram = c3.regions.find((r) => r.name === 'DRAM')!;
    expect(dram.boundary).toEqual({ symbol: '_heap_start', address: heapStart });
    // The fixture's linker script gives IRAM and DRAM one 64 KB SRAM (iram0_0_seg at
    // 0x40380000 = dram0_0_seg at 0x3fc80000): everything above the heap start is free.
    expect(dram.free).toBe(0x3fc90000 - heapStart);
    expect(iram.free).toBe(dram.free);
    expect(iram.pool).toEqual({ name: 'SRAM', size: 0x10000 });
    expect([iram.sizeSource, dram.sizeSource]).toEqual(['map:iram0_0_seg', 'map:dram0_0_seg']);
    const esp32 = buildMemoryMap({
      elf: bytes('test/fixtures/mapfiles/out/esp32/fw.elf'),
      mapText: text('test/fixtures/mapfiles/out/esp32/fw.map'),
    });
    const iramEnd = readElf(bytes('test/fixtures/mapfiles/out/esp32/fw.elf')).symbol('_iram_end')!.value;
    // The fixture's script gives IRAM 64 KB (iram0_0_seg 0x40080000, length 0x10000).
    expect(esp32.regions.find((r) => r.name === 'IRAM')!.free).toBe(0x40090000 - iramEnd);
  });
});

describe('merged string sections (example project)', () => {
  it('a fully merged .str1.1 listed over the next record owns no bytes; the next record keeps its own', () => {
    const dir = 'examples/esp32cam-ai/.pio/build/esp32cam';
    const map = text(`${dir}/firmware.map`);
    // ld lists a_list's strings (own size 0x2, all merged into earlier ones) with 0x8 at the
    // address of the next record, a_open's 0x4; and fs_open's at the address of fs_ops.
    expect(map).toMatch(
      / \.rodata\._ZN12_GLOBAL__N_16a_listEPvPKcjP13mm_fs_entry_t\.str1\.1\n\s+(0x[0-9a-f]+)\s+0x8 [^\n]+\n\s+0x2 \(size before relaxing\)\n \.rodata\._ZN12_GLOBAL__N_16a_openEPvPKciPS0_\.str1\.1\n\s+\1\s+0x4 /,
    );
    expect(map).toMatch(
      / \.rodata\._ZN12_GLOBAL__N_17fs_openEPvPKc\.str1\.1\n\s+(0x[0-9a-f]+)\s+0x2 [^\n]+\n \.rodata\._ZN12_GLOBAL__N_1L6fs_opsE\n\s+\1\s+0x10 /,
    );
    const m = buildMemoryMap({ elf: bytes(`${dir}/firmware.elf`), mapText: map });
    expect(m.libraries.find((l) => l.archive === 'mm_agent_arduino.cpp.o')!.byRegion['Flash Data']).toBe(0x4);
    expect(m.libraries.find((l) => l.archive === 'mm_storage_arduino.cpp.o')!.byRegion['Flash Data']).toBe(0x10);
    checkInvariants(m);
  });
});

describe('ESP-IDF placeholder sections', () => {
  it.each(['esp32s2', 'esp32s3', 'esp32c3', 'esp32c6'])('%s: .dram0.dummy is listed but not counted as used DRAM', (id) => {
    const elf = readElf(bytes(`test/fixtures/mapfiles/out/${id}/fw.elf`));
    const m = buildMemoryMap({ elf, mapText: text(`test/fixtures/mapfiles/out/${id}/fw.map`), chip: id });
    const dummy = elf.section('.dram0.dummy')!;
    const iramUse = elf.symbol('_iram_end')!.value - elf.symbol('_iram_start')!.value;
    expect(dummy.size).toBe(iramUse);
    expect(m.sections.find((s) => s.name === '.dram0.dummy')).toMatchObject({ region: 'DRAM', size: dummy.size, placeholder: true });
    const dram = m.sections.filter((s) => s.region === 'DRAM' && s.name !== '.dram0.dummy');
    expect(m.regions.find((r) => r.name === 'DRAM')!.used).toBe(dram.reduce((a, s) => a + s.size, 0));
    expect(m.fillDetail.placeholder).toBe(dummy.size);
  });
});

describe('map and ELF must belong to one link', () => {
  it('refuses a map of another link, naming the section and line', () => {
    const elf = bytes('test/fixtures/firmware/out/xtensa/fw.elf');
    const other = text('test/fixtures/firmware/out/xtensa/fw_nomm.map');
    expect(() => buildMemoryMap({ elf, mapText: other })).toThrow(/another link/);
  });
  it('accepts a parsed map as well as its text', () => {
    const mapText = text('test/fixtures/mapfiles/out/esp32s3/fw.map');
    const elf = bytes('test/fixtures/mapfiles/out/esp32s3/fw.elf');
    expect(buildMemoryMap({ elf, map: parseMapFile(mapText) })).toEqual(buildMemoryMap({ elf, mapText }));
  });
});

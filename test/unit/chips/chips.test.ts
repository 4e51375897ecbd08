import { describe, expect, it } from 'vitest';
import { CHIPS, CHIP_IDS, parseChipId, regionSize, type ChipId } from '../../../src/core/chips/chips';
import { BOARD_CHIPS, chipOfBoard } from '../../../src/core/chips/boards';
import { ChipError, detectChip, elfChipEvidence, regionOfSection } from '../../../src/core/chips/detect';
import { readElf } from '../../../src/core/elf/reader';
import { SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SectionType } from '../../../src/core/elf/types';
import { bytes, FIXTURES } from '../memmap/fixtures';

const region = (id: ChipId, name: string) => CHIPS[id].regions.find((r) => r.name === name)!;
const range = (id: ChipId, name: string) => [region(id, name).ranges[0].start, region(id, name).ranges[0].end];

describe('chip tables (docs/design.md §8)', () => {
  it('names only boundary symbols that start with _ (the memory map reads no others from the ELF)', () => {
    const names = CHIP_IDS.flatMap((id) => CHIPS[id].regions.flatMap((r) => r.boundarySymbols));
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !n.startsWith('_'))).toEqual([]);
  });

  it('IRAM, DRAM, flash windows and PSRAM as in the design table', () => {
    expect(range('esp32', 'IRAM')).toEqual([0x40080000, 0x400a0000]);
    expect(regionSize(region('esp32', 'IRAM'))).toBe(128 * 1024);
    expect(range('esp32', 'DRAM')).toEqual([0x3ffb0000, 0x40000000]);
    expect(range('esp32', 'Flash Code')).toEqual([0x400d0000, 0x40400000]);
    expect(range('esp32', 'Flash Data')).toEqual([0x3f400000, 0x3f800000]);
    expect(range('esp32', 'PSRAM')).toEqual([0x3f800000, 0x3fc00000]);
    expect(CHIPS.esp32.aliases).toEqual([
      { instruction: { start: 0x400a0000, end: 0x400c0000 }, data: { start: 0x3ffe0000, end: 0x40000000 }, inverted: true },
    ]);
    expect(range('esp32s2', 'IRAM')).toEqual([0x40020000, 0x40070000]);
    expect(range('esp32s2', 'Flash Code')).toEqual([0x40080000, 0x40800000]);
    expect(range('esp32s2', 'PSRAM')).toEqual([0x3f500000, 0x3ff80000]);
    expect(range('esp32s3', 'IRAM')).toEqual([0x40370000, 0x403e0000]);
    expect(range('esp32s3', 'DRAM')).toEqual([0x3fc88000, 0x3fd00000]);
    expect(range('esp32s3', 'PSRAM')).toEqual([0x3c000000, 0x3e000000]);
    expect(range('esp32c3', 'IRAM')).toEqual([0x4037c000, 0x403e0000]);
    expect(range('esp32c3', 'DRAM')).toEqual([0x3fc80000, 0x3fce0000]);
    expect(range('esp32c6', 'IRAM')).toEqual(range('esp32c6', 'DRAM'));
    expect(CHIPS.esp32.psramExec).toBe(false);
    expect(CHIPS.esp32s3.psramExec).toBe(true);
    expect(CHIPS.esp32c3.regions.some((r) => r.name === 'PSRAM')).toBe(false);
  });

  it('I = D + offset for the chips whose IRAM and DRAM are one SRAM', () => {
    expect(region('esp32s2', 'IRAM').pool).toEqual({ name: 'SRAM', dataOffset: 0x70000 });
    expect(region('esp32s3', 'IRAM').pool).toEqual({ name: 'SRAM', dataOffset: 0x6f0000 });
    expect(region('esp32c3', 'IRAM').pool).toEqual({ name: 'SRAM', dataOffset: 0x700000 });
    expect(region('esp32c6', 'IRAM').pool).toEqual({ name: 'SRAM', dataOffset: 0 });
    expect(region('esp32', 'IRAM').pool).toBeUndefined();
  });

  it('every region has a sane range and capability', () => {
    for (const id of CHIP_IDS) {
      for (const r of CHIPS[id].regions) {
        for (const g of r.ranges) expect(g.end, `${id} ${r.name}`).toBeGreaterThan(g.start);
        expect(r.exec || r.data, `${id} ${r.name}`).toBe(true);
      }
    }
  });

  it('parses chip ids in the usual spellings', () => {
    expect(parseChipId('esp32')).toBe('esp32');
    expect(parseChipId('ESP32-S3')).toBe('esp32s3');
    expect(parseChipId('esp32_c3')).toBe('esp32c3');
    expect(parseChipId('c6')).toBe('esp32c6');
    expect(parseChipId('esp8266')).toBeUndefined();
  });
});

describe('board ids', () => {
  it('maps the common PlatformIO boards', () => {
    expect(chipOfBoard('esp32dev')).toBe('esp32');
    expect(chipOfBoard('esp32cam')).toBe('esp32');
    expect(chipOfBoard('esp-wrover-kit')).toBe('esp32');
    expect(chipOfBoard('esp32-s3-devkitc-1')).toBe('esp32s3');
    expect(chipOfBoard('esp32-c3-devkitm-1')).toBe('esp32c3');
    expect(chipOfBoard('esp32-c6-devkitc-1')).toBe('esp32c6');
    expect(chipOfBoard('lolin_s2_mini')).toBe('esp32s2');
    expect(chipOfBoard('some-vendor-esp32s3-board')).toBe('esp32s3');
    expect(chipOfBoard('esp32s3')).toBe('esp32s3');
    expect(chipOfBoard('uno')).toBeUndefined();
    for (const [board, chip] of Object.entries(BOARD_CHIPS)) expect(CHIP_IDS, board).toContain(chip);
  });
});

describe('detection from the ELF', () => {
  it.each(FIXTURES.filter((f) => !f.chipOption))('$name is $chip', (f) => {
    expect(detectChip(elfChipEvidence(readElf(bytes(f.elf)))).chip.id).toBe(f.chip);
  });

  it.each(FIXTURES.filter((f) => f.chipOption))('$name: no single chip fits, so it refuses to guess and says what to set', (f) => {
    expect(() => detectChip(elfChipEvidence(readElf(bytes(f.elf))))).toThrow(/set the chip explicitly/);
  });

  it('breaks a C6/H2 tie by the sdkconfig target, then by the chip the map paths name', () => {
    const evidence = elfChipEvidence(readElf(bytes('test/fixtures/mapfiles/out/esp32c6/fw.elf')));
    expect(detectChip({ ...evidence, sdkconfigTarget: 'esp32h2' })).toMatchObject({ chip: { id: 'esp32h2' }, source: 'sdkconfig' });
    const paths = 'LOAD /idf/components/esp_rom/esp32c6/ld/esp32c6.rom.ld\nLOAD /idf/components/soc/esp32c6/libsoc.a\n';
    expect(detectChip({ ...evidence, mapText: paths })).toMatchObject({ chip: { id: 'esp32c6' }, source: 'map' });
    // Named about equally often: still no guess.
    expect(() => detectChip({ ...evidence, mapText: 'a/esp32c6/x a/esp32h2/y' })).toThrow(ChipError);
  });

  it('refuses an ELF that is not Xtensa or RISC-V unless --chip is given', () => {
    const elf = readElf(bytes('test/fixtures/mapfiles/out/esp32/fw.elf'));
    const arm = { ...elfChipEvidence(elf), machine: 40 };
    expect(() => detectChip(arm)).toThrow(ChipError);
    expect(detectChip(arm, { override: 'esp32' }).chip.id).toBe('esp32');
  });

  it('tells shared windows apart by section kind (S3 flash data vs PSRAM, C6 IRAM vs DRAM)', () => {
    const s = (name: string, addr: number, flags: number, type = SectionType.PROGBITS) => ({ name, addr, flags: flags | SHF_ALLOC, type });
    expect(regionOfSection(CHIPS.esp32s3, s('.flash.rodata', 0x3c000020, 0))!.name).toBe('Flash Data');
    expect(regionOfSection(CHIPS.esp32s3, s('.ext_ram.bss', 0x3c800000, SHF_WRITE, SectionType.NOBITS))!.name).toBe('PSRAM');
    expect(regionOfSection(CHIPS.esp32c6, s('.iram0.text', 0x40800000, SHF_EXECINSTR))!.name).toBe('IRAM');
    expect(regionOfSection(CHIPS.esp32c6, s('.dram0.data', 0x40810000, SHF_WRITE))!.name).toBe('DRAM');
    expect(regionOfSection(CHIPS.esp32c6, s('.flash.text', 0x42000020, SHF_EXECINSTR))!.name).toBe('Flash Code');
    expect(regionOfSection(CHIPS.esp32c6, s('.flash.rodata', 0x42080020, 0))!.name).toBe('Flash Data');
    expect(regionOfSection(CHIPS.esp32, s('.rtc.data', 0x3ff80000, SHF_WRITE))!.name).toBe('RTC Fast');
    expect(regionOfSection(CHIPS.esp32, s('.text', 0x80000000, SHF_EXECINSTR))).toBeUndefined();
  });
});

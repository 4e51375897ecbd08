// The memory maps of the ESP32 family as data (ESP-IDF's soc.h and memory.ld.in address
// ranges), and the names ESP-IDF's linker scripts give their memory regions. Nothing here is
// a code path per chip: the memory-map model, chip detection and the linker fragment only
// read these tables. The chip table is the fallback; a build's own map file says how much of
// each region the link could use (see linkerRegionsOf).
import { EM_RISCV, EM_XTENSA } from '../elf/types';

export type ChipId = 'esp32' | 'esp32s2' | 'esp32s3' | 'esp32c2' | 'esp32c3' | 'esp32c6' | 'esp32h2';

/** Region names as shown in the table and in the JSON model. */
export type RegionName = 'IRAM' | 'DRAM' | 'RTC Fast' | 'RTC Slow' | 'Flash Code' | 'Flash Data' | 'PSRAM';

/** [start, end) */
export interface AddressRange {
  start: number;
  end: number;
}

export interface ChipRegion {
  name: RegionName;
  /** The address window the program sees for this region (the first one is the main view). */
  ranges: AddressRange[];
  /** Instructions can be fetched from it / data can be read and written in it. */
  exec: boolean;
  data: boolean;
  /** Memory that lives on after the program is flashed (a flash window) vs. RAM. */
  flash: boolean;
  /**
   * Regions that are two views of one SRAM (C3: IRAM = DRAM + 0x700000): the bytes one uses
   * are missing from the other, so free space is computed for the pool, in data addresses.
   */
  pool?: { name: string; dataOffset: number };
  /** Firmware symbols that mark where static use of the region ends (the heap starts there). */
  boundarySymbols: string[];
}

/** Two address windows onto the same bytes (docs/design.md §8 "I/D alias"). */
export interface BusAlias {
  instruction: AddressRange;
  data: AddressRange;
  /** ESP32: the data view runs backwards in 4-byte words relative to the instruction view. */
  inverted: boolean;
}

export interface Chip {
  id: ChipId;
  name: string;
  machine: number;
  regions: ChipRegion[];
  aliases: BusAlias[];
  /** Whether code can run from PSRAM (S2: through the MMU; S3: data address + 0x06000000). */
  psramExec: boolean;
  /**
   * The offset from a PSRAM data address to the instruction address of the same byte, where
   * the linker fragment can place code in PSRAM at a fixed address (S3 only, for now).
   */
  psramCodeOffset?: number;
}

const r = (start: number, end: number): AddressRange => ({ start, end });
const KB = 1024;

const IRAM_END = ['_iram_end', '_iram_text_end'];
const DRAM_END = ['_heap_start', '_bss_end'];
const NO_SYMBOLS: string[] = [];

function ram(name: RegionName, ranges: AddressRange[], exec: boolean, data: boolean, extra: Partial<ChipRegion> = {}): ChipRegion {
  return { name, ranges, exec, data, flash: false, boundarySymbols: NO_SYMBOLS, ...extra };
}
// Flash windows are soc.h's SOC_IROM_LOW/HIGH (code) and SOC_DROM_LOW/HIGH (data).
function flash(name: 'Flash Code' | 'Flash Data', range: AddressRange): ChipRegion {
  return { name, ranges: [range], exec: name === 'Flash Code', data: name === 'Flash Data', flash: true, boundarySymbols: NO_SYMBOLS };
}

export const CHIPS: Record<ChipId, Chip> = {
  esp32: {
    id: 'esp32',
    name: 'ESP32',
    machine: EM_XTENSA,
    psramExec: false,
    regions: [
      ram('IRAM', [r(0x40080000, 0x400a0000)], true, false, { boundarySymbols: IRAM_END }),
      ram('DRAM', [r(0x3ffb0000, 0x40000000)], false, true, { boundarySymbols: DRAM_END }),
      // RTC fast memory is seen through the instruction bus (rtc_iram_seg) and the data bus
      // (rtc_data_seg) at two addresses; both windows count for the same 8 KB.
      ram('RTC Fast', [r(0x400c0000, 0x400c2000), r(0x3ff80000, 0x3ff82000)], true, true),
      ram('RTC Slow', [r(0x50000000, 0x50002000)], true, true),
      flash('Flash Code', r(0x400d0000, 0x40400000)),
      flash('Flash Data', r(0x3f400000, 0x3f800000)),
      ram('PSRAM', [r(0x3f800000, 0x3fc00000)], false, true, { boundarySymbols: ['_ext_ram_bss_end'] }),
    ],
    aliases: [{ instruction: r(0x400a0000, 0x400c0000), data: r(0x3ffe0000, 0x40000000), inverted: true }],
  },
  esp32s2: {
    id: 'esp32s2',
    name: 'ESP32-S2',
    machine: EM_XTENSA,
    psramExec: true,
    regions: [
      ram('IRAM', [r(0x40020000, 0x40070000)], true, false, { boundarySymbols: IRAM_END, pool: { name: 'SRAM', dataOffset: 0x70000 } }),
      ram('DRAM', [r(0x3ffb0000, 0x40000000)], false, true, { boundarySymbols: DRAM_END, pool: { name: 'SRAM', dataOffset: 0 } }),
      ram('RTC Fast', [r(0x40070000, 0x40072000), r(0x3ff9e000, 0x3ffa0000)], true, true),
      ram('RTC Slow', [r(0x50000000, 0x50002000)], true, true),
      flash('Flash Code', r(0x40080000, 0x40800000)),
      flash('Flash Data', r(0x3f000000, 0x3ff80000)),
      // Shares the data window with flash rodata; the model tells them apart by section kind.
      ram('PSRAM', [r(0x3f500000, 0x3ff80000)], true, true, { boundarySymbols: ['_ext_ram_bss_end'] }),
    ],
    aliases: [{ instruction: r(0x40020000, 0x40070000), data: r(0x3ffb0000, 0x40000000), inverted: false }],
  },
  esp32s3: {
    id: 'esp32s3',
    name: 'ESP32-S3',
    machine: EM_XTENSA,
    psramExec: true,
    psramCodeOffset: 0x06000000,
    regions: [
      ram('IRAM', [r(0x40370000, 0x403e0000)], true, false, { boundarySymbols: IRAM_END, pool: { name: 'SRAM', dataOffset: 0x6f0000 } }),
      ram('DRAM', [r(0x3fc88000, 0x3fd00000)], false, true, { boundarySymbols: DRAM_END, pool: { name: 'SRAM', dataOffset: 0 } }),
      ram('RTC Fast', [r(0x600fe000, 0x60100000)], true, true),
      ram('RTC Slow', [r(0x50000000, 0x50002000)], true, true),
      flash('Flash Code', r(0x42000000, 0x44000000)),
      flash('Flash Data', r(0x3c000000, 0x3e000000)),
      ram('PSRAM', [r(0x3c000000, 0x3e000000)], true, true, { boundarySymbols: ['_ext_ram_bss_end'] }),
    ],
    aliases: [{ instruction: r(0x40378000, 0x403e0000), data: r(0x3fc88000, 0x3fcf0000), inverted: false }],
  },
  esp32c2: {
    id: 'esp32c2',
    name: 'ESP32-C2',
    machine: EM_RISCV,
    psramExec: false,
    regions: [
      ram('IRAM', [r(0x4037c000, 0x403c0000)], true, false, { boundarySymbols: IRAM_END, pool: { name: 'SRAM', dataOffset: 0x6e0000 } }),
      ram('DRAM', [r(0x3fca0000, 0x3fce0000)], false, true, { boundarySymbols: DRAM_END, pool: { name: 'SRAM', dataOffset: 0 } }),
      // No RTC memory at all.
      flash('Flash Code', r(0x42000000, 0x42400000)),
      flash('Flash Data', r(0x3c000000, 0x3c400000)),
    ],
    aliases: [{ instruction: r(0x4037c000, 0x403c0000), data: r(0x3fc9c000, 0x3fce0000), inverted: false }],
  },
  esp32c3: {
    id: 'esp32c3',
    name: 'ESP32-C3',
    machine: EM_RISCV,
    psramExec: false,
    regions: [
      ram('IRAM', [r(0x4037c000, 0x403e0000)], true, false, { boundarySymbols: IRAM_END, pool: { name: 'SRAM', dataOffset: 0x700000 } }),
      ram('DRAM', [r(0x3fc80000, 0x3fce0000)], false, true, { boundarySymbols: DRAM_END, pool: { name: 'SRAM', dataOffset: 0 } }),
      // The C3 has one 8 KB RTC memory (RTC fast, one address for both buses) and no RTC slow.
      ram('RTC Fast', [r(0x50000000, 0x50002000)], true, true),
      flash('Flash Code', r(0x42000000, 0x42800000)),
      flash('Flash Data', r(0x3c000000, 0x3c800000)),
    ],
    aliases: [{ instruction: r(0x40380000, 0x403e0000), data: r(0x3fc80000, 0x3fce0000), inverted: false }],
  },
  esp32c6: {
    id: 'esp32c6',
    name: 'ESP32-C6',
    machine: EM_RISCV,
    psramExec: false,
    regions: [
      // One SRAM at one address for code and data: a section goes to IRAM when it is
      // executable, to DRAM otherwise, and both draw on the same 512 KB.
      ram('IRAM', [r(0x40800000, 0x40880000)], true, false, { boundarySymbols: IRAM_END, pool: { name: 'SRAM', dataOffset: 0 } }),
      ram('DRAM', [r(0x40800000, 0x40880000)], false, true, { boundarySymbols: DRAM_END, pool: { name: 'SRAM', dataOffset: 0 } }),
      // The C6's low-power SRAM (16 KB) plays the role of RTC fast memory; there is no RTC slow.
      ram('RTC Fast', [r(0x50000000, 0x50004000)], true, true),
      // One shared instruction/data window onto flash: the model splits it by section kind.
      flash('Flash Code', r(0x42000000, 0x43000000)),
      flash('Flash Data', r(0x42000000, 0x43000000)),
    ],
    aliases: [{ instruction: r(0x40800000, 0x40880000), data: r(0x40800000, 0x40880000), inverted: false }],
  },
  esp32h2: {
    id: 'esp32h2',
    name: 'ESP32-H2',
    machine: EM_RISCV,
    psramExec: false,
    regions: [
      // Like the C6: one 320 KB SRAM at one address for code and data.
      ram('IRAM', [r(0x40800000, 0x40850000)], true, false, { boundarySymbols: IRAM_END, pool: { name: 'SRAM', dataOffset: 0 } }),
      ram('DRAM', [r(0x40800000, 0x40850000)], false, true, { boundarySymbols: DRAM_END, pool: { name: 'SRAM', dataOffset: 0 } }),
      // 4 KB of low-power SRAM.
      ram('RTC Fast', [r(0x50000000, 0x50001000)], true, true),
      flash('Flash Code', r(0x42000000, 0x43000000)),
      flash('Flash Data', r(0x42000000, 0x43000000)),
    ],
    aliases: [{ instruction: r(0x40800000, 0x40850000), data: r(0x40800000, 0x40850000), inverted: false }],
  },
};

export const CHIP_IDS = Object.keys(CHIPS) as ChipId[];

/** Accepts `esp32s3`, `esp32-s3`, `ESP32-S3`, `s3`. */
export function parseChipId(text: string): ChipId | undefined {
  const t = text
    .trim()
    .toLowerCase()
    .replace(/[-_\s]/g, '');
  const id = (t.startsWith('esp32') ? t : 'esp32' + t) as ChipId;
  return CHIP_IDS.includes(id) ? id : undefined;
}

/**
 * The instruction window the flash cache maps 64 KB flash pages into: ESP-IDF's
 * SOC_IROM_LOW..SOC_IROM_HIGH (components/soc/<chip>/include/soc/soc.h), which is the
 * chip's 'Flash Code' region. The app's own `.flash.text` is mapped from its start; flash
 * slots (docs/design.md §6a) live above it.
 */
export function instructionWindow(chip: ChipId): AddressRange {
  return CHIPS[chip].regions.find((g) => g.name === 'Flash Code')!.ranges[0];
}

export function regionSize(region: ChipRegion): number {
  return region.ranges[0].end - region.ranges[0].start;
}

export function rangeOf(region: ChipRegion, address: number): AddressRange | undefined {
  return region.ranges.find((g) => address >= g.start && address < g.end);
}

export { KB };

/**
 * ESP-IDF's linker memory regions (the MEMORY block of memory.ld, echoed in every map's
 * "Memory Configuration") and the region of ours each one is. `reserved` regions are the few
 * bytes ESP-IDF keeps at the end of RTC/LP memory for the bootloader and ROM: they belong to
 * the region's size and use, but static use does not grow into them.
 * ESP-IDF 5.3+ on C6/H2 (and later chips) has one `sram_seg` for code and data.
 */
export const LINKER_REGIONS: { name: string; regions: RegionName[]; reserved?: true }[] = [
  { name: 'iram0_0_seg', regions: ['IRAM'] },
  { name: 'dram0_0_seg', regions: ['DRAM'] },
  { name: 'sram_seg', regions: ['IRAM', 'DRAM'] },
  { name: 'iram0_2_seg', regions: ['Flash Code'] },
  { name: 'irom_seg', regions: ['Flash Code'] },
  { name: 'drom0_0_seg', regions: ['Flash Data'] },
  { name: 'drom_seg', regions: ['Flash Data'] },
  { name: 'rtc_iram_seg', regions: ['RTC Fast'] },
  { name: 'rtc_data_seg', regions: ['RTC Fast'] },
  { name: 'lp_ram_seg', regions: ['RTC Fast'] },
  { name: 'rtc_fast_reserved_seg', regions: ['RTC Fast'], reserved: true },
  { name: 'rtc_reserved_seg', regions: ['RTC Fast'], reserved: true },
  { name: 'lp_reserved_seg', regions: ['RTC Fast'], reserved: true },
  { name: 'rtc_slow_seg', regions: ['RTC Slow'] },
  { name: 'rtc_slow_reserved_seg', regions: ['RTC Slow'], reserved: true },
  { name: 'extern_ram_seg', regions: ['PSRAM'] },
];

/** Our region for a linker memory region name, or undefined for names ESP-IDF does not use. */
export function linkerRegion(name: string): { name: string; regions: RegionName[]; reserved?: true } | undefined {
  return LINKER_REGIONS.find((l) => l.name === name);
}

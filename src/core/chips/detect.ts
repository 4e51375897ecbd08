// Which chip a firmware was built for, and which region of that chip a section lives in.
// Detection uses the ELF machine and where the linker put the well-known ESP-IDF output
// sections; a PlatformIO board id or an explicit `--chip` wins over both.
import type { ElfFile } from '../elf/reader';
import { SectionType, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, EM_RISCV, EM_XTENSA, type Section } from '../elf/types';
import { CHIPS, CHIP_IDS, parseChipId, rangeOf, type Chip, type ChipId, type ChipRegion, type RegionName } from './chips';
import { chipOfBoard } from './boards';

export class ChipError extends Error {}

/** What the section's name says about where it belongs (ESP-IDF sections.ld names). */
const NAME_HINTS: [RegExp, RegionName][] = [
  [/^\.iram[01]?(\.|$)/, 'IRAM'],
  [/^\.dram[01]?(\.|$)/, 'DRAM'],
  [/^\.rtc\.(text|force_fast|dummy)|^\.rtc_fast/, 'RTC Fast'],
  [/^\.rtc(\.|_noinit|_slow)/, 'RTC Slow'],
  [/^\.flash\.text/, 'Flash Code'],
  [/^\.flash[._]/, 'Flash Data'],
  [/^\.ext_ram|^\.psram/, 'PSRAM'],
];

/** ESP-IDF's linker memory region names (DESIGN §4), most specific first. */
const LINKER_REGION_HINTS: [RegExp, RegionName][] = [
  [/^iram0_2_seg$|irom/, 'Flash Code'],
  [/^drom|flash_rodata|rodata_seg/, 'Flash Data'],
  [/extern_ram|ext_ram|psram/, 'PSRAM'],
  [/rtc_slow/, 'RTC Slow'],
  [/rtc/, 'RTC Fast'],
  [/iram/, 'IRAM'],
  [/dram/, 'DRAM'],
];

export function regionHintFromSectionName(name: string): RegionName | undefined {
  return NAME_HINTS.find(([re]) => re.test(name))?.[1];
}

export function regionHintFromLinkerRegion(name: string): RegionName | undefined {
  return LINKER_REGION_HINTS.find(([re]) => re.test(name))?.[1];
}

export interface SectionLike {
  name: string;
  addr: number;
  flags: number;
  type: number;
}

/**
 * The chip region holding a section, or undefined when its address is in none. Where two
 * regions share addresses (S3 flash data / PSRAM, C6 unified SRAM) the section's
 * properties decide: executable → code region; name hint; writable or NOBITS → RAM.
 */
export function regionOfSection(chip: Chip, s: SectionLike): ChipRegion | undefined {
  let candidates = chip.regions.filter((g) => rangeOf(g, s.addr));
  if (candidates.length <= 1) return candidates[0];
  const exec = (s.flags & SHF_EXECINSTR) !== 0;
  const byCapability = candidates.filter((g) => (exec ? g.exec : g.data));
  if (byCapability.length) candidates = byCapability;
  if (candidates.length === 1) return candidates[0];
  const hint = regionHintFromSectionName(s.name);
  const hinted = candidates.find((g) => g.name === hint);
  if (hinted) return hinted;
  const ramLike = (s.flags & SHF_WRITE) !== 0 || s.type === SectionType.NOBITS;
  return candidates.find((g) => g.flash !== ramLike) ?? candidates[0];
}

function allocatedSections(elf: ElfFile): Section[] {
  return elf.sections.filter((s) => (s.flags & SHF_ALLOC) !== 0 && s.size > 0);
}

/** How well a chip's map explains where the sections are: 2 per name-consistent section, 1 per section inside some region. */
function scoreChip(chip: Chip, sections: Section[]): number {
  let score = 0;
  for (const s of sections) {
    const region = regionOfSection(chip, s);
    if (!region) continue;
    score += regionHintFromSectionName(s.name) === region.name ? 2 : 1;
  }
  return score;
}

export type ChipSource = 'option' | 'board' | 'elf';

export interface ChipChoice { chip: Chip; source: ChipSource; detail: string }

/**
 * The chip of a firmware: `override` (the --chip option) first, then the PlatformIO board
 * id, then the ELF. Throws ChipError for an unknown id or a non-ESP32 ELF.
 */
export function detectChip(elf: ElfFile, hints: { override?: string; board?: string } = {}): ChipChoice {
  if (hints.override) {
    const id = parseChipId(hints.override);
    if (!id) throw new ChipError(`unknown chip '${hints.override}'; use one of ${CHIP_IDS.join(', ')}`);
    return { chip: CHIPS[id], source: 'option', detail: `--chip ${hints.override}` };
  }
  if (hints.board) {
    const id = chipOfBoard(hints.board);
    if (id) return { chip: CHIPS[id], source: 'board', detail: `board ${hints.board}` };
  }
  const machine = elf.header.machine;
  if (machine !== EM_XTENSA && machine !== EM_RISCV) {
    throw new ChipError(`ELF machine ${machine} is neither Xtensa (${EM_XTENSA}) nor RISC-V (${EM_RISCV}): not an ESP32 firmware; pass --chip to analyse it anyway`);
  }
  const sections = allocatedSections(elf);
  const candidates = CHIP_IDS.map((id) => CHIPS[id]).filter((c) => c.machine === machine);
  let best = candidates[0];
  let bestScore = -1;
  for (const c of candidates) {
    const score = scoreChip(c, sections);
    if (score > bestScore) { best = c; bestScore = score; }
  }
  const arch = machine === EM_XTENSA ? 'Xtensa' : 'RISC-V';
  return { chip: best, source: 'elf', detail: `${arch} ELF, section addresses match ${best.name}` };
}

export function chipById(id: ChipId): Chip {
  return CHIPS[id];
}

// Which chip a firmware was built for, and which region of that chip a section lives in.
// Detection uses the ELF machine and where the linker put the well-known ESP-IDF output
// sections; a PlatformIO board id or an explicit `--chip` wins over both.
import type { ElfFile } from '../elf/reader';
import { SectionType, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, EM_RISCV, EM_XTENSA } from '../elf/types';
import { CHIPS, CHIP_IDS, linkerRegion, parseChipId, rangeOf, type Chip, type ChipId, type ChipRegion, type RegionName } from './chips';
import { chipOfBoard } from './boards';
import { Esp32mmError } from '../errors';

export class ChipError extends Esp32mmError {
  readonly code = 'CHIP';
}

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

export function regionHintFromSectionName(name: string): RegionName | undefined {
  return NAME_HINTS.find(([re]) => re.test(name))?.[1];
}

/** Our region for one of ESP-IDF's linker memory regions (the first, where it is two). */
export function regionHintFromLinkerRegion(name: string): RegionName | undefined {
  return linkerRegion(name)?.regions[0];
}

export interface SectionLike {
  name: string;
  addr: number;
  flags: number;
  type: number;
  size?: number;
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

/**
 * How well a chip's memory map explains where the sections are: 2 for a section in the region
 * its name says (`.iram0.text` in IRAM), 1 for a section in some region whose name says
 * nothing, 0 for one outside every region or in a region its name contradicts (`.iram0.text`
 * at an ESP32 IRAM address lies in the ESP32-S2's flash code window).
 */
function scoreChip(chip: Chip, sections: SectionLike[]): number {
  let score = 0;
  for (const s of sections) {
    const region = regionOfSection(chip, s);
    if (!region) continue;
    const hint = regionHintFromSectionName(s.name);
    if (hint === undefined) score += 1;
    else if (hint === region.name) score += 2;
  }
  return score;
}

export type ChipSource = 'option' | 'board' | 'sdkconfig' | 'elf' | 'map';

export interface ChipChoice {
  chip: Chip;
  source: ChipSource;
  detail: string;
}

/** What a build tells about its chip. */
export interface ChipEvidence {
  /** ELF e_machine, when the ELF is at hand. */
  machine?: number;
  /** The allocated sections (of the ELF, or of the map in map-only mode). */
  sections: SectionLike[];
  /** The map's text: its paths name the chip (`…/esp_rom/esp32c2/…`). */
  mapText?: string;
  /** `CONFIG_IDF_TARGET` of the build's sdkconfig. */
  sdkconfigTarget?: string;
}

/**
 * The chip of a firmware: `override` (--chip, custom_mm_chip) first, then the PlatformIO
 * board id, then the build itself: the chips whose memory map explains the section addresses
 * best. Some chips share a layout (C2/C3 in part, C6/H2 entirely); such a tie is broken by the
 * build's sdkconfig target, then by which chip's name the map's paths carry. Never a guess:
 * a tie that nothing breaks is a ChipError that says what to set.
 */
export function detectChip(evidence: ChipEvidence, hints: { override?: string; board?: string } = {}): ChipChoice {
  if (hints.override) {
    const id = parseChipId(hints.override);
    if (!id) throw new ChipError(`unknown chip '${hints.override}'; use one of ${CHIP_IDS.join(', ')}`);
    return { chip: CHIPS[id], source: 'option', detail: `chip ${hints.override} as set` };
  }
  if (hints.board) {
    const id = chipOfBoard(hints.board);
    if (id) return { chip: CHIPS[id], source: 'board', detail: `board ${hints.board}` };
  }
  const { machine } = evidence;
  if (machine !== undefined && machine !== EM_XTENSA && machine !== EM_RISCV) {
    throw new ChipError(
      `ELF machine ${machine} is neither Xtensa (${EM_XTENSA}) nor RISC-V (${EM_RISCV}): not an ESP32 firmware; set the chip explicitly to analyse it anyway`,
    );
  }
  const sections = evidence.sections.filter((s) => s.size === undefined || s.size > 0);
  const candidates = CHIP_IDS.map((id) => CHIPS[id]).filter((c) => machine === undefined || c.machine === machine);
  const scored = candidates.map((chip) => ({ chip, score: scoreChip(chip, sections) }));
  const best = Math.max(...scored.map((c) => c.score));
  const tied = scored.filter((c) => c.score === best).map((c) => c.chip);
  const source: ChipSource = machine !== undefined ? 'elf' : 'map';
  const what = machine !== undefined ? `${machine === EM_XTENSA ? 'Xtensa' : 'RISC-V'} ELF` : 'map';
  if (best <= 0) throw new ChipError(`no section of this ${what} lies in the memory of any ESP32 chip: set the chip explicitly`);
  if (tied.length === 1) return { chip: tied[0], source, detail: `${what}, section addresses match ${tied[0].name}` };
  const target = evidence.sdkconfigTarget ? parseChipId(evidence.sdkconfigTarget) : undefined;
  const configured = tied.find((c) => c.id === target);
  if (configured) return { chip: configured, source: 'sdkconfig', detail: `sdkconfig CONFIG_IDF_TARGET=${evidence.sdkconfigTarget}` };
  const named = evidence.mapText !== undefined ? chipNamedByPaths(evidence.mapText, tied) : undefined;
  if (named) return { chip: named, source: 'map', detail: `${what}: the map's paths name ${named.name}` };
  throw new ChipError(
    `this build fits ${tied.map((c) => c.name).join(' and ')} alike (same memory layout) and nothing else tells them apart: set the chip explicitly (custom_mm_chip in platformio.ini)`,
  );
}

/**
 * The chip whose id the map's paths carry clearly more often than any other candidate's
 * (ESP-IDF keeps chip-specific files in folders named after the chip). Undefined when no
 * candidate is named, or two are named about equally.
 */
function chipNamedByPaths(mapText: string, candidates: Chip[]): Chip | undefined {
  const counts = candidates.map((chip) => ({ chip, n: countToken(mapText, chip.id) })).sort((a, b) => b.n - a.n);
  if (counts[0].n === 0) return undefined;
  if (counts.length > 1 && counts[0].n < 2 * counts[1].n) return undefined;
  return counts[0].chip;
}

/** Occurrences of `token` not followed by a letter or digit (`esp32c3` but not in `esp32c3x`). */
function countToken(text: string, token: string): number {
  let n = 0;
  for (let i = text.indexOf(token); i >= 0; i = text.indexOf(token, i + token.length)) {
    const next = text.charCodeAt(i + token.length);
    const alnum = (next >= 48 && next <= 57) || (next >= 97 && next <= 122) || (next >= 65 && next <= 90);
    if (!alnum) n++;
  }
  return n;
}

export function elfChipEvidence(elf: ElfFile): ChipEvidence {
  return { machine: elf.header.machine, sections: elf.sections.filter((s) => (s.flags & SHF_ALLOC) !== 0 && s.size > 0) };
}

export function chipById(id: ChipId): Chip {
  return CHIPS[id];
}

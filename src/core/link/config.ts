// What the linker fragment is generated from: the chip, the dynamic libraries, how they
// share address ranges (slots) and where code and data live. Mirrors the `custom_mm_*`
// options of platformio.ini; `validateLinkConfig` turns user input into one.
import { CHIPS, CHIP_IDS, instructionWindow, parseChipId, type ChipId } from '../chips/chips';
import { splitList } from '../conventions';
import { EM_XTENSA } from '../elf/types';
import { isLibraryName, libraryIdentifier } from '../names';
import { Esp32mmError } from '../errors';

export type { ChipId };

/** `flash`: executes in place from the flash cache, in the chip's instruction window (docs/design.md §6a). */
export type CodePlacement = 'iram' | 'psram' | 'flash';
export type DataPlacement = 'dram' | 'psram';
/** Which constructor table the toolchain emits for C++ static objects (docs/design.md §4). */
export type CtorKind = 'init_array' | 'ctors';

export interface Slot {
  name: string;
  libs: string[];
  /** Where the slot's code runs: the configuration's RAM placement, or `flash` (§6a). */
  code: CodePlacement;
}

/** A slot as written (`ai: A B`, `ai(flash): A B`); without a kind it takes the configuration's. */
export interface SlotSpec {
  name: string;
  libs: string[];
  code?: CodePlacement;
}

/** One MMU page: flash slots and library images start on these boundaries (§6a). */
export const FLASH_PAGE = 0x10000;
export interface LinkConfig {
  chip: ChipId;
  /** Every dynamic library, in the order the user listed them. */
  libs: string[];
  /** Each library in exactly one slot; libraries of one slot share an address range. */
  slots: Slot[];
  code: CodePlacement;
  data: DataPlacement;
  ctors: CtorKind;
  /** Execution address for code in PSRAM (ESP32-S3 only; the runtime maps PSRAM there). */
  psramCodeAddress?: number;
  psramCodeLength?: number;
  /** With flash slots: the 64 KB-aligned address in the instruction window where they start. */
  flashCodeAddress?: number;
}

interface ChipTraits {
  arch: 'xtensa' | 'riscv';
  /** The chip has PSRAM that the framework maps as `extern_ram_seg`. */
  psramData: boolean;
  /** The fragment can link code into PSRAM at a fixed instruction address. */
  psramCode: boolean;
}

/** What the fragment needs of a chip, read from the one chip table. */
export function chipTraits(chip: ChipId): ChipTraits {
  const c = CHIPS[chip];
  return {
    arch: c.machine === EM_XTENSA ? 'xtensa' : 'riscv',
    psramData: c.regions.some((g) => g.name === 'PSRAM'),
    psramCode: c.psramCodeOffset !== undefined,
  };
}

export class LinkConfigError extends Esp32mmError {
  readonly code = 'LINK_CONFIG';
}

/**
 * Library names follow src/core/names.ts (they may contain `-`); everything derived from a
 * name uses its identifier (`-` → `_`), and two names with one identifier are refused. Slot
 * names are C identifiers themselves.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export { libraryIdentifier, splitList };

export interface LinkConfigInput {
  chip: string;
  libs: string[];
  /** `name: A B` / `name:A,B` / `name(flash): A B` strings as in custom_mm_slots, or already split. */
  slots?: (string | SlotSpec)[];
  code?: string;
  data?: string;
  ctors?: string;
  psramCodeAddress?: number;
  psramCodeLength?: number;
  /**
   * Where flash slots start (custom_mm_flash_code_addr). Without it: the first 64 KB boundary
   * at or above the window's start + `largestAppPartition` (§6a), which is then required.
   */
  flashCodeAddress?: number;
  /** Bytes of the partition table's largest app partition: how far the app's own flash code can reach. */
  largestAppPartition?: number;
}

const SLOT_KIND = /^(.*?)\s*\(\s*([^()]*?)\s*\)$/;

export function parseSlotSpec(spec: string): SlotSpec {
  const colon = spec.indexOf(':');
  if (colon < 0)
    throw new LinkConfigError(
      `slot '${spec}' has no ':' — write it as <slot>: <lib> <lib>…, e.g. "ai: TinyClassifier ImageFilters" (a flash slot: "ai(flash): TinyClassifier ImageFilters")`,
    );
  const head = spec.slice(0, colon).trim();
  const libs = splitList(spec.slice(colon + 1));
  const kind = SLOT_KIND.exec(head);
  if (!kind) return { name: head, libs };
  if (kind[2] !== 'flash') {
    throw new LinkConfigError(
      `slot '${kind[1]}' has the kind '${kind[2]}': the only kind a slot can be given is flash ("${kind[1]}(flash): ${libs.join(' ')}"); RAM slots follow custom_mm_code`,
    );
  }
  return { name: kind[1], libs, code: 'flash' };
}

/**
 * The libraries and slots alone (names, membership, slot kinds), without placing anything:
 * what init and the registrations need before a partition table exists.
 */
export function validateLinkNames(input: Pick<LinkConfigInput, 'libs' | 'slots' | 'code'>): { libs: string[]; slots: Slot[] } {
  const libs = input.libs.map((l) => l.trim()).filter(Boolean);
  if (!libs.length)
    throw new LinkConfigError('no libraries given: name at least one lib/ folder to make dynamic (custom_mm_libs / --libs)');
  for (const lib of libs) checkLibraryName(lib);
  const dup = libs.find((l, i) => libs.indexOf(l) !== i);
  if (dup) throw new LinkConfigError(`library '${dup}' is listed twice`);
  checkIdentifierCollisions(libs);
  const code = (input.code ?? 'iram') as CodePlacement;
  const slots = buildSlots(
    libs,
    (input.slots ?? []).map((s) => (typeof s === 'string' ? parseSlotSpec(s) : s)),
    code,
  );
  checkFlashImageCount(slots);
  return { libs, slots };
}

/**
 * The mmlib partition's directory has one header sector per flash-slot library and one wear
 * sector (§6a; MM_FLASH_MAX_IMAGES in firmware/src/mm_flash.h): a 16th library has no header.
 */
export const MAX_FLASH_IMAGES = 15;

function checkFlashImageCount(slots: Slot[]): void {
  const flashLibs = slots.filter(isFlashSlot).flatMap((s) => s.libs);
  if (flashLibs.length > MAX_FLASH_IMAGES) {
    throw new LinkConfigError(
      `${flashLibs.length} libraries are in flash slots, at most ${MAX_FLASH_IMAGES} fit the mmlib partition's directory: ` +
        'move the others to RAM slots (a slot without "(flash)") or merge small libraries into one lib/ folder',
    );
  }
}

export function validateLinkConfig(input: LinkConfigInput): LinkConfig {
  const chip = parseChipId(input.chip);
  if (!chip) throw new LinkConfigError(`unknown chip '${input.chip}': use one of ${CHIP_IDS.join(', ')}`);
  const { libs, slots } = validateLinkNames(input);
  const code = (input.code ?? 'iram') as CodePlacement;
  const data = (input.data ?? 'dram') as DataPlacement;
  // ESP-IDF's Xtensa toolchains emit .ctors (their sections.ld collects only .ctors into
  // __init_array_start..end); the RISC-V ones are built with --enable-initfini-array.
  const traits = chipTraits(chip);
  const ctors = (input.ctors ?? (traits.arch === 'xtensa' ? 'ctors' : 'init_array')) as CtorKind;
  if (code !== 'iram' && code !== 'psram' && code !== 'flash')
    throw new LinkConfigError(`code placement '${input.code}' is not supported: use iram, psram or flash`);
  if (data !== 'dram' && data !== 'psram') throw new LinkConfigError(`data placement '${input.data}' is not supported: use dram or psram`);
  if (ctors !== 'init_array' && ctors !== 'ctors')
    throw new LinkConfigError(`constructor table '${input.ctors}' is unknown: use init_array or ctors`);
  if (data === 'psram' && !traits.psramData) throw new LinkConfigError(`${chip} has no PSRAM: use data = dram`);
  if (code === 'psram') {
    if (!traits.psramCode)
      throw new LinkConfigError(`${chip} cannot execute code from PSRAM: use code = iram (only the ESP32-S3 runs code from PSRAM)`);
    if (input.psramCodeAddress === undefined) {
      throw new LinkConfigError(
        'code = psram needs the execution address the runtime maps PSRAM code at (custom_mm_psram_code_addr / --psram-code-addr)',
      );
    }
  }
  const config: LinkConfig = {
    chip,
    libs,
    slots,
    code,
    data,
    ctors,
    psramCodeAddress: input.psramCodeAddress,
    psramCodeLength: input.psramCodeLength ?? 0x100000,
  };
  if (slots.some((s) => s.code === 'flash')) config.flashCodeAddress = flashCodeAddress(chip, input);
  return config;
}

/** A slot's code runs from the flash cache (§6a). */
export function isFlashSlot(slot: Slot): boolean {
  return slot.code === 'flash';
}

/**
 * Where the flash slots start: the explicit address, checked, or the first 64 KB boundary at
 * or above the window's start + the largest app partition (the furthest the app's own
 * `.flash.text` can reach: it is mapped from the window's start and is never larger than its
 * partition).
 */
function flashCodeAddress(chip: ChipId, input: LinkConfigInput): number {
  const window = instructionWindow(chip);
  const appReach = input.largestAppPartition === undefined ? undefined : window.start + input.largestAppPartition;
  const option = 'custom_mm_flash_code_addr (--flash-code-addr)';
  const windowText = `${chip}'s instruction window ${hex(window.start)}–${hex(window.end)}`;
  let address = input.flashCodeAddress;
  if (address === undefined) {
    if (appReach === undefined) {
      throw new LinkConfigError(
        `flash slots need the partition table (the app partition's size says how far the app's own code reaches: --partitions <partitions.csv|partitions.bin>) or an explicit ${option}`,
      );
    }
    address = Math.ceil(appReach / FLASH_PAGE) * FLASH_PAGE;
    if (address >= window.end) {
      throw new LinkConfigError(
        `no room for flash slots: the largest app partition (${hex(input.largestAppPartition!)} bytes) fills the ${windowText}; use a smaller app partition`,
      );
    }
    return address;
  }
  if (!Number.isInteger(address) || address % FLASH_PAGE !== 0)
    throw new LinkConfigError(
      `${option} ${hex(address)} is not on a 64 KB boundary (the flash cache maps 64 KB pages): use e.g. ${hex(Math.ceil(address / FLASH_PAGE) * FLASH_PAGE)}`,
    );
  if (address < window.start || address >= window.end) throw new LinkConfigError(`${option} ${hex(address)} is outside the ${windowText}`);
  if (appReach !== undefined && address < appReach) {
    throw new LinkConfigError(
      `${option} ${hex(address)} is inside the part of the ${windowText} the app's own code can reach (up to ${hex(appReach)}, the window's start + the largest app partition): use ${hex(Math.ceil(appReach / FLASH_PAGE) * FLASH_PAGE)} or above`,
    );
  }
  return address;
}

function hex(n: number): string {
  return '0x' + n.toString(16).toUpperCase().padStart(8, '0');
}

function checkLibraryName(name: string): void {
  if (!isLibraryName(name)) {
    throw new LinkConfigError(
      `library name '${name}' cannot be used: it names the archive lib${name}.a and becomes a section name and C symbols ` +
        `(_mm_${libraryIdentifier(name)}_text_start), so it may contain only letters, digits, _ and - and must not start with a digit or - — rename the lib/ folder`,
    );
  }
}

/** `esp-tls` and `esp_tls` would share sections, symbols and files. */
function checkIdentifierCollisions(libs: string[]): void {
  const byId = new Map<string, string>();
  for (const lib of libs) {
    const id = libraryIdentifier(lib);
    const other = byId.get(id);
    if (other !== undefined) {
      throw new LinkConfigError(
        `libraries '${other}' and '${lib}' cannot both be dynamic: both become the identifier '${id}' (each - is written as _ in section and symbol names) — rename one lib/ folder`,
      );
    }
    byId.set(id, lib);
  }
}

function checkIdentifier(name: string, what: string): void {
  if (!IDENTIFIER.test(name)) {
    throw new LinkConfigError(
      `${what} name '${name}' cannot be used: it becomes a section name and C symbols (_mm_slot_${name}_text_start), ` +
        'so it may contain only letters, digits and _ and must not start with a digit',
    );
  }
}

/** Explicit slots first (in the order given); every library not named gets its own slot. */
function buildSlots(libs: string[], explicit: SlotSpec[], code: CodePlacement): Slot[] {
  const owner = new Map<string, string>();
  for (const slot of explicit) {
    checkIdentifier(slot.name, 'slot');
    if (!slot.libs.length) throw new LinkConfigError(`slot '${slot.name}' names no libraries`);
    for (const lib of slot.libs) {
      if (!libs.includes(lib))
        throw new LinkConfigError(`slot '${slot.name}' names '${lib}', which is not in the library list (${libs.join(', ')})`);
      const prev = owner.get(lib);
      if (prev) throw new LinkConfigError(`library '${lib}' is in two slots ('${prev}' and '${slot.name}')`);
      owner.set(lib, slot.name);
    }
  }
  const names = explicit.map((s) => s.name);
  const dupSlot = names.find((n, i) => names.indexOf(n) !== i);
  if (dupSlot) throw new LinkConfigError(`slot '${dupSlot}' is defined twice`);
  // A slot of its own is named by the library's identifier: slot names become symbols.
  const own = libs.filter((l) => !owner.has(l)).map((l) => ({ name: libraryIdentifier(l), libs: [l], code }));
  const clash = own.find((s) => names.includes(s.name));
  if (clash)
    throw new LinkConfigError(
      `library '${clash.libs[0]}' has no slot of its own but a slot with that name exists: add it to a slot or rename the slot`,
    );
  return [...explicit.map((s) => ({ name: s.name, libs: [...s.libs], code: s.code ?? code })), ...own];
}

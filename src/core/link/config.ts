// What the linker fragment is generated from: the chip, the dynamic libraries, how they
// share address ranges (slots) and where code and data live. Mirrors the `custom_mm_*`
// options of platformio.ini; `validateLinkConfig` turns user input into one.
import { CHIPS, CHIP_IDS, parseChipId, type ChipId } from '../chips/chips';
import { splitList } from '../conventions';
import { EM_XTENSA } from '../elf/types';
import { isLibraryName, libraryIdentifier } from '../names';

export type { ChipId };

export type CodePlacement = 'iram' | 'psram';
export type DataPlacement = 'dram' | 'psram';
/** Which constructor table the toolchain emits for C++ static objects (docs/design.md §4). */
export type CtorKind = 'init_array' | 'ctors';

export interface Slot {
  name: string;
  libs: string[];
}

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

export class LinkConfigError extends Error {}

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
  /** `name: A B` / `name:A,B` strings as in custom_mm_slots, or already split. */
  slots?: (string | Slot)[];
  code?: string;
  data?: string;
  ctors?: string;
  psramCodeAddress?: number;
  psramCodeLength?: number;
}

export function parseSlotSpec(spec: string): Slot {
  const colon = spec.indexOf(':');
  if (colon < 0) throw new LinkConfigError(`slot '${spec}' has no ':' — write it as <slot>: <lib> <lib>…, e.g. "ai: TinyClassifier ImageFilters"`);
  const name = spec.slice(0, colon).trim();
  const libs = splitList(spec.slice(colon + 1));
  return { name, libs };
}

export function validateLinkConfig(input: LinkConfigInput): LinkConfig {
  const chip = parseChipId(input.chip);
  if (!chip) throw new LinkConfigError(`unknown chip '${input.chip}': use one of ${CHIP_IDS.join(', ')}`);
  const libs = input.libs.map((l) => l.trim()).filter(Boolean);
  if (!libs.length) throw new LinkConfigError('no libraries given: name at least one lib/ folder to make dynamic (custom_mm_libs / --libs)');
  for (const lib of libs) checkLibraryName(lib);
  const dup = libs.find((l, i) => libs.indexOf(l) !== i);
  if (dup) throw new LinkConfigError(`library '${dup}' is listed twice`);
  checkIdentifierCollisions(libs);
  const slots = buildSlots(libs, (input.slots ?? []).map((s) => (typeof s === 'string' ? parseSlotSpec(s) : s)));
  const code = (input.code ?? 'iram') as CodePlacement;
  const data = (input.data ?? 'dram') as DataPlacement;
  // ESP-IDF's Xtensa toolchains emit .ctors (their sections.ld collects only .ctors into
  // __init_array_start..end); the RISC-V ones are built with --enable-initfini-array.
  const traits = chipTraits(chip);
  const ctors = (input.ctors ?? (traits.arch === 'xtensa' ? 'ctors' : 'init_array')) as CtorKind;
  if (code !== 'iram' && code !== 'psram') throw new LinkConfigError(`code placement '${input.code}' is not supported: use iram or psram`);
  if (data !== 'dram' && data !== 'psram') throw new LinkConfigError(`data placement '${input.data}' is not supported: use dram or psram`);
  if (ctors !== 'init_array' && ctors !== 'ctors') throw new LinkConfigError(`constructor table '${input.ctors}' is unknown: use init_array or ctors`);
  if (data === 'psram' && !traits.psramData) throw new LinkConfigError(`${chip} has no PSRAM: use data = dram`);
  if (code === 'psram') {
    if (!traits.psramCode) throw new LinkConfigError(`${chip} cannot execute code from PSRAM: use code = iram (only the ESP32-S3 runs code from PSRAM)`);
    if (input.psramCodeAddress === undefined) {
      throw new LinkConfigError('code = psram needs the execution address the runtime maps PSRAM code at (custom_mm_psram_code_addr / --psram-code-addr)');
    }
  }
  return { chip, libs, slots, code, data, ctors, psramCodeAddress: input.psramCodeAddress, psramCodeLength: input.psramCodeLength ?? 0x100000 };
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
      throw new LinkConfigError(`libraries '${other}' and '${lib}' cannot both be dynamic: both become the identifier '${id}' (each - is written as _ in section and symbol names) — rename one lib/ folder`);
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
function buildSlots(libs: string[], explicit: Slot[]): Slot[] {
  const owner = new Map<string, string>();
  for (const slot of explicit) {
    checkIdentifier(slot.name, 'slot');
    if (!slot.libs.length) throw new LinkConfigError(`slot '${slot.name}' names no libraries`);
    for (const lib of slot.libs) {
      if (!libs.includes(lib)) throw new LinkConfigError(`slot '${slot.name}' names '${lib}', which is not in the library list (${libs.join(', ')})`);
      const prev = owner.get(lib);
      if (prev) throw new LinkConfigError(`library '${lib}' is in two slots ('${prev}' and '${slot.name}')`);
      owner.set(lib, slot.name);
    }
  }
  const names = explicit.map((s) => s.name);
  const dupSlot = names.find((n, i) => names.indexOf(n) !== i);
  if (dupSlot) throw new LinkConfigError(`slot '${dupSlot}' is defined twice`);
  // A slot of its own is named by the library's identifier: slot names become symbols.
  const own = libs.filter((l) => !owner.has(l)).map((l) => ({ name: libraryIdentifier(l), libs: [l] }));
  const clash = own.find((s) => names.includes(s.name));
  if (clash) throw new LinkConfigError(`library '${clash.libs[0]}' has no slot of its own but a slot with that name exists: add it to a slot or rename the slot`);
  return [...explicit.map((s) => ({ name: s.name, libs: [...s.libs] })), ...own];
}

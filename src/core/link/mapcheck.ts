// After the link: did every library really land in its `.mm.*` sections? GNU ld gives an
// input section to the first rule that matches it, so a library can silently stay in
// flash/IRAM when an earlier rule takes it, when its archive is not named lib<Name>.a, or
// when PlatformIO links it as loose objects (`lib_archive = no`). Only the map file tells.
// The map is read by src/core/mapfile, with the symbol names ld lists under each input
// section (ParseOptions.symbols), so warnings can name functions instead of section numbers.
import { libraryArchive, MM_SECTION_PREFIX } from '../conventions';
import { readElf } from '../elf/reader';
import { ownedEnd } from '../mapfile/records';
import {
  type MapFile,
  type MapInput,
  type MapOutputSection as MapFileSection,
  baseName,
  parseMapFile,
  splitArchiveMember,
} from '../mapfile/parse';
import { type SlotReference, auditSlotReferences, shortFile } from './audit';
import { libraryIdentifier } from './config';
import { type FlashCheckInput, checkFlashSlots } from './flashcheck';
import { mmSectionName } from './fragment';
import { contestedPatterns, residentFrameworkRules } from './ldgen';

export interface MapInputSection {
  /** Input section name, e.g. `.text.foo`, `.iram1.3`, `COMMON`. */
  name: string;
  address: number;
  size: number;
  /** As ld prints it: `path/libX.a(member.o)` or `path/file.o`. */
  file: string;
  /** Symbols ld lists right after the input section (functions / variables in it). */
  symbols: string[];
}

export interface MapOutputSection {
  name: string;
  address: number;
  size: number;
  inputs: MapInputSection[];
}

/** Output sections with their input sections (and the symbols in them), in map order. */
export function scanMemoryMap(mapText: string): MapOutputSection[] {
  const map = parseMapFile(mapText, undefined, { symbols: true });
  return map.sections.map((s) => ({
    name: s.name,
    address: s.address,
    size: s.size,
    inputs: s.inputs
      .filter((i) => i.kind === 'input' && i.file !== undefined)
      .map((i) => ({ name: i.name, address: i.address, size: i.size, file: i.file!, symbols: i.symbols ?? [] })),
  }));
}

/**
 * `rule-lost`: code/data of the library outside its `.mm` sections although the fragment
 * made them; `no-fragment`: the same, in a map without any `.mm.<lib>.*` section (the link
 * did not use a fragment naming the library); `not-linked`: nothing of it in the link (or only
 * empty sections); `gc-discarded`: linked, but `--gc-sections` dropped all of it;
 * `iram-resident` / `dram-resident` / `rtc-resident`: IRAM_ATTR / DRAM_ATTR / RTC_*_ATTR parts
 * that stay in the firmware; `other-resident`: other allocated input sections the fragment
 * does not move (interrupt vectors, Wi-Fi IRAM sections); `framework-rule`: ESP-IDF places the
 * archive in internal RAM on purpose; `framework-ctor`: a framework component's constructor
 * moved into the library's table (it no longer runs at boot); `slot-reference`: resident code
 * or data pointing into the slot (the reference audit, needs the ELF); `not-audited`: parts of
 * the ELF the audit could not read; `flash-slot`: a flash slot the app's own flash code could
 * reach, outside the instruction window, or without room in the mmlib partition (flashcheck.ts).
 */
export type LinkWarningKind =
  | 'rule-lost'
  | 'no-fragment'
  | 'not-linked'
  | 'gc-discarded'
  | 'iram-resident'
  | 'dram-resident'
  | 'rtc-resident'
  | 'other-resident'
  | 'framework-rule'
  | 'framework-ctor'
  | 'slot-reference'
  | 'not-audited'
  | 'flash-slot';

/**
 * `error`: the firmware cannot boot or run with the slot empty, or ESP-IDF's own placement is
 * overridden; `warning`: something of the library is not where it should be; `note`: listed
 * for the record (application calls into the slot, which must go through a load).
 */
export type LinkSeverity = 'error' | 'warning' | 'note';

export interface LinkWarning {
  kind: LinkWarningKind;
  severity: LinkSeverity;
  lib: string;
  message: string;
  /** The bytes the message counts, per output section (rule-lost, no-fragment, *-resident). */
  sections?: { section: string; bytes: number }[];
  /** slot-reference: the references the message is about. */
  references?: SlotReference[];
}

export interface LinkCheckOptions {
  /** The linked firmware.elf, for the reference audit. */
  elf?: Uint8Array;
  /** Application calls into a slot that do not go through an MM_LAZY wrapper are errors too. */
  strict?: boolean;
  /** For flash slots: the chip (its instruction window) and the project's partition table. */
  chip?: FlashCheckInput['chip'];
  partitions?: FlashCheckInput['partitions'];
}

/** The one wording for a library that has no bytes in the link (the split says the same). */
export function notLinkedMessage(lib: string, detail: string): string {
  return `${lib}: not linked (removed by --gc-sections or unused): ${detail}`;
}

type InputKind = 'text' | 'data' | 'bss' | 'iram1' | 'dram1' | 'rtc';

function inputKind(name: string): InputKind | undefined {
  if (/^\.(literal|text)(\.|$)/.test(name)) return 'text';
  if (/^\.(data|rodata|sdata|srodata|init_array|ctors|fini_array|dtors)(\.|$)/.test(name)) return 'data';
  if (/^\.(bss|sbss)(\.|$)/.test(name) || name === 'COMMON') return 'bss';
  if (/^\.iram1(\.|$)/.test(name)) return 'iram1';
  if (/^\.dram1(\.|$)/.test(name)) return 'dram1';
  if (/^\.rtc(\.|_|$)/.test(name)) return 'rtc';
  return undefined;
}

const CONSTRUCTOR_TABLE = /^\.(init_array|ctors)(\.|$)/;

/** PlatformIO builds a lib/ folder into `$BUILD_DIR/lib<hash>/<Name>/` (hash: hex digits). */
const PIO_LIB_DIR = /^lib[0-9a-f]{3,}$/;

/**
 * Which dynamic library an input file belongs to, if any: the archive `lib<Name>.a` (any
 * folder, `/` or `\\`), or loose object files (PlatformIO's `lib_archive = no`) in
 * `lib<hash>/<Name>/…` (`pioLib`) or directly in a folder named `<Name>` (such as the
 * project's own `main/`). Other folders of the path do not count: a build folder named
 * after the environment (`.pio/build/esp32/`) or the toolchain's `lib/gcc/` is no library.
 */
export function libraryOfInput(file: string, libs: string[]): { lib: string; loose: boolean; pioLib?: boolean } | undefined {
  const { path, member } = splitArchiveMember(file);
  if (member !== undefined) {
    const archive = baseName(path);
    const lib = archive.endsWith('.a') ? libs.find((l) => archive === libraryArchive(l)) : undefined;
    return lib ? { lib, loose: false } : undefined;
  }
  const dirs = file.split(/[/\\]/).slice(0, -1);
  for (let i = 1; i < dirs.length; i++) {
    if (PIO_LIB_DIR.test(dirs[i - 1]) && libs.includes(dirs[i])) return { lib: dirs[i], loose: true, pioLib: true };
  }
  const parent = dirs[dirs.length - 1];
  return parent !== undefined && libs.includes(parent) ? { lib: parent, loose: true, pioLib: false } : undefined;
}

/** Input sections of one library that ended up in one output section they should not be in. */
interface Misplaced {
  section: string;
  bytes: number;
  inputs: MapInput[];
}

/** What the map says about one library. */
class Placement {
  seen = false;
  /** Bytes of the library that the link kept (anywhere). */
  bytes = 0;
  /** A loose object file of the library (the first one seen), if it is linked that way. */
  looseFile?: string;
  /** That file is in PlatformIO's `lib<hash>/<Name>/` (a lib/ folder with `lib_archive = no`). */
  pioLib = false;
  readonly lost = new Map<string, Misplaced>();
  readonly resident = { iram1: new Map<string, Misplaced>(), dram1: new Map<string, Misplaced>(), rtc: new Map<string, Misplaced>() };
  /** Allocated input sections the fragment does not move (vectors, Wi-Fi IRAM, .eh_frame, …). */
  readonly other = new Map<string, Misplaced>();
  /** Constructor-table entries of a framework archive that moved into the library's table. */
  readonly frameworkCtors: MapInput[] = [];
}

type Owner = ReturnType<typeof libraryOfInput>;

/**
 * An archive of the framework: ESP-IDF components (`…/esp-idf/<component>/lib<component>.a`
 * in ESP-IDF and PlatformIO builds), the framework packages (`framework-espidf`,
 * `framework-arduinoespressif32`) and the Arduino core's prebuilt SDK (`…/sdk/…`). Its
 * constructors set the component up at boot. A project library's (PlatformIO's
 * `lib<hash>/lib<Name>.a`) are meant to run when the library is loaded.
 */
function isFrameworkArchive(file: string): boolean {
  const { path } = splitArchiveMember(file);
  const dirs = path.split(/[/\\]/).slice(0, -1);
  return !dirs.some((d) => PIO_LIB_DIR.test(d)) && dirs.some((d) => FRAMEWORK_DIR.test(d));
}

const FRAMEWORK_DIR = /^(esp-idf|sdk|framework-[\w.-]+)$/;

/**
 * Warnings for every library whose code or data did not end up in its `.mm.<lib>.*`
 * sections, for parts that stay resident, for ESP-IDF rules the fragment overrides and, with
 * the ELF, for every resident reference into a slot. One pass over the map's input sections,
 * whatever the number of libraries.
 */
export function checkLinkMap(mapText: string, libs: string[], options: LinkCheckOptions = {}): LinkWarning[] {
  const map = parseMapFile(mapText, undefined, { symbols: true });
  if (!libs.length) return [];
  const placements = readPlacements(map, libs);
  const names = (m: Misplaced) => [...new Set(m.inputs.flatMap((i) => (i.symbols?.length ? i.symbols : [i.name])))];
  const warnings: LinkWarning[] = [
    ...placementWarnings(map, libs, placements, names),
    ...frameworkRuleWarnings(mapText, libs),
    ...checkFlashSlots(map, libs, options).map((p): LinkWarning => ({
      kind: 'flash-slot',
      severity: p.severity,
      lib: p.lib,
      message: p.message,
    })),
  ];
  if (options.elf) warnings.push(...referenceWarnings(options.elf, map, libs, options.strict === true));
  return warnings;
}

function readPlacements(map: MapFile, libs: string[]): Map<string, Placement> {
  const placements = new Map(libs.map((l) => [l, new Placement()]));
  const owner = ownerLookup(libs);
  for (const out of map.sections) {
    const inputs = out.inputs;
    const end = out.address + out.size;
    // Non-allocated output sections (.debug_*, .comment, .xt.prop, …) are at address 0.
    const allocated = out.address !== 0 && out.name !== '/DISCARD/';
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i];
      if (input.kind !== 'input' || input.file === undefined) continue;
      const o = owner(input.file);
      if (!o) continue;
      const p = placements.get(o.lib)!;
      p.seen = true;
      if (o.loose && p.looseFile === undefined) {
        p.looseFile = input.file;
        p.pioLib = o.pioLib === true;
      }
      if (!allocated || input.size === 0) continue;
      // A record owns its bytes up to where the next starts (mapfile/records.ts).
      const next = i + 1 < inputs.length ? inputs[i + 1].address : end;
      const bytes = ownedEnd(input.address, input.size, next) - input.address;
      if (bytes === 0) continue;
      p.bytes += bytes;
      const kind = inputKind(input.name);
      if (kind === undefined) addTo(p.other, out.name, input, bytes);
      else if (kind === 'iram1' || kind === 'dram1' || kind === 'rtc') addTo(p.resident[kind], out.name, input, bytes);
      else if (out.name !== mmSectionName(o.lib, kind)) addTo(p.lost, out.name, input, bytes);
      else if (CONSTRUCTOR_TABLE.test(input.name) && isFrameworkArchive(input.file)) p.frameworkCtors.push(input);
    }
  }
  return placements;
}

/** Records of one file come in runs and files repeat: decide each file's library once. */
function ownerLookup(libs: string[]): (file: string) => Owner {
  const ownerOf = new Map<string, Owner>();
  return (file: string): Owner => {
    let o = ownerOf.get(file);
    if (o === undefined && !ownerOf.has(file)) ownerOf.set(file, (o = libraryOfInput(file, libs)));
    return o;
  };
}

function placementWarnings(
  map: MapFile,
  libs: string[],
  placements: Map<string, Placement>,
  names: (m: Misplaced) => string[],
): LinkWarning[] {
  const unseen = libs.filter((l) => placements.get(l)!.bytes === 0);
  const dropped = unseen.length ? discardedOnly(map, unseen, ownerLookup(libs)) : new Map<string, number>();
  // The fragment gives every library its .mm.<lib>.text/.data/.bss (with their boundary
  // symbols, so ld keeps them even when empty): none of them, no fragment for that library.
  const mm = new Set(map.sections.filter((s) => s.name.startsWith(MM_SECTION_PREFIX)).map((s) => s.name));
  const hasFragment = (lib: string) => (['text', 'data', 'bss'] as const).some((k) => mm.has(mmSectionName(lib, k)));
  const warnings: LinkWarning[] = [];
  for (const [lib, p] of placements) {
    if (p.bytes === 0) {
      warnings.push(emptyWarning(lib, p, dropped.get(lib)));
      continue;
    }
    if (p.lost.size) warnings.push(lostWarning(lib, [...p.lost.values()], p, hasFragment(lib), map.sections, names));
    warnings.push(...residentWarnings(lib, p, names));
    if (p.frameworkCtors.length) warnings.push(frameworkCtorWarning(lib, p.frameworkCtors));
  }
  return warnings;
}

/** Nothing of the library has bytes in the link: the split has nothing to write for it. */
function emptyWarning(lib: string, p: Placement, discarded: number | undefined): LinkWarning {
  const id = libraryIdentifier(lib);
  if (discarded !== undefined || p.seen) {
    const how = discarded
      ? `${libraryArchive(lib)} is in the link, but ld discarded all of it (${discarded} input sections, --gc-sections)`
      : `${libraryArchive(lib)} is in the link with no bytes`;
    return {
      kind: 'gc-discarded',
      severity: 'warning',
      lib,
      message: notLinkedMessage(
        lib,
        `${how}: nothing the firmware keeps uses it, so .mm.${id}.* stay empty and no files are written for it`,
      ),
    };
  }
  return {
    kind: 'not-linked',
    severity: 'warning',
    lib,
    message: notLinkedMessage(
      lib,
      `nothing from ${libraryArchive(lib)} is in the link map — is the lib/ folder named '${lib}' and does the program call it? (.mm.${id}.* stay empty)`,
    ),
  };
}

function residentWarnings(lib: string, p: Placement, names: (m: Misplaced) => string[]): LinkWarning[] {
  const out: LinkWarning[] = [];
  const add = (kind: LinkWarningKind, m: Misplaced, text: string) =>
    out.push({ kind, severity: 'warning', lib, sections: at(m), message: text });
  for (const m of p.resident.iram1.values()) {
    add(
      'iram-resident',
      m,
      `${lib}: ${m.bytes} B of IRAM_ATTR code stays resident in ${m.section} (${list(names(m))}): the framework's IRAM rule takes .iram1* sections; remove IRAM_ATTR to move it with the library`,
    );
  }
  for (const m of p.resident.dram1.values()) {
    add('dram-resident', m, `${lib}: ${m.bytes} B of DRAM_ATTR data stays resident in ${m.section} (${list(names(m))})`);
  }
  for (const m of p.resident.rtc.values()) {
    add(
      'rtc-resident',
      m,
      `${lib}: ${m.bytes} B of RTC memory (RTC_*_ATTR) stay resident in ${m.section} (${list(names(m))}): RTC memory keeps its contents in deep sleep and is not part of a slot`,
    );
  }
  for (const m of p.other.values()) {
    add(
      'other-resident',
      m,
      `${lib}: ${m.bytes} B stay resident in ${m.section} (${list(names(m))}): the fragment moves only .literal/.text, .data/.rodata, constructor and destructor tables and .bss/COMMON`,
    );
  }
  return out;
}

function frameworkCtorWarning(lib: string, inputs: MapInput[]): LinkWarning {
  const files = [...new Set(inputs.map((i) => shortFile(i.file!)))];
  return {
    kind: 'framework-ctor',
    severity: 'error',
    lib,
    message:
      `${lib}: the constructor table entries of ${list(files)} moved into the library's own table (${mmSectionName(lib, 'data')}): ` +
      `it is a framework component whose initialisation the firmware expects at boot, and it would now run only when ${lib} is loaded — keep ${lib} resident (remove it from the dynamic libraries)`,
  };
}

/** ESP-IDF rules (echoed in the map) that place a library's code or data in internal RAM. */
function frameworkRuleWarnings(mapText: string, libs: string[]): LinkWarning[] {
  const rules = residentFrameworkRules(
    mapText,
    libs.map((l) => libraryArchive(l)),
  ).filter((r) => contestedPatterns(r).length);
  const out: LinkWarning[] = [];
  for (const lib of libs) {
    const own = rules.filter((r) => r.archive === libraryArchive(lib));
    if (!own.length) continue;
    const shown = own
      .slice(0, 3)
      .map((r) => `\`${r.text.length > 120 ? r.text.slice(0, 117) + '…' : r.text}\` in ${r.section} (map line ${r.line})`);
    const more = own.length > 3 ? ` and ${own.length - 3} more` : '';
    const whole = own.some((r) => r.member === undefined) ? 'all of ' : 'parts of ';
    out.push({
      kind: 'framework-rule',
      severity: 'error',
      lib,
      message:
        `${lib}: ESP-IDF places ${whole}${libraryArchive(lib)} in internal RAM on purpose — ${shown.join('; ')}${more}: that code and data must stay resident ` +
        `(it runs with the flash cache disabled or from interrupts), and the esp32mm fragment, given first, takes it — keep ${lib} resident (remove it from the dynamic libraries)`,
    });
  }
  return out;
}

/**
 * Libraries (of `libs`, none of whose sections ld kept) that the link did read: archive
 * members pulled in, or input sections in the discarded list. Library → number of
 * discarded input sections.
 */
function discardedOnly(map: MapFile, libs: string[], owner: (file: string) => Owner): Map<string, number> {
  const found = new Map<string, number>();
  for (const a of map.archiveMembers) {
    const lib = libs.find((l) => baseName(a.archive) === libraryArchive(l));
    if (lib && !found.has(lib)) found.set(lib, 0);
  }
  for (const input of map.discarded) {
    if (input.file === undefined) continue;
    const o = owner(input.file);
    if (o && libs.includes(o.lib)) found.set(o.lib, (found.get(o.lib) ?? 0) + 1);
  }
  return found;
}

const at = (...ms: Misplaced[]) => ms.map((m) => ({ section: m.section, bytes: m.bytes }));

function addTo(byOutput: Map<string, Misplaced>, section: string, input: MapInput, bytes: number): void {
  const m = byOutput.get(section) ?? { section, bytes: 0, inputs: [] };
  m.bytes += bytes;
  m.inputs.push(input);
  byOutput.set(section, m);
}

function lostWarning(
  lib: string,
  lost: Misplaced[],
  p: Placement,
  hasFragment: boolean,
  sections: MapFileSection[],
  names: (m: Misplaced) => string[],
): LinkWarning {
  const where = lost.map((m) => `${m.bytes} B in ${m.section} (${list(names(m))})`).join('; ');
  if (!hasFragment) {
    return {
      kind: 'no-fragment',
      severity: 'warning',
      lib,
      sections: at(...lost),
      message:
        `${lib} is not in its .mm sections: ${where}. Cause: the map has no .mm.${libraryIdentifier(lib)}.* section, so this link did not use an esp32mm fragment that names ${lib} ` +
        `(write it with \`esp32mm fragment --chip <chip> --libs ${lib}\` and pass it with -T before the framework's linker scripts; the build hook does both)`,
    };
  }
  const id = libraryIdentifier(lib);
  const text = sections.find((s) => s.name === mmSectionName(lib, 'text'));
  const state = !text || text.size === 0 ? `.mm.${id}.text is empty` : `part of it is outside .mm.${id}.*`;
  let hint: string;
  if (p.looseFile === undefined)
    hint = 'an earlier linker rule matched first: pass the esp32mm fragment with -T before every other linker script';
  else if (p.pioLib)
    hint = `it is linked as loose object files (${p.looseFile}), not ${libraryArchive(lib)} — set \`lib_archive = yes\` (the default) for this environment`;
  else
    hint = `it is linked as loose object files (${p.looseFile}), not from an archive ${libraryArchive(lib)}, and the fragment's rules name the archive — build it as a library (lib/${lib}/ in PlatformIO, a component in ESP-IDF)`;
  return {
    kind: 'rule-lost',
    severity: 'warning',
    lib,
    sections: at(...lost),
    message: `${lib}: the library's rules lost — ${state}; ${where}. Cause: ${hint}`,
  };
}

function list(names: string[]): string {
  const shown = names.slice(0, 4).join(', ');
  return names.length > 4 ? `${shown}, … ${names.length - 4} more` : shown;
}

const HOLDER_TEXT: Record<SlotReference['holder'], { what: string; severity: (strict: boolean) => LinkSeverity; why: string }> = {
  boot: { what: 'boot code', severity: () => 'error', why: 'the firmware runs it before app_main, while the slot is still empty' },
  'init-table': {
    what: "the firmware's constructor/init table",
    severity: () => 'error',
    why: 'the boot calls every entry before app_main, while the slot is still empty',
  },
  vectors: { what: 'interrupt vector code', severity: () => 'error', why: 'an interrupt can run it at any time, loaded or not' },
  iram: {
    what: 'IRAM code (IRAM_ATTR, interrupt handlers)',
    severity: () => 'error',
    why: 'it runs from interrupts and with the flash cache disabled, whether the slot is loaded or not',
  },
  'fini-table': {
    what: "the firmware's destructor table",
    severity: () => 'warning',
    why: 'an entry left in the firmware points into the slot',
  },
  call: {
    what: 'application code',
    severity: (strict) => (strict ? 'error' : 'note'),
    why: 'each call must come after a load (mm.load, or an MM_LAZY wrapper)',
  },
  'data-table': {
    what: 'resident data (a pointer table)',
    severity: (strict) => (strict ? 'error' : 'note'),
    why: 'a call through these pointers must come after a load',
  },
  wrapper: { what: 'an MM_LAZY wrapper', severity: () => 'note', why: 'it loads the library before the call' },
};

/** The reference audit (audit.ts) as warnings: one per holder for errors, one per library and kind for the rest. */
function referenceWarnings(elfBytes: Uint8Array, map: MapFile, libs: string[], strict: boolean): LinkWarning[] {
  const { references, unaudited } = auditSlotReferences(readElf(elfBytes), map, libs);
  const groups = new Map<string, SlotReference[]>();
  for (const r of references) {
    const severity = HOLDER_TEXT[r.holder].severity(strict);
    const key = severity === 'error' ? `${r.lib}\0${r.holder}\0${r.holderSymbol}\0${r.holderFile}` : `${r.lib}\0${r.holder}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: LinkWarning[] = [];
  for (const refs of groups.values()) {
    const { lib, holder } = refs[0];
    const t = HOLDER_TEXT[holder];
    const pairs = refs.map((r) => `${r.holderSymbol} (${r.holderFile}, ${r.holderSection} in ${r.outputSection}) → ${r.target}`);
    const via = refs.every((r) => r.via === 'relocation') ? 'the relocations' : 'a scan of the words and calls';
    const advice =
      t.severity(strict) === 'error' && (holder === 'call' || holder === 'data-table')
        ? ' — call it through an MM_LAZY wrapper'
        : holder === 'call' || holder === 'data-table' || holder === 'wrapper' || holder === 'fini-table'
          ? ''
          : ` — keep ${lib} resident (remove it from the dynamic libraries) or move that code out of ${holder === 'iram' ? 'IRAM' : 'the boot path'}`;
    out.push({
      kind: 'slot-reference',
      severity: t.severity(strict),
      lib,
      references: refs,
      message: `${lib}: ${t.what} refers into the slot of ${lib}: ${list(pairs)} (found by ${via}); ${t.why}${advice}`,
    });
  }
  if (unaudited.length) {
    out.push({
      kind: 'not-audited',
      severity: 'warning',
      lib: libs[0],
      message: `references from RISC-V code into the slots were not checked (${list(unaudited)}): its instructions hold no whole addresses — link with -Wl,--emit-relocs so the check can read the relocations`,
    });
  }
  return out;
}

// After the link: did every library really land in its `.mm.*` sections? GNU ld gives an
// input section to the first rule that matches it, so a library can silently stay in
// flash/IRAM when an earlier rule takes it, when its archive is not named lib<Name>.a, or
// when PlatformIO links it as loose objects (`lib_archive = no`). Only the map file tells.
// The map is read by src/core/mapfile; this module adds the symbol names ld lists under
// each input section, so warnings can name functions instead of section numbers.
import { type MapFile, type MapInput, type MapOutputSection as MapFileSection, baseName, parseMapFile, splitArchiveMember } from '../mapfile/parse';

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

const SYMBOL_LINE = /^\s{16,}0x[0-9a-fA-F]+\s+([^\s=]+)\s*$/;
const NUMBERS_LINE = /^\s+0x[0-9a-fA-F]+\s+0x[0-9a-fA-F]+/;

/** Output sections with their input sections (and the symbols in them), in map order. */
export function scanMemoryMap(mapText: string): MapOutputSection[] {
  const map = parseMapFile(mapText);
  const lines = new MapLines(mapText);
  return map.sections.map((s) => ({
    name: s.name,
    address: s.address,
    size: s.size,
    inputs: s.inputs
      .filter((i) => i.kind === 'input' && i.file !== undefined)
      .map((i) => ({ name: i.name, address: i.address, size: i.size, file: i.file!, symbols: lines.symbolsAfter(i.line) })),
  }));
}

/**
 * Lines of the map by number, found only when asked: the symbol names under an input
 * section are needed for the few sections a warning names, not for the 100k+ of a big map.
 */
class MapLines {
  private starts?: number[];
  constructor(private readonly text: string) {}

  /** Line `n` (1-based) without its line break; '' past the end. */
  at(n: number): string {
    const starts = (this.starts ??= lineStarts(this.text));
    if (n < 1 || n > starts.length) return '';
    const from = starts[n - 1];
    let to = n < starts.length ? starts[n] - 1 : this.text.length;
    if (to > from && this.text.charCodeAt(to - 1) === 13) to--;
    return this.text.slice(from, to);
  }

  /** The `0xADDR name` lines that follow the input-section record on line `line`. */
  symbolsAfter(line: number): string[] {
    const symbols: string[] = [];
    let n = line + 1;
    if (!/\s0x[0-9a-fA-F]+\s+0x[0-9a-fA-F]+/.test(this.at(line)) && NUMBERS_LINE.test(this.at(n))) n++; // wrapped name
    for (; ; n++) {
      const text = this.at(n);
      if (/^\s+0x[0-9a-fA-F]+ \(size before relaxing\)\s*$/.test(text)) continue;
      const m = SYMBOL_LINE.exec(text);
      if (!m) break;
      symbols.push(m[1]);
    }
    return symbols;
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0 && i + 1 < text.length; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/**
 * `rule-lost`: code/data of the library outside its `.mm` sections although the fragment
 * made them; `no-fragment`: the same, in a map without any `.mm.<lib>.*` section (the link
 * did not use a fragment naming the library); `not-linked`: nothing of it in the link;
 * `gc-discarded`: linked, but `--gc-sections` dropped all of it; `iram-resident` /
 * `dram-resident`: IRAM_ATTR / DRAM_ATTR parts that stay in the firmware; `other-resident`:
 * other allocated input sections the fragment does not move (interrupt vectors, RTC memory).
 */
export type LinkWarningKind = 'rule-lost' | 'no-fragment' | 'not-linked' | 'gc-discarded' | 'iram-resident' | 'dram-resident' | 'other-resident';

export interface LinkWarning {
  kind: LinkWarningKind;
  lib: string;
  message: string;
  /** The bytes the message counts, per output section (rule-lost, no-fragment, *-resident). */
  sections?: { section: string; bytes: number }[];
}

type InputKind = 'text' | 'data' | 'bss' | 'iram1' | 'dram1';

function inputKind(name: string): InputKind | undefined {
  if (/^\.(literal|text)(\.|$)/.test(name)) return 'text';
  if (/^\.(data|rodata|sdata|srodata|init_array|ctors)(\.|$)/.test(name)) return 'data';
  if (/^\.(bss|sbss)(\.|$)/.test(name) || name === 'COMMON') return 'bss';
  if (/^\.iram1(\.|$)/.test(name)) return 'iram1';
  if (/^\.dram1(\.|$)/.test(name)) return 'dram1';
  return undefined;
}

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
    const lib = archive.endsWith('.a') ? libs.find((l) => archive === `lib${l}.a`) : undefined;
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
  /** A loose object file of the library (the first one seen), if it is linked that way. */
  looseFile?: string;
  /** That file is in PlatformIO's `lib<hash>/<Name>/` (a lib/ folder with `lib_archive = no`). */
  pioLib = false;
  readonly lost = new Map<string, Misplaced>();
  readonly resident = { iram1: new Map<string, Misplaced>(), dram1: new Map<string, Misplaced>() };
  /** Allocated input sections the fragment does not move (vectors, RTC memory, .eh_frame, …). */
  readonly other = new Map<string, Misplaced>();
}

type Owner = ReturnType<typeof libraryOfInput>;

/**
 * Warnings for every library whose code or data did not end up in its `.mm.<lib>.*`
 * sections, and for IRAM_ATTR / DRAM_ATTR parts that stay resident in the firmware.
 * One pass over the map's input sections, whatever the number of libraries.
 */
export function checkLinkMap(mapText: string, libs: string[]): LinkWarning[] {
  const map = parseMapFile(mapText);
  if (!libs.length) return [];
  const placements = new Map(libs.map((l) => [l, new Placement()]));
  // Records of one file come in runs and files repeat: decide each file's library once.
  const ownerOf = new Map<string, Owner>();
  const owner = (file: string): Owner => {
    let o = ownerOf.get(file);
    if (o === undefined && !ownerOf.has(file)) ownerOf.set(file, (o = libraryOfInput(file, libs)));
    return o;
  };
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
      // ld lists a merged string/constant section with the size of the whole merged blob,
      // over the records that follow it: a record owns its bytes up to where the next starts.
      const next = i + 1 < inputs.length ? inputs[i + 1].address : end;
      const bytes = Math.max(0, Math.min(input.size, next - input.address));
      if (bytes === 0) continue;
      const kind = inputKind(input.name);
      if (kind === undefined) addTo(p.other, out.name, input, bytes);
      else if (kind === 'iram1' || kind === 'dram1') addTo(p.resident[kind], out.name, input, bytes);
      else if (out.name !== `.mm.${o.lib}.${kind}`) addTo(p.lost, out.name, input, bytes);
    }
  }
  const unseen = libs.filter((l) => !placements.get(l)!.seen);
  const dropped = unseen.length ? discardedOnly(map, unseen, owner) : new Map<string, number>();
  // The fragment gives every library its .mm.<lib>.text/.data/.bss (with their boundary
  // symbols, so ld keeps them even when empty): none of them, no fragment for that library.
  const mm = new Set(map.sections.filter((s) => s.name.startsWith('.mm.')).map((s) => s.name));
  const hasFragment = (lib: string) => ['text', 'data', 'bss'].some((k) => mm.has(`.mm.${lib}.${k}`));
  const lines = new MapLines(mapText);
  const names = (m: Misplaced) => [...new Set(m.inputs.flatMap((i) => {
    const symbols = lines.symbolsAfter(i.line);
    return symbols.length ? symbols : [i.name];
  }))];
  const warnings: LinkWarning[] = [];
  for (const [lib, p] of placements) {
    if (!p.seen) {
      const sections = dropped.get(lib);
      warnings.push(sections !== undefined
        ? {
          kind: 'gc-discarded',
          lib,
          message: `${lib}: lib${lib}.a is in the link, but ld discarded all of it (${sections} input sections, --gc-sections): nothing the firmware keeps uses it, so .mm.${lib}.* stay empty`,
        }
        : {
          kind: 'not-linked',
          lib,
          message: `${lib}: nothing from lib${lib}.a is in the link map — is the lib/ folder named '${lib}' and does the program call it? (.mm.${lib}.* stay empty)`,
        });
      continue;
    }
    if (p.lost.size) warnings.push(lostWarning(lib, [...p.lost.values()], p, hasFragment(lib), map.sections, names));
    for (const m of p.resident.iram1.values()) {
      warnings.push({
        kind: 'iram-resident',
        lib,
        sections: at(m),
        message: `${lib}: ${m.bytes} B of IRAM_ATTR code stays resident in ${m.section} (${list(names(m))}): the framework's IRAM rule takes .iram1* sections; remove IRAM_ATTR to move it with the library`,
      });
    }
    for (const m of p.resident.dram1.values()) {
      warnings.push({
        kind: 'dram-resident',
        lib,
        sections: at(m),
        message: `${lib}: ${m.bytes} B of DRAM_ATTR data stays resident in ${m.section} (${list(names(m))})`,
      });
    }
    for (const m of p.other.values()) {
      warnings.push({
        kind: 'other-resident',
        lib,
        sections: at(m),
        message: `${lib}: ${m.bytes} B stay resident in ${m.section} (${list(names(m))}): the fragment moves only .literal/.text, .data/.rodata, constructor tables and .bss/COMMON`,
      });
    }
  }
  return warnings;
}

/**
 * Libraries (of `libs`, none of whose sections ld kept) that the link did read: archive
 * members pulled in, or input sections in the discarded list. Library → number of
 * discarded input sections.
 */
function discardedOnly(map: MapFile, libs: string[], owner: (file: string) => Owner): Map<string, number> {
  const found = new Map<string, number>();
  for (const a of map.archiveMembers) {
    const lib = libs.find((l) => baseName(a.archive) === `lib${l}.a`);
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

function lostWarning(lib: string, lost: Misplaced[], p: Placement, hasFragment: boolean, sections: MapFileSection[], names: (m: Misplaced) => string[]): LinkWarning {
  const where = lost.map((m) => `${m.bytes} B in ${m.section} (${list(names(m))})`).join('; ');
  if (!hasFragment) {
    return {
      kind: 'no-fragment',
      lib,
      sections: at(...lost),
      message: `${lib} is not in its .mm sections: ${where}. Cause: the map has no .mm.${lib}.* section, so this link did not use an esp32mm fragment that names ${lib} ` +
        `(write it with \`esp32mm fragment --chip <chip> --libs ${lib}\` and pass it with -T before the framework's linker scripts; the build hook does both)`,
    };
  }
  const text = sections.find((s) => s.name === `.mm.${lib}.text`);
  const state = !text || text.size === 0 ? `.mm.${lib}.text is empty` : `part of it is outside .mm.${lib}.*`;
  let hint: string;
  if (p.looseFile === undefined) hint = 'an earlier linker rule matched first: pass the esp32mm fragment with -T before every other linker script';
  else if (p.pioLib) hint = `it is linked as loose object files (${p.looseFile}), not lib${lib}.a — set \`lib_archive = yes\` (the default) for this environment`;
  else hint = `it is linked as loose object files (${p.looseFile}), not from an archive lib${lib}.a, and the fragment's rules name the archive — build it as a library (lib/${lib}/ in PlatformIO, a component in ESP-IDF)`;
  return { kind: 'rule-lost', lib, sections: at(...lost), message: `${lib}: the library's rules lost — ${state}; ${where}. Cause: ${hint}` };
}

function list(names: string[]): string {
  const shown = names.slice(0, 4).join(', ');
  return names.length > 4 ? `${shown}, … ${names.length - 4} more` : shown;
}

// After the link: did every library really land in its `.mm.*` sections? GNU ld gives an
// input section to the first rule that matches it, so a library can silently stay in
// flash/IRAM when an earlier rule takes it, when its archive is not named lib<Name>.a, or
// when PlatformIO links it as loose objects (`lib_archive = no`). Only the map file tells.
// The map is read by src/core/mapfile; this module adds the symbol names ld lists under
// each input section, so warnings can name functions instead of section numbers.
import { type MapInput, type MapOutputSection as MapFileSection, parseMapFile } from '../mapfile/parse';

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

export type LinkWarningKind = 'rule-lost' | 'not-linked' | 'iram-resident' | 'dram-resident';

export interface LinkWarning {
  kind: LinkWarningKind;
  lib: string;
  message: string;
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

/** Which dynamic library an input file belongs to, if any (archive or loose object). */
export function libraryOfInput(file: string, libs: string[]): { lib: string; loose: boolean } | undefined {
  const archive = /([^/\\]+)\.a\((.*)\)$/.exec(file);
  if (archive) {
    const lib = libs.find((l) => archive[1] === `lib${l}`);
    return lib ? { lib, loose: false } : undefined;
  }
  // PlatformIO with `lib_archive = no` links $BUILD_DIR/lib<hash>/<Name>/….o directly.
  const dirs = file.split(/[/\\]/).slice(0, -1);
  const lib = libs.find((l) => dirs.includes(l));
  return lib ? { lib, loose: true } : undefined;
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
  loose = false;
  readonly lost = new Map<string, Misplaced>();
  readonly resident = { iram1: new Map<string, Misplaced>(), dram1: new Map<string, Misplaced>() };
}

/**
 * Warnings for every library whose code or data did not end up in its `.mm.<lib>.*`
 * sections, and for IRAM_ATTR / DRAM_ATTR parts that stay resident in the firmware.
 * One pass over the map's input sections, whatever the number of libraries.
 */
export function checkLinkMap(mapText: string, libs: string[]): LinkWarning[] {
  const map = parseMapFile(mapText);
  const placements = new Map(libs.map((l) => [l, new Placement()]));
  // Records of one file come in runs and files repeat: decide each file's library once.
  const ownerOf = new Map<string, ReturnType<typeof libraryOfInput>>();
  for (const out of map.sections) {
    for (const input of out.inputs) {
      if (input.kind !== 'input' || input.file === undefined) continue;
      if (!ownerOf.has(input.file)) ownerOf.set(input.file, libraryOfInput(input.file, libs));
      const owner = ownerOf.get(input.file);
      if (!owner) continue;
      const p = placements.get(owner.lib)!;
      p.seen = true;
      p.loose ||= owner.loose;
      const kind = inputKind(input.name);
      if (!kind || input.size === 0 || out.name === '/DISCARD/') continue;
      if (kind === 'iram1' || kind === 'dram1') addTo(p.resident[kind], out.name, input);
      else if (out.name !== `.mm.${owner.lib}.${kind}`) addTo(p.lost, out.name, input);
    }
  }
  const lines = new MapLines(mapText);
  const names = (m: Misplaced) => [...new Set(m.inputs.flatMap((i) => {
    const symbols = lines.symbolsAfter(i.line);
    return symbols.length ? symbols : [i.name];
  }))];
  const warnings: LinkWarning[] = [];
  for (const [lib, p] of placements) {
    if (!p.seen) {
      warnings.push({
        kind: 'not-linked',
        lib,
        message: `${lib}: nothing from lib${lib}.a is in the link map — is the lib/ folder named '${lib}' and does the program call it? (.mm.${lib}.* stay empty)`,
      });
      continue;
    }
    if (p.lost.size) warnings.push(lostWarning(lib, [...p.lost.values()], p.loose, map.sections, names));
    for (const m of p.resident.iram1.values()) {
      warnings.push({
        kind: 'iram-resident',
        lib,
        message: `${lib}: ${m.bytes} B of IRAM_ATTR code stays resident in ${m.section} (${list(names(m))}): the framework's IRAM rule takes .iram1* sections; remove IRAM_ATTR to move it with the library`,
      });
    }
    for (const m of p.resident.dram1.values()) {
      warnings.push({
        kind: 'dram-resident',
        lib,
        message: `${lib}: ${m.bytes} B of DRAM_ATTR data stays resident in ${m.section} (${list(names(m))})`,
      });
    }
  }
  return warnings;
}

function addTo(byOutput: Map<string, Misplaced>, section: string, input: MapInput): void {
  const m = byOutput.get(section) ?? { section, bytes: 0, inputs: [] };
  m.bytes += input.size;
  m.inputs.push(input);
  byOutput.set(section, m);
}

function lostWarning(lib: string, lost: Misplaced[], loose: boolean, sections: MapFileSection[], names: (m: Misplaced) => string[]): LinkWarning {
  const text = sections.find((s) => s.name === `.mm.${lib}.text`);
  const where = lost.map((m) => `${m.bytes} B in ${m.section} (${list(names(m))})`).join('; ');
  const state = !text || text.size === 0 ? `.mm.${lib}.text is empty` : `part of it is outside .mm.${lib}.*`;
  const hint = loose
    ? `it is linked as loose object files, not lib${lib}.a — set \`lib_archive = yes\` (the default) for this environment`
    : 'an earlier linker rule matched first: pass the esp32mm fragment with -T before every other linker script';
  return { kind: 'rule-lost', lib, message: `${lib}: the library's rules lost — ${state}; ${where}. Cause: ${hint}` };
}

function list(names: string[]): string {
  const shown = names.slice(0, 4).join(', ');
  return names.length > 4 ? `${shown}, … ${names.length - 4} more` : shown;
}

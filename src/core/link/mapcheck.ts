// After the link: did every library really land in its `.mm.*` sections? GNU ld gives an
// input section to the first rule that matches it, so a library can silently stay in
// flash/IRAM when an earlier rule takes it, when its archive is not named lib<Name>.a, or
// when PlatformIO links it as loose objects (`lib_archive = no`). Only the map file tells.
// The map is read by src/core/mapfile; this module adds the symbol names ld lists under
// each input section, so warnings can name functions instead of section numbers.
import { parseMapFile } from '../mapfile/parse';

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
  const lines = mapText.split(/\r?\n/);
  return map.sections.map((s) => ({
    name: s.name,
    address: s.address,
    size: s.size,
    inputs: s.inputs
      .filter((i) => i.kind === 'input' && i.file !== undefined)
      .map((i) => ({ name: i.name, address: i.address, size: i.size, file: i.file!, symbols: symbolsAfter(lines, i.line) })),
  }));
}

/** The `0xADDR name` lines that follow an input-section record (1-based `line`). */
function symbolsAfter(lines: string[], line: number): string[] {
  const symbols: string[] = [];
  let i = line; // index of the line after the record
  if (!/\s0x[0-9a-fA-F]+\s+0x[0-9a-fA-F]+/.test(lines[line - 1] ?? '') && NUMBERS_LINE.test(lines[i] ?? '')) i++; // wrapped name
  for (; i < lines.length; i++) {
    if (/^\s+0x[0-9a-fA-F]+ \(size before relaxing\)\s*$/.test(lines[i])) continue;
    const m = SYMBOL_LINE.exec(lines[i]);
    if (!m) break;
    symbols.push(m[1]);
  }
  return symbols;
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

interface Misplaced {
  section: string;
  bytes: number;
  names: string[];
}

/**
 * Warnings for every library whose code or data did not end up in its `.mm.<lib>.*`
 * sections, and for IRAM_ATTR / DRAM_ATTR parts that stay resident in the firmware.
 */
export function checkLinkMap(mapText: string, libs: string[]): LinkWarning[] {
  const sections = scanMemoryMap(mapText);
  const warnings: LinkWarning[] = [];
  for (const lib of libs) {
    const lost = new Map<string, Misplaced>();
    const resident: Record<'iram1' | 'dram1', Map<string, Misplaced>> = { iram1: new Map(), dram1: new Map() };
    let seen = false;
    let loose = false;
    for (const out of sections) {
      for (const input of out.inputs) {
        const owner = libraryOfInput(input.file, [lib]);
        if (!owner) continue;
        seen = true;
        loose ||= owner.loose;
        const kind = inputKind(input.name);
        if (!kind || input.size === 0 || out.name === '/DISCARD/') continue;
        const names = input.symbols.length ? input.symbols : [input.name];
        if (kind === 'iram1' || kind === 'dram1') {
          addTo(resident[kind], out.name, input.size, names);
        } else if (out.name !== `.mm.${lib}.${kind}`) {
          addTo(lost, out.name, input.size, names);
        }
      }
    }
    if (!seen) {
      warnings.push({
        kind: 'not-linked',
        lib,
        message: `${lib}: nothing from lib${lib}.a is in the link map — is the lib/ folder named '${lib}' and does the program call it? (.mm.${lib}.* stay empty)`,
      });
      continue;
    }
    if (lost.size) warnings.push(lostWarning(lib, [...lost.values()], loose, sections));
    for (const m of resident.iram1.values()) {
      warnings.push({
        kind: 'iram-resident',
        lib,
        message: `${lib}: ${m.bytes} B of IRAM_ATTR code stays resident in ${m.section} (${list(m.names)}): the framework's IRAM rule takes .iram1* sections; remove IRAM_ATTR to move it with the library`,
      });
    }
    for (const m of resident.dram1.values()) {
      warnings.push({
        kind: 'dram-resident',
        lib,
        message: `${lib}: ${m.bytes} B of DRAM_ATTR data stays resident in ${m.section} (${list(m.names)})`,
      });
    }
  }
  return warnings;
}

function addTo(byOutput: Map<string, Misplaced>, section: string, bytes: number, names: string[]): void {
  const m = byOutput.get(section) ?? { section, bytes: 0, names: [] };
  m.bytes += bytes;
  for (const n of names) if (!m.names.includes(n)) m.names.push(n);
  byOutput.set(section, m);
}

function lostWarning(lib: string, lost: Misplaced[], loose: boolean, sections: MapOutputSection[]): LinkWarning {
  const text = sections.find((s) => s.name === `.mm.${lib}.text`);
  const where = lost.map((m) => `${m.bytes} B in ${m.section} (${list(m.names)})`).join('; ');
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

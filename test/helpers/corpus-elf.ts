// Rebuilds an ELF of the same shape as a corpus case's firmware.elf from the readelf tables
// the corpus keeps (`elf-header.txt`, `elf-sections.txt`, `elf-segments.txt`,
// `elf-symbols.txt`, `elf-bytes.txt`): the same file header, every section header and
// program header at its original file offset, a real `.symtab` with every symbol, and the
// string tables with the names. Section contents are zeros (the corpus does not have them).
//
// Only the two string tables can differ from the original: ours hold the same names but
// need not be laid out byte for byte like the linker's. When ours fit in the original size
// they stay where they were (zero padding after the last name); when they would not fit,
// they move to the end of the file and `RebuiltElf.moved` says so.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SectionType,
  SegmentType,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_INFO_LINK,
  SHF_WRITE,
  SymbolBinding,
  SymbolType,
  EM_RISCV,
  EM_XTENSA,
  EM_386,
  EM_X86_64,
  EM_AARCH64,
} from '../../src/core/elf/types';
import type { CorpusCase } from './corpus';

// ---------------------------------------------------------------------------------------
// Values readelf prints by name that src/core/elf/types.ts does not define (processor and
// OS specific ones); the standard ones come from types.ts.

/** Section flags by readelf's letter (binutils `readelf -S` "Key to Flags"). */
export const SECTION_FLAG_LETTERS: Record<string, number> = {
  W: SHF_WRITE,
  A: SHF_ALLOC,
  X: SHF_EXECINSTR,
  M: 0x10,
  S: 0x20,
  I: SHF_INFO_LINK,
  L: 0x80,
  O: 0x100,
  G: 0x200,
  T: 0x400,
  C: 0x800,
  E: 0x80000000,
};

const SHT_EXTRA: Record<string, number> = {
  RISCV_ATTRIBUTES: 0x70000003,
  ARM_ATTRIBUTES: 0x70000003,
  GNU_ATTRIBUTES: 0x6ffffff5,
  GNU_HASH: 0x6ffffff6,
  VERNEED: 0x6ffffffe,
  VERDEF: 0x6ffffffd,
  VERSYM: 0x6fffffff,
  'SYMTAB SECTION INDICES': SectionType.SYMTAB_SHNDX,
};

const PT_EXTRA: Record<string, number> = {
  GNU_EH_FRAME: 0x6474e550,
  GNU_STACK: 0x6474e551,
  GNU_RELRO: 0x6474e552,
  GNU_PROPERTY: 0x6474e553,
  // readelf -l prints the type in 14 columns: PT_RISCV_ATTRIBUTES comes out cut short
  RISCV_ATTRIBUT: 0x70000003,
  RISCV_ATTRIBUTES: 0x70000003,
};

const MACHINES: Record<string, number> = {
  'Tensilica Xtensa Processor': EM_XTENSA,
  'RISC-V': EM_RISCV,
  'Intel 80386': EM_386,
  'Advanced Micro Devices X86-64': EM_X86_64,
  AArch64: EM_AARCH64,
};

const FILE_TYPES: Record<string, number> = { NONE: 0, REL: 1, EXEC: 2, DYN: 3, CORE: 4 };

const VISIBILITY: Record<string, number> = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 };

/** readelf's generic spellings of values it has no name for: LOPROC+0x3, LOOS+0x.., 0x... */
function genericValue(s: string, bases: Record<string, number>): number | undefined {
  const m = /^([A-Z]+)\+(0x[0-9a-f]+|\d+)$/.exec(s);
  if (m && bases[m[1]] !== undefined) return bases[m[1]] + Number(m[2]);
  if (/^0x[0-9a-f]+$/.test(s)) return Number(s);
  return undefined;
}

class TableError extends Error {
  constructor(file: string, line: number, text: string, problem: string) {
    super(`${file} line ${line}: ${problem}: ${JSON.stringify(text)}`);
    this.name = 'TableError';
  }
}

// ---------------------------------------------------------------------------------------
// Table parsers

export interface HeaderTable {
  /** e_ident, the 16 bytes of readelf's "Magic:" line. */
  ident: Uint8Array;
  type: number;
  machine: number;
  version: number;
  entry: number;
  phoff: number;
  shoff: number;
  flags: number;
  ehsize: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

/** `readelf -h` output. */
export function parseReadelfHeader(text: string, file = 'elf-header.txt'): HeaderTable {
  const fields = new Map<string, string[]>();
  const lines = text.split('\n');
  lines.forEach((line) => {
    const m = /^\s+([^:]+):\s*(.*?)\s*$/.exec(line);
    if (!m) return;
    const list = fields.get(m[1]) ?? [];
    list.push(m[2]);
    fields.set(m[1], list);
  });
  const get = (key: string, n = 0): string => {
    const v = fields.get(key)?.[n];
    if (v === undefined) throw new TableError(file, 0, '', `no "${key}:" line`);
    return v;
  };
  const num = (key: string): number => {
    const m = /^(0x[0-9a-f]+|\d+)/.exec(get(key));
    if (!m) throw new TableError(file, 0, get(key), `"${key}" is not a number`);
    return Number(m[1]);
  };
  const magic = get('Magic')
    .split(/\s+/)
    .map((b) => parseInt(b, 16));
  if (magic.length !== 16 || magic.some((b) => !(b >= 0 && b <= 255))) throw new TableError(file, 0, get('Magic'), 'Magic is not 16 bytes');
  const typeWord = get('Type').split(' ')[0];
  const type = FILE_TYPES[typeWord] ?? genericValue(typeWord, {});
  if (type === undefined) throw new TableError(file, 0, get('Type'), 'unknown file type');
  const machineName = get('Machine');
  const machine = MACHINES[machineName] ?? (/^<unknown>: (0x[0-9a-f]+)$/.exec(machineName) ? Number(machineName.slice(11)) : undefined);
  if (machine === undefined) throw new TableError(file, 0, machineName, 'unknown machine (add it to MACHINES)');
  // "Version:" appears twice: e_ident's "1 (current)", then e_version "0x1"
  const version = Number(/^(0x[0-9a-f]+|\d+)/.exec(get('Version', 1))?.[1]);
  return {
    ident: Uint8Array.from(magic),
    type,
    machine,
    version,
    entry: num('Entry point address'),
    phoff: num('Start of program headers'),
    shoff: num('Start of section headers'),
    flags: num('Flags'),
    ehsize: num('Size of this header'),
    phentsize: num('Size of program headers'),
    phnum: num('Number of program headers'),
    shentsize: num('Size of section headers'),
    shnum: num('Number of section headers'),
    shstrndx: num('Section header string table index'),
  };
}

export interface SectionRow {
  index: number;
  name: string;
  type: number;
  addr: number;
  offset: number;
  size: number;
  entsize: number;
  flags: number;
  link: number;
  info: number;
  align: number;
}

/** Section flags from readelf's letters (`WAX`, `MS`, …). Letters whose bits readelf does not show (x o p D) are refused. */
export function sectionFlagsFromLetters(letters: string): number {
  let flags = 0;
  for (const ch of letters) {
    const bit = SECTION_FLAG_LETTERS[ch];
    if (bit === undefined) throw new Error(`section flag letter ${ch} does not name one bit (x, o, p and D hide which bits are set)`);
    flags = (flags | bit) >>> 0;
  }
  return flags;
}

export function sectionTypeFromName(name: string): number | undefined {
  const std = (SectionType as unknown as Record<string, number | undefined>)[name];
  if (typeof std === 'number') return std;
  return SHT_EXTRA[name] ?? genericValue(name, { LOPROC: 0x70000000, HIPROC: 0x7fffffff, LOOS: 0x60000000, LOUSER: 0x80000000 });
}

/** `readelf -S -W` output. */
export function parseReadelfSections(text: string, file = 'elf-sections.txt'): SectionRow[] {
  const rows: SectionRow[] = [];
  const re =
    /^\s*\[\s*(\d+)\] (.*?)\s+(\S+|SYMTAB SECTION INDICES)\s+([0-9a-f]{8,}) ([0-9a-f]{6,}) ([0-9a-f]{6,}) ([0-9a-f]{2,})\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/;
  text.split('\n').forEach((line, i) => {
    if (!/^\s*\[\s*\d+\]/.test(line)) return;
    const m = re.exec(line);
    if (!m) throw new TableError(file, i + 1, line, 'not a section line');
    const type = sectionTypeFromName(m[3]);
    if (type === undefined) throw new TableError(file, i + 1, line, `unknown section type ${m[3]}`);
    let flags: number;
    try {
      flags = sectionFlagsFromLetters(m[8]);
    } catch (e) {
      throw new TableError(file, i + 1, line, (e as Error).message);
    }
    rows.push({
      index: +m[1],
      name: m[2],
      type,
      addr: parseInt(m[4], 16),
      offset: parseInt(m[5], 16),
      size: parseInt(m[6], 16),
      entsize: parseInt(m[7], 16),
      flags,
      link: +m[9],
      info: +m[10],
      align: +m[11],
    });
  });
  rows.forEach((r, i) => {
    if (r.index !== i) throw new TableError(file, 0, '', `section ${r.index} listed in place ${i}`);
  });
  return rows;
}

export interface SegmentRow {
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number;
  align: number;
}

export function segmentTypeFromName(name: string): number | undefined {
  const std = (SegmentType as unknown as Record<string, number | undefined>)[name];
  if (typeof std === 'number') return std;
  return PT_EXTRA[name] ?? genericValue(name, { LOPROC: 0x70000000, LOOS: 0x60000000 });
}

/** The program headers of `readelf -l -W` output (not the section mapping below them). */
export function parseReadelfSegments(text: string, file = 'elf-segments.txt'): SegmentRow[] {
  const rows: SegmentRow[] = [];
  const re = /^ {2}(\S+)\s+0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+) ([R ][W ][E ]) 0x([0-9a-f]+)$/;
  let inTable = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s+Type\s+Offset\s+VirtAddr/.test(line)) {
      inTable = true;
      return;
    }
    if (!inTable) return;
    if (line.trim() === '') {
      inTable = false;
      return;
    }
    if (/^\s+\[Requesting program interpreter/.test(line)) return;
    const m = re.exec(line);
    if (!m) throw new TableError(file, i + 1, line, 'not a program header line');
    const type = segmentTypeFromName(m[1]);
    if (type === undefined) throw new TableError(file, i + 1, line, `unknown segment type ${m[1]}`);
    const f = m[7];
    const flags = (f[0] === 'R' ? 4 : 0) | (f[1] === 'W' ? 2 : 0) | (f[2] === 'E' ? 1 : 0);
    rows.push({
      type,
      offset: parseInt(m[2], 16),
      vaddr: parseInt(m[3], 16),
      paddr: parseInt(m[4], 16),
      filesz: parseInt(m[5], 16),
      memsz: parseInt(m[6], 16),
      flags,
      align: parseInt(m[8], 16),
    });
  });
  return rows;
}

export interface SymbolRow {
  index: number;
  value: number;
  size: number;
  type: number;
  bind: number;
  other: number;
  shndx: number;
  name: string;
}

/** One symbol table of `readelf -s -W` output: its name (`.symtab`) and every entry in order, entry 0 included. */
export function parseReadelfSymbols(text: string, file = 'elf-symbols.txt'): { table: string; count: number; symbols: SymbolRow[] } {
  const head = /Symbol table '([^']+)' contains (\d+) entr/.exec(text);
  if (!head) throw new TableError(file, 0, '', 'no "Symbol table ... contains N entries" line');
  const re = /^\s*(\d+): ([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?: (.*))?$/;
  const types = SymbolType as unknown as Record<string, number | undefined>;
  const binds = { ...(SymbolBinding as unknown as Record<string, number | undefined>), UNIQUE: 10 } as Record<string, number | undefined>;
  const symbols: SymbolRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!/^\s*\d+:/.test(line)) {
      if (/^Symbol table '/.test(line) && symbols.length > 0) break; // only the first table
      continue;
    }
    const m = re.exec(line);
    if (!m) throw new TableError(file, i + 1, line, 'not a symbol line');
    const type = m[4] === 'IFUNC' ? 10 : m[4] === 'RELC' ? 8 : m[4] === 'SRELC' ? 9 : types[m[4]];
    const bind = binds[m[5]];
    const vis = VISIBILITY[m[6]];
    const ndx =
      m[7] === 'UND'
        ? SHN_UNDEF
        : m[7] === 'ABS'
          ? SHN_ABS
          : m[7] === 'COM'
            ? SHN_COMMON
            : /^\d+$/.test(m[7])
              ? Number(m[7])
              : /^(?:PRC|OS |RSV)\[0x([0-9a-f]+)\]$/.test(m[7])
                ? parseInt(m[7].slice(6), 16)
                : undefined;
    if (typeof type !== 'number' || typeof bind !== 'number' || vis === undefined || ndx === undefined) {
      throw new TableError(file, i + 1, line, 'unknown symbol type, binding, visibility or section index');
    }
    const index = Number(m[1]);
    if (index !== symbols.length) throw new TableError(file, i + 1, line, `symbol ${index} listed in place ${symbols.length}`);
    symbols.push({ index, value: parseInt(m[2], 16), size: Number(m[3]), type, bind, other: vis, shndx: ndx, name: m[8] ?? '' });
  }
  const count = Number(head[2]);
  if (symbols.length !== count) throw new TableError(file, 0, head[0], `lists ${symbols.length} symbols`);
  return { table: head[1], count, symbols };
}

// ---------------------------------------------------------------------------------------
// String tables

/**
 * A string table holding every name once, names that end another name sharing its tail
 * (`.text` inside `.iram0.text`), as linkers do. Index 0 is the empty string.
 */
export function buildStringTable(names: Iterable<string>): { bytes: Uint8Array; index: Map<string, number> } {
  const unique = [...new Set(names)].filter((n) => n !== '');
  const reversed = unique.map((n) => [...n].reverse().join(''));
  const order = unique.map((_, i) => i).sort((a, b) => (reversed[a] < reversed[b] ? -1 : reversed[a] > reversed[b] ? 1 : 0));
  // In reversed-sorted order, a name that is a tail of another comes just before the
  // names it is a tail of; walking from the end, the longest name of each run owns it.
  const owner = new Array<number>(unique.length);
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k];
    const next = k + 1 < order.length ? order[k + 1] : -1;
    owner[i] = next >= 0 && reversed[next].startsWith(reversed[i]) ? owner[next] : i;
  }
  const enc = new TextEncoder();
  const encoded = unique.map((n) => enc.encode(n));
  const start = new Map<number, number>();
  let size = 1;
  unique.forEach((_, i) => {
    if (owner[i] === i) {
      start.set(i, size);
      size += encoded[i].length + 1;
    }
  });
  const bytes = new Uint8Array(size);
  const index = new Map<string, number>();
  unique.forEach((n, i) => {
    const o = owner[i];
    const at = start.get(o)!;
    if (o === i) bytes.set(encoded[i], at);
    index.set(n, at + encoded[o].length - encoded[i].length);
  });
  index.set('', 0);
  return { bytes, index };
}

// ---------------------------------------------------------------------------------------
// The rebuild

export interface CorpusTables {
  header: HeaderTable;
  sections: SectionRow[];
  segments: SegmentRow[];
  symbols: SymbolRow[];
  symbolTable: string;
  fileBytes: number;
}

export function readCorpusTables(c: CorpusCase): CorpusTables {
  const read = (f: string) => readFileSync(join(c.dir, f), 'utf8');
  const syms = parseReadelfSymbols(read('elf-symbols.txt'));
  return {
    header: parseReadelfHeader(read('elf-header.txt')),
    sections: parseReadelfSections(read('elf-sections.txt')),
    segments: parseReadelfSegments(read('elf-segments.txt')),
    symbols: syms.symbols,
    symbolTable: syms.table,
    fileBytes: Number(read('elf-bytes.txt').trim()),
  };
}

export interface RebuiltElf {
  bytes: Uint8Array;
  /** Sections whose offset or size had to change (string tables larger than the original's), with what changed. */
  moved: { name: string; offset: [number, number]; size: [number, number] }[];
  /** Used bytes of our `.strtab` / `.shstrtab` against the original sizes. */
  stringTables: { name: string; ours: number; original: number }[];
}

/** The rebuild with its bookkeeping; throws when the tables do not describe a consistent ELF32. */
export function rebuildFromTables(t: CorpusTables): RebuiltElf {
  const h = t.header;
  if (h.ident[4] !== 1 || h.ident[5] !== 1) throw new Error('only little-endian ELF32 is rebuilt');
  if (h.ehsize !== 52 || (h.phnum > 0 && h.phentsize !== 32) || h.shentsize !== 40) throw new Error('unexpected ELF32 header sizes');
  if (t.sections.length !== h.shnum) throw new Error(`header says ${h.shnum} sections, table lists ${t.sections.length}`);
  if (t.segments.length !== h.phnum) throw new Error(`header says ${h.phnum} program headers, table lists ${t.segments.length}`);
  const sections = t.sections.map((s) => ({ ...s }));
  const symtab = sections.find((s) => s.type === SectionType.SYMTAB && s.name === t.symbolTable);
  if (!symtab) throw new Error(`no section ${t.symbolTable}`);
  if (symtab.size !== t.symbols.length * 16 || symtab.entsize !== 16) {
    throw new Error(`${symtab.name} is ${symtab.size} bytes, ${t.symbols.length} entries make ${t.symbols.length * 16}`);
  }
  const strtab = sections[symtab.link];
  const shstrtab = sections[h.shstrndx];
  if (!strtab || strtab.type !== SectionType.STRTAB || !shstrtab || shstrtab.type !== SectionType.STRTAB)
    throw new Error('string tables missing');

  // Section symbols carry no name of their own: readelf shows their section's name.
  const nameOf = (s: SymbolRow) => (s.type === SymbolType.SECTION && sections[s.shndx]?.name === s.name ? '' : s.name);
  const symStrings = buildStringTable(t.symbols.map(nameOf));
  const secStrings = buildStringTable(sections.map((s) => s.name));
  // Two names tables in one section (shstrtab === strtab, as some linkers do) would need one build
  if (strtab.index === shstrtab.index) throw new Error('.strtab doubling as .shstrtab is not supported');

  let fileEnd = t.fileBytes;
  const moved: RebuiltElf['moved'] = [];
  const stringTables: RebuiltElf['stringTables'] = [];
  const place = (sec: SectionRow, content: Uint8Array) => {
    stringTables.push({ name: sec.name, ours: content.length, original: sec.size });
    if (content.length <= sec.size) return;
    const offset = fileEnd;
    moved.push({ name: sec.name, offset: [sec.offset, offset], size: [sec.size, content.length] });
    sec.offset = offset;
    sec.size = content.length;
    fileEnd = offset + content.length;
  };
  place(strtab, symStrings.bytes);
  place(shstrtab, secStrings.bytes);

  const bytes = new Uint8Array(fileEnd);
  const view = new DataView(bytes.buffer);
  const need = (offset: number, size: number, what: string) => {
    if (offset + size > bytes.length)
      throw new Error(`${what} (0x${offset.toString(16)} + 0x${size.toString(16)}) runs past the file's ${bytes.length} bytes`);
  };

  // File header
  bytes.set(h.ident, 0);
  view.setUint16(16, h.type, true);
  view.setUint16(18, h.machine, true);
  view.setUint32(20, h.version, true);
  view.setUint32(24, h.entry, true);
  view.setUint32(28, h.phoff, true);
  view.setUint32(32, h.shoff, true);
  view.setUint32(36, h.flags, true);
  view.setUint16(40, h.ehsize, true);
  view.setUint16(42, h.phentsize, true);
  view.setUint16(44, h.phnum, true);
  view.setUint16(46, h.shentsize, true);
  view.setUint16(48, h.shnum, true);
  view.setUint16(50, h.shstrndx, true);

  // Program headers
  need(h.phoff, h.phnum * 32, 'program header table');
  t.segments.forEach((p, i) => {
    const o = h.phoff + i * 32;
    view.setUint32(o, p.type, true);
    view.setUint32(o + 4, p.offset, true);
    view.setUint32(o + 8, p.vaddr, true);
    view.setUint32(o + 12, p.paddr, true);
    view.setUint32(o + 16, p.filesz, true);
    view.setUint32(o + 20, p.memsz, true);
    view.setUint32(o + 24, p.flags, true);
    view.setUint32(o + 28, p.align, true);
  });

  // Section headers
  need(h.shoff, h.shnum * 40, 'section header table');
  sections.forEach((s, i) => {
    if (s.type !== SectionType.NOBITS && s.type !== SectionType.NULL) need(s.offset, s.size, `section ${s.name}`);
    const o = h.shoff + i * 40;
    view.setUint32(o, i === 0 ? 0 : secStrings.index.get(s.name)!, true);
    view.setUint32(o + 4, s.type, true);
    view.setUint32(o + 8, s.flags, true);
    view.setUint32(o + 12, s.addr, true);
    view.setUint32(o + 16, s.offset, true);
    view.setUint32(o + 20, s.size, true);
    view.setUint32(o + 24, s.link, true);
    view.setUint32(o + 28, s.info, true);
    view.setUint32(o + 32, s.align, true);
    view.setUint32(o + 36, s.entsize, true);
  });

  // String tables and symbols
  bytes.set(symStrings.bytes, strtab.offset);
  bytes.set(secStrings.bytes, shstrtab.offset);
  t.symbols.forEach((s, i) => {
    const o = symtab.offset + i * 16;
    view.setUint32(o, symStrings.index.get(nameOf(s))!, true);
    view.setUint32(o + 4, s.value, true);
    view.setUint32(o + 8, s.size, true);
    bytes[o + 12] = (s.bind << 4) | (s.type & 0xf);
    bytes[o + 13] = s.other;
    view.setUint16(o + 14, s.shndx, true);
  });
  return { bytes, moved, stringTables };
}

const cache = new Map<string, RebuiltElf>();

/** The rebuild of a corpus case with its bookkeeping, built once per process. */
export function rebuildCorpusElfDetails(c: CorpusCase): RebuiltElf {
  let r = cache.get(c.dir);
  if (!r) {
    r = rebuildFromTables(readCorpusTables(c));
    cache.set(c.dir, r);
  }
  return r;
}

/** An ELF of the same shape as the case's firmware.elf (zero-filled contents), built once per process. */
export function rebuildCorpusElf(c: CorpusCase): Uint8Array {
  return rebuildCorpusElfDetails(c).bytes.slice(); // a copy: callers may patch it
}

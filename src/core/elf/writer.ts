// ELF writer: a new file with chosen sections removed (and optionally non-allocated
// sections added). Program headers are fixed (dropped when they only held removed
// sections, shrunk when removed sections sat at an edge), the symbol and string tables are
// rebuilt with indices remapped, and file offsets are compacted. Sections that stay keep
// their bytes and addresses. A removed allocated section may leave a placeholder: a NOBITS
// section of the same address and size, in no segment, that keeps the symbols which
// pointed into it (debuggers resolve addresses only inside an allocated section).
import { readElf, type ElfFile } from './reader';
import {
  ElfError,
  ElfWriteError,
  SectionType,
  SegmentType,
  SHF_ALLOC,
  SHF_INFO_LINK,
  SHN_LORESERVE,
  SymbolBinding,
  type ProgramHeader,
  type Section,
  type Symbol,
} from './types';

export interface AddedSection {
  name: string;
  data: Uint8Array;
  type?: SectionType;
}

/** A removed section inside a segment that stays: its bytes are zeroed but still take space. */
export interface SegmentHole {
  section: string;
  segment: number;
  /** Bytes of file image the hole still occupies (0 for NOBITS). */
  fileBytes: number;
}

/** Bytes to overwrite, at an offset of the input file (e.g. a symbol's initial value). */
export interface BytePatch {
  offset: number;
  bytes: Uint8Array;
}

export interface RemoveOptions {
  /** Removed section name → name of the NOBITS placeholder left at its address (allocated sections only). */
  placeholders?: ReadonlyMap<string, string>;
}

export interface RemoveResult {
  bytes: Uint8Array;
  /** The program headers of the new file. */
  segments: ProgramHeader[];
  removed: Section[];
  /** The placeholders written, as they are in the new file. */
  placeholders: Section[];
  droppedSegments: ProgramHeader[];
  shrunkSegments: { before: ProgramHeader; after: ProgramHeader }[];
  holes: SegmentHole[];
  droppedSymbols: number;
}

interface Chunk {
  oldStart: number;
  oldEnd: number;
  newStart: number;
  align: number;
}

const isRelocation = (s: Section) => s.type === SectionType.REL || s.type === SectionType.RELA;

/** Sections to remove: the named ones plus relocation sections that apply to them. */
function removalSet(elf: ElfFile, names: Set<string>): Set<number> {
  const removed = new Set<number>();
  for (const s of elf.sections) if (s.index !== 0 && names.has(s.name)) removed.add(s.index);
  for (const s of elf.sections) {
    if ((isRelocation(s) || (s.flags & SHF_INFO_LINK) !== 0) && removed.has(s.info)) removed.add(s.index);
  }
  for (const s of elf.sections) {
    if (removed.has(s.index)) continue;
    const linksToRemoved = s.link !== 0 && removed.has(s.link);
    if (linksToRemoved || s.type === SectionType.SYMTAB_SHNDX || s.type === SectionType.GROUP) {
      throw new ElfError(
        elf.sectionHeaderOffset(s),
        `cannot remove sections: ${s.name} (type ${s.type}) depends on a removed section or uses an unsupported feature`,
      );
    }
  }
  return removed;
}

/** New program headers, before file offsets are remapped. */
function planSegments(elf: ElfFile, removed: Set<number>) {
  const kept: ProgramHeader[] = [];
  const dropped: ProgramHeader[] = [];
  const shrunk: { before: ProgramHeader; after: ProgramHeader }[] = [];
  const holes: SegmentHole[] = [];
  for (const p of elf.segments) {
    const members = elf.sectionsInSegment(p).filter((s) => s.size > 0);
    const keptMembers = members.filter((s) => !removed.has(s.index));
    if (members.length > 0 && keptMembers.length === 0) {
      dropped.push(p);
      continue;
    }
    if (members.length === keptMembers.length || p.type !== SegmentType.LOAD) {
      kept.push({ ...p });
      continue;
    }
    const next = trimLoadSegment(p, members, removed);
    if (next.vaddr !== p.vaddr || next.memsz !== p.memsz) shrunk.push({ before: p, after: next });
    for (const s of members) {
      if (!removed.has(s.index)) continue;
      const inside = s.addr >= next.vaddr && s.addr + s.size <= next.vaddr + next.memsz;
      if (inside) holes.push({ section: s.name, segment: p.index, fileBytes: s.type === SectionType.NOBITS ? 0 : s.size });
    }
    kept.push(next);
  }
  return { kept, dropped, shrunk, holes };
}

/** Cut removed sections off the start and end of a loadable segment. */
function trimLoadSegment(p: ProgramHeader, members: Section[], removed: Set<number>): ProgramHeader {
  const byAddr = [...members].sort((a, b) => a.addr - b.addr);
  let first = 0;
  let last = byAddr.length - 1;
  // Only trim the start when the segment begins exactly at a section (no headers before it).
  if (byAddr[0].addr === p.vaddr) while (removed.has(byAddr[first].index)) first++;
  while (removed.has(byAddr[last].index)) last--;
  const start = byAddr[first].addr;
  const delta = start - p.vaddr;
  const memEnd = byAddr[last].addr + byAddr[last].size;
  const fileMembers = byAddr.slice(first, last + 1).filter((s) => s.type !== SectionType.NOBITS);
  const fileEnd = fileMembers.length ? Math.max(...fileMembers.map((s) => s.offset + s.size)) : p.offset + delta;
  const offset = p.offset + delta;
  // A segment whose kept members are all NOBITS keeps no file bytes; never a negative size
  // (the trimmed start may lie past the segment's file image).
  const filesz = Math.max(0, Math.min(fileEnd - offset, p.filesz - delta));
  return { ...p, vaddr: start, paddr: p.paddr + delta, offset, memsz: memEnd - start, filesz };
}

/** Merge the file ranges that must be copied into chunks laid out in original order. */
function planChunks(ranges: { start: number; end: number; align: number }[]): Chunk[] {
  const sorted = ranges.filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  const chunks: Chunk[] = [];
  for (const r of sorted) {
    const last = chunks[chunks.length - 1];
    if (last && r.start <= last.oldEnd) {
      last.oldEnd = Math.max(last.oldEnd, r.end);
      last.align = Math.max(last.align, r.align);
    } else {
      chunks.push({ oldStart: r.start, oldEnd: r.end, newStart: 0, align: r.align });
    }
  }
  // Keep every chunk at its old offset modulo its alignment, so each section and segment
  // inside keeps its alignment and loadable segments keep offset ≡ vaddr (mod p_align).
  let cursor = 0;
  for (const c of chunks) {
    const a = Math.max(1, c.align);
    const want = c.oldStart % a;
    c.newStart = cursor + ((want - (cursor % a) + a) % a);
    if (c.oldStart === 0) c.newStart = 0;
    cursor = c.newStart + (c.oldEnd - c.oldStart);
  }
  return chunks;
}

function mapOffset(chunks: Chunk[], old: number): number {
  let best: Chunk | undefined;
  for (const c of chunks) {
    if (c.oldStart <= old) best = c;
    if (c.oldStart <= old && old <= c.oldEnd) return c.newStart + (old - c.oldStart);
  }
  return best ? best.newStart + (best.oldEnd - best.oldStart) : 0;
}

/** Little/big-endian field writer for the output buffer. */
class ByteWriter {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly le: boolean,
    readonly is64: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(o: number, v: number) {
    this.view.setUint8(o, v);
  }
  u16(o: number, v: number) {
    this.view.setUint16(o, v, this.le);
  }
  u32(o: number, v: number) {
    this.view.setUint32(o, v >>> 0, this.le);
  }
  u64(o: number, v: number) {
    this.view.setBigUint64(o, BigInt(v), this.le);
  }
  addr(o: number, v: number) {
    if (this.is64) this.u64(o, v);
    else this.u32(o, v);
  }
}

/**
 * A string table built from scratch. Names are appended without looking for duplicates:
 * symbol names are nearly all distinct, and a lookup table for 100k names costs more
 * time than the few repeated bytes it would save.
 */
class StringTableBuilder {
  private buffer = new Uint8Array(4096);
  private size = 1;
  private enc = new TextEncoder();

  add(s: string): number {
    if (s === '') return 0;
    const at = this.size;
    this.reserve(s.length * 3 + 1);
    // Names are nearly always ASCII: copy char codes, and fall back to UTF-8 otherwise.
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        ascii = false;
        break;
      }
      this.buffer[at + i] = c;
    }
    const length = ascii ? s.length : this.enc.encodeInto(s, this.buffer.subarray(at)).written;
    this.buffer[at + length] = 0;
    this.size += length + 1;
    return at;
  }

  private reserve(extra: number): void {
    if (this.size + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.size + extra));
    grown.set(this.buffer.subarray(0, this.size));
    this.buffer = grown;
  }

  bytes(): Uint8Array {
    return this.buffer.slice(0, this.size);
  }
}

function encodeSymbols(elf: ElfFile, symbols: Symbol[], strings: StringTableBuilder, sectionMap: Map<number, number>): Uint8Array {
  const entsize = elf.is64 ? 24 : 16;
  const out = new Uint8Array((symbols.length + 1) * entsize);
  const w = new ByteWriter(out, elf.littleEndian, elf.is64);
  symbols.forEach((s, i) => {
    const o = (i + 1) * entsize;
    const shndx = s.shndx > 0 && s.shndx < SHN_LORESERVE ? sectionMap.get(s.shndx)! : s.shndx;
    const info = (s.binding << 4) | s.type;
    w.u32(o, strings.add(s.name));
    if (elf.is64) {
      w.u8(o + 4, info);
      w.u8(o + 5, s.other);
      w.u16(o + 6, shndx);
      w.u64(o + 8, s.value);
      w.u64(o + 16, s.size);
    } else {
      w.u32(o + 4, s.value);
      w.u32(o + 8, s.size);
      w.u8(o + 12, info);
      w.u8(o + 13, s.other);
      w.u16(o + 14, shndx);
    }
  });
  return out;
}

/** Rewrite symbol indices in a REL/RELA section; entries naming dropped symbols are dropped. */
function remapRelocations(elf: ElfFile, s: Section, symbolMap: Int32Array): Uint8Array {
  const data = elf.sectionData(s);
  const entsize = s.entsize || (elf.is64 ? (s.type === SectionType.RELA ? 24 : 16) : s.type === SectionType.RELA ? 12 : 8);
  const out = new Uint8Array(data.length);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const w = new ByteWriter(out, elf.littleEndian, elf.is64);
  let n = 0;
  for (let o = 0; o + entsize <= data.length; o += entsize) {
    const infoAt = o + (elf.is64 ? 8 : 4);
    const info = elf.is64 ? view.getBigUint64(infoAt, elf.littleEndian) : BigInt(view.getUint32(infoAt, elf.littleEndian));
    const sym = Number(elf.is64 ? info >> 32n : info >> 8n);
    const type = elf.is64 ? info & 0xffffffffn : info & 0xffn;
    const mapped = sym === 0 ? 0 : sym < symbolMap.length ? symbolMap[sym] : -1;
    if (mapped < 0) continue;
    out.set(data.subarray(o, o + entsize), n);
    if (elf.is64) w.view.setBigUint64(n + 8, (BigInt(mapped) << 32n) | type, elf.littleEndian);
    else w.u32(n + 4, (mapped << 8) | Number(type));
    n += entsize;
  }
  return out.subarray(0, n);
}

/**
 * Write `elf` without the sections named in `remove`, adding `add` as non-allocated
 * sections. The input is not modified.
 *
 * The steps: decide what goes (sections, then segments); rebuild the tables that index
 * sections or symbols; copy every byte range that stays in compacted chunks; place the
 * rebuilt tables and added sections after them; zero removed bytes that stay inside a
 * segment; apply patches; write the headers.
 */
export function removeSections(
  elf: ElfFile,
  remove: Iterable<string>,
  add: AddedSection[] = [],
  patches: BytePatch[] = [],
  options: RemoveOptions = {},
): RemoveResult {
  if (elf.header.shnum === 0 && elf.sections.length > 0)
    throw new ElfWriteError('files with extended section numbering are not supported by the writer');
  const removed = removalSet(elf, new Set(remove));
  const seg = planSegments(elf, removed);
  const placeholders = placeholdersFor(elf, removed, options.placeholders);
  const kept = elf.sections.flatMap((s) => (removed.has(s.index) ? (placeholders.get(s.index) ?? []) : [s]));
  const tables = rebuildTables(elf, kept, removed, add);
  const chunks = planCopy(elf, seg.kept, kept, tables.contents);
  const layout = placeFreshContents(elf, chunks, tables, add);

  const out = new Uint8Array(layout.total);
  for (const c of chunks) out.set(elf.bytes.subarray(c.oldStart, c.oldEnd), c.newStart);
  for (const f of layout.fresh.values()) out.set(f.data, f.offset);
  zeroRemovedBytes(out, elf, removed, chunks);
  applyPatches(out, chunks, patches);

  const segments = seg.kept.map((p) => ({ ...p, offset: p.filesz > 0 || p.offset > 0 ? mapOffset(chunks, p.offset) : 0 }));
  writeHeaders(out, elf, segments, tables, chunks, layout);
  checkReadsBack(
    out,
    elf,
    tables.sections.map((s, i) => ({ ...s, size: layout.fresh.get(i)?.data.length ?? s.size })),
  );
  const written = tables.sections
    .slice(0, tables.keptCount)
    .filter((s) => placeholders.has(s.index))
    .map((s) => ({ ...s, index: tables.sectionMap.get(s.index)!, offset: mapOffset(chunks, s.offset) }));
  return {
    bytes: out,
    segments,
    removed: elf.sections.filter((s) => removed.has(s.index)),
    placeholders: written,
    droppedSegments: seg.dropped,
    shrunkSegments: seg.shrunk,
    holes: seg.holes,
    droppedSymbols: tables.droppedSymbols,
  };
}

/**
 * The placeholders of removed sections, by old index: NOBITS (no file bytes, so no image
 * bytes) with the removed section's address, size and flags. Only allocated sections get
 * one; their symbols then stay, pointing at it.
 */
function placeholdersFor(elf: ElfFile, removed: Set<number>, names: ReadonlyMap<string, string> | undefined): Map<number, Section> {
  const out = new Map<number, Section>();
  if (!names) return out;
  const taken = new Set(elf.sections.filter((s) => !removed.has(s.index)).map((s) => s.name));
  for (const s of elf.sections) {
    const name = names.get(s.name);
    if (!removed.has(s.index) || name === undefined || (s.flags & SHF_ALLOC) === 0) continue;
    if (taken.has(name))
      throw new ElfError(elf.sectionHeaderOffset(s), `placeholder ${name} for ${s.name} would have the name of a section that stays`);
    out.set(s.index, { ...s, name, type: SectionType.NOBITS });
  }
  return out;
}

/** The section header table of the output and the new contents of the tables that index sections or symbols. */
interface RebuiltTables {
  /** Kept sections, then added ones, in output order, with name offsets into the new .shstrtab. */
  sections: Section[];
  /** How many of `sections` are kept input sections (the rest are added). */
  keptCount: number;
  /** Old section index → output index. */
  sectionMap: Map<number, number>;
  /** New contents by old section index: .symtab, its relocation sections, .strtab, .shstrtab. */
  contents: Map<number, Uint8Array>;
  symtab?: Section;
  /** sh_info of the new .symtab: one past the last local symbol. */
  symtabLocals: number;
  droppedSymbols: number;
}

function rebuildTables(elf: ElfFile, kept: Section[], removed: Set<number>, add: AddedSection[]): RebuiltTables {
  const h = elf.header;
  const sectionMap = new Map<number, number>(kept.map((s, i) => [s.index, i]));
  const contents = new Map<number, Uint8Array>();
  const symtab = kept.find((s) => s.type === SectionType.SYMTAB);
  // Section names share the symbol string table when the linker made them one section.
  const symbolStrings = new StringTableBuilder();
  const sharedStrings = symtab !== undefined && symtab.link === h.shstrndx;
  const shstrtab = sharedStrings ? symbolStrings : new StringTableBuilder();
  let droppedSymbols = 0;
  let symtabLocals = 0;
  if (symtab) {
    const all = elf.symbolsOf(symtab);
    // Also dropped: the assembler's local labels (`.L…`). They are in a final ELF only when
    // the link kept its relocations (-Wl,--emit-relocs, which the link check needs), and
    // addr2line would name them instead of the function an address lies in.
    const keepSym = all.filter(
      (s) =>
        !(s.shndx > 0 && s.shndx < SHN_LORESERVE && removed.has(s.shndx) && !sectionMap.has(s.shndx)) &&
        !(s.binding === SymbolBinding.LOCAL && s.name.startsWith('.L')),
    );
    droppedSymbols = all.length - keepSym.length;
    // Old symbol index → new index (-1: dropped), for relocation sections.
    const symbolMap = new Int32Array(all.length + 1).fill(-1);
    keepSym.forEach((s, i) => {
      symbolMap[s.index] = i + 1;
    });
    contents.set(symtab.index, encodeSymbols(elf, keepSym, symbolStrings, sectionMap));
    symtabLocals = 1 + keepSym.filter((s) => s.binding === 0).length;
    for (const s of kept) if (isRelocation(s) && s.link === symtab.index) contents.set(s.index, remapRelocations(elf, s, symbolMap));
  }

  const sections = kept.map((s) => ({ ...s }));
  for (const a of add) {
    sections.push({
      index: sections.length,
      name: a.name,
      nameOffset: 0,
      type: a.type ?? SectionType.PROGBITS,
      flags: 0,
      addr: 0,
      offset: 0,
      size: a.data.length,
      link: 0,
      info: 0,
      addralign: 1,
      entsize: 0,
    });
  }
  for (const s of sections) s.nameOffset = s.index === 0 ? 0 : shstrtab.add(s.name);
  const shstrBytes = shstrtab.bytes();
  if (h.shstrndx !== 0) contents.set(h.shstrndx, shstrBytes);
  if (symtab) contents.set(symtab.link, sharedStrings ? shstrBytes : symbolStrings.bytes());
  return { sections, keptCount: kept.length, sectionMap, contents, symtab, symtabLocals, droppedSymbols };
}

/** The chunks of the input copied as they are: the headers, every kept segment's image, kept sections not rebuilt. */
function planCopy(elf: ElfFile, segments: ProgramHeader[], kept: Section[], rebuilt: Map<number, Uint8Array>): Chunk[] {
  const h = elf.header;
  const headerEnd = Math.max(h.ehsize, h.phnum ? h.phoff + h.phnum * h.phentsize : 0);
  const ranges = [{ start: 0, end: headerEnd, align: 1 }];
  for (const p of segments)
    if (p.filesz > 0) ranges.push({ start: p.offset, end: p.offset + p.filesz, align: p.type === SegmentType.LOAD ? p.align : 1 });
  for (const s of kept) {
    if (s.index === 0 || s.type === SectionType.NOBITS || rebuilt.has(s.index)) continue;
    ranges.push({ start: s.offset, end: s.offset + s.size, align: s.addralign });
  }
  const chunks = planChunks(ranges);
  if (h.phnum && h.phoff < headerEnd && mapOffset(chunks, h.phoff) !== h.phoff) {
    throw new ElfError(h.phoff, 'program header table is not in the leading header block');
  }
  return chunks;
}

interface Layout {
  /** Rebuilt tables and added sections by output section index, placed after the copied chunks. */
  fresh: Map<number, { offset: number; data: Uint8Array }>;
  shoff: number;
  shentsize: number;
  total: number;
}

function placeFreshContents(elf: ElfFile, chunks: Chunk[], tables: RebuiltTables, add: AddedSection[]): Layout {
  const is64 = elf.is64;
  const last = chunks[chunks.length - 1];
  let cursor = last ? last.newStart + (last.oldEnd - last.oldStart) : 0;
  const fresh = new Map<number, { offset: number; data: Uint8Array }>();
  const place = (outIndex: number, data: Uint8Array, align: number) => {
    cursor = alignUp(cursor, Math.max(1, align));
    fresh.set(outIndex, { offset: cursor, data });
    cursor += data.length;
  };
  tables.sections.forEach((s, i) => {
    const data = i < tables.keptCount ? tables.contents.get(s.index) : add[i - tables.keptCount].data;
    if (!data) return;
    // The padding before a table is up to its alignment: one larger than the whole file is
    // no real layout, and would make an 11 KB input a 256 MiB–4 GiB output.
    if (s.addralign > elf.bytes.length) {
      throw new ElfError(
        elf.sectionHeaderOffset(s),
        `section ${s.name} has alignment 0x${s.addralign.toString(16)}, larger than the whole file (${elf.bytes.length} bytes)`,
      );
    }
    place(i, data, s.addralign);
  });
  const shentsize = is64 ? 64 : 40;
  const shoff = alignUp(cursor, is64 ? 8 : 4);
  return { fresh, shoff, shentsize, total: shoff + tables.sections.length * shentsize };
}

/** Removed sections that stay inside a kept segment keep their space but not their bytes: no library code may remain in the image. */
function zeroRemovedBytes(out: Uint8Array, elf: ElfFile, removed: Set<number>, chunks: Chunk[]): void {
  for (const s of elf.sections) {
    if (!removed.has(s.index) || s.type === SectionType.NOBITS || s.size === 0) continue;
    for (const c of chunks) {
      const from = Math.max(s.offset, c.oldStart),
        to = Math.min(s.offset + s.size, c.oldEnd);
      if (from < to) out.fill(0, c.newStart + from - c.oldStart, c.newStart + to - c.oldStart);
    }
  }
}

function applyPatches(out: Uint8Array, chunks: Chunk[], patches: BytePatch[]): void {
  for (const p of patches) {
    if (!chunks.some((c) => p.offset >= c.oldStart && p.offset + p.bytes.length <= c.oldEnd)) {
      throw new ElfError(p.offset, 'patched bytes are not part of a section that stays');
    }
    out.set(p.bytes, mapOffset(chunks, p.offset));
  }
}

function writeHeaders(
  out: Uint8Array,
  elf: ElfFile,
  segments: ProgramHeader[],
  tables: RebuiltTables,
  chunks: Chunk[],
  layout: Layout,
): void {
  const h = elf.header;
  const w = new ByteWriter(out, elf.littleEndian, elf.is64);
  writeProgramHeaders(w, h.phoff, h.phentsize, segments);
  const remapIndex = (idx: number) => (idx === 0 ? 0 : (tables.sectionMap.get(idx) ?? 0));
  tables.sections.forEach((s, i) => {
    const fresh = layout.fresh.get(i);
    const offset = fresh ? fresh.offset : i === 0 ? 0 : mapOffset(chunks, s.offset);
    const size = fresh ? fresh.data.length : s.size;
    let { link, info } = s;
    if (i < tables.keptCount) {
      if (link) link = remapIndex(link);
      if (isRelocation(s) || (s.flags & SHF_INFO_LINK) !== 0) info = remapIndex(info);
      if (s.index === tables.symtab?.index) info = tables.symtabLocals;
    }
    writeSectionHeader(w, layout.shoff + i * layout.shentsize, { ...s, offset, size, link, info });
  });
  writeFileHeader(w, {
    phnum: segments.length,
    shoff: layout.shoff,
    shnum: tables.sections.length,
    shstrndx: tables.sectionMap.get(h.shstrndx) ?? 0,
    shentsize: layout.shentsize,
  });
  // Unused program header slots (fewer segments than before) are zeroed PT_NULL entries.
  if (segments.length < h.phnum) out.fill(0, h.phoff + segments.length * h.phentsize, h.phoff + h.phnum * h.phentsize);
}

/**
 * The writer reads its own output back: a file readers would reject (a segment with more
 * file bytes than memory, a section past the end) is an error here, never a written file.
 * Errors keep the offset where the output failed to read.
 */
function checkReadsBack(out: Uint8Array, input: ElfFile, sections: Section[]): void {
  let written: ElfFile;
  try {
    written = readElf(out);
  } catch (e) {
    if (!(e instanceof ElfError)) throw e;
    throw new ElfError(e.offset, `the ELF written without the removed sections would not read back: ${e.problem}`);
  }
  const same = (a: Section, b: Section | undefined) =>
    !!b && a.name === b.name && a.type === b.type && a.addr === b.addr && a.size === b.size;
  const moved = sections.findIndex((s, i) => !same(s, written.sections[i]));
  if (written.sections.length !== sections.length || moved >= 0) {
    throw new ElfError(
      written.header.shoff + Math.max(0, moved) * written.header.shentsize,
      'the ELF written without the removed sections does not keep the other sections as they were',
    );
  }
  const identity = (e: ElfFile) =>
    [e.header.class, e.header.data, e.header.type, e.header.machine, e.header.entry, e.header.flags].join(',');
  if (identity(written) !== identity(input))
    throw new ElfWriteError('the ELF written without the removed sections has a different file header');
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function writeFileHeader(w: ByteWriter, f: { phnum: number; shoff: number; shnum: number; shstrndx: number; shentsize: number }) {
  const a = w.is64 ? 8 : 4;
  w.addr(24 + 2 * a, f.shoff);
  w.u16(32 + 3 * a, f.phnum);
  w.u16(34 + 3 * a, f.shentsize);
  w.u16(36 + 3 * a, f.shnum);
  w.u16(38 + 3 * a, f.shstrndx);
}

function writeProgramHeaders(w: ByteWriter, phoff: number, phentsize: number, segments: ProgramHeader[]) {
  segments.forEach((p, i) => {
    const at = phoff + i * phentsize;
    if (w.is64) {
      w.u32(at, p.type);
      w.u32(at + 4, p.flags);
      w.u64(at + 8, p.offset);
      w.u64(at + 16, p.vaddr);
      w.u64(at + 24, p.paddr);
      w.u64(at + 32, p.filesz);
      w.u64(at + 40, p.memsz);
      w.u64(at + 48, p.align);
    } else {
      w.u32(at, p.type);
      w.u32(at + 4, p.offset);
      w.u32(at + 8, p.vaddr);
      w.u32(at + 12, p.paddr);
      w.u32(at + 16, p.filesz);
      w.u32(at + 20, p.memsz);
      w.u32(at + 24, p.flags);
      w.u32(at + 28, p.align);
    }
  });
}

function writeSectionHeader(w: ByteWriter, at: number, s: Section) {
  if (w.is64) {
    w.u32(at, s.nameOffset);
    w.u32(at + 4, s.type);
    w.u64(at + 8, s.flags);
    w.u64(at + 16, s.addr);
    w.u64(at + 24, s.offset);
    w.u64(at + 32, s.size);
    w.u32(at + 40, s.link);
    w.u32(at + 44, s.info);
    w.u64(at + 48, s.addralign);
    w.u64(at + 56, s.entsize);
  } else {
    w.u32(at, s.nameOffset);
    w.u32(at + 4, s.type);
    w.u32(at + 8, s.flags);
    w.u32(at + 12, s.addr);
    w.u32(at + 16, s.offset);
    w.u32(at + 20, s.size);
    w.u32(at + 24, s.link);
    w.u32(at + 28, s.info);
    w.u32(at + 32, s.addralign);
    w.u32(at + 36, s.entsize);
  }
}

/** File offset and length of a symbol's bytes, for patching its initial value. */
export function symbolFileRange(elf: ElfFile, sym: Symbol): { offset: number; size: number } {
  const s = elf.sections[sym.shndx];
  if (!s || sym.shndx === 0 || sym.shndx >= SHN_LORESERVE)
    throw new ElfWriteError(`cannot patch symbol ${sym.name}: it is not defined in a section`);
  if (s.type === SectionType.NOBITS)
    throw new ElfError(elf.sectionHeaderOffset(s), `symbol ${sym.name} is in ${s.name}, which has no file contents (bss)`);
  if ((s.flags & SHF_ALLOC) === 0 || sym.value < s.addr || sym.value + sym.size > s.addr + s.size) {
    throw new ElfError(
      elf.sectionHeaderOffset(s),
      `symbol ${sym.name} (0x${sym.value.toString(16)}, ${sym.size} bytes) lies outside its section ${s.name}`,
    );
  }
  return { offset: s.offset + (sym.value - s.addr), size: sym.size };
}

/** A patch that overwrites symbol `name`'s bytes; the value must fit exactly. */
export function symbolPatch(elf: ElfFile, name: string, value: Uint8Array): BytePatch {
  const sym = elf.symbol(name);
  if (!sym) throw new ElfWriteError(`cannot patch symbol ${name}: the ELF has no such symbol`);
  const { offset, size } = symbolFileRange(elf, sym);
  if (size !== value.length) throw new ElfError(offset, `symbol ${name} is ${size} bytes, the new value is ${value.length}`);
  return { offset, bytes: value };
}

// ELF reader: the file header, section and program headers, symbol tables, string tables
// and notes of ELF32/ELF64 files in either byte order. Every malformed input raises an
// ElfError naming the file offset where reading failed; nothing else is thrown.
import { isAscii } from 'node:buffer';
import {
  ElfError,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  SectionType,
  SegmentType,
  SHN_XINDEX,
  type FileHeader,
  type Note,
  type ProgramHeader,
  type Section,
  type Symbol,
} from './types';

/** Bounds-checked little/big-endian reads over the file bytes. */
export class ByteReader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian: boolean,
    readonly is64: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  require(offset: number, length: number, what: string): void {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw new ElfError(offset, `${what} (${length} bytes) runs past the end of the file (${this.bytes.length} bytes)`);
    }
  }
  u8(o: number): number {
    return this.view.getUint8(o);
  }
  u16(o: number): number {
    return this.view.getUint16(o, this.littleEndian);
  }
  u32(o: number): number {
    return this.view.getUint32(o, this.littleEndian);
  }
  u64(o: number): number {
    const v = this.view.getBigUint64(o, this.littleEndian);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(o, `64-bit value 0x${v.toString(16)} is too large`);
    return Number(v);
  }
  /** An address-sized field: 4 bytes in ELF32, 8 in ELF64. */
  addr(o: number): number {
    return this.is64 ? this.u64(o) : this.u32(o);
  }
}

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/**
 * A string table decoded once. Names are slices of one JavaScript string, which is far
 * cheaper than decoding 100k names one by one; tables with non-ASCII bytes (rare: UTF-8
 * symbol names) decode each name as UTF-8 instead, since byte and string indices differ.
 */
export class StringTable {
  private readonly text: string;
  private readonly ascii: boolean;
  constructor(
    readonly bytes: Uint8Array,
    readonly fileOffset: number,
  ) {
    this.text = latin1.decode(bytes);
    this.ascii = isAscii(bytes);
  }

  /** The NUL-terminated string at `index`; `owner` and `ownerIndex` name it in errors. */
  at(index: number, owner: string, ownerIndex: number): string {
    if (index >= this.bytes.length) {
      throw new ElfError(
        this.fileOffset + index,
        `${owner} ${ownerIndex} name index ${index} is outside its string table (${this.bytes.length} bytes)`,
      );
    }
    const end = this.bytes.indexOf(0, index);
    if (end < 0) throw new ElfError(this.fileOffset + index, `${owner} ${ownerIndex} name is not NUL-terminated`);
    return this.ascii ? this.text.slice(index, end) : utf8.decode(this.bytes.subarray(index, end));
  }
}

function readFileHeader(bytes: Uint8Array): { header: FileHeader; reader: ByteReader } {
  if (bytes.length < 16) throw new ElfError(0, `file is ${bytes.length} bytes, shorter than the 16-byte ELF identification`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError(0, 'not an ELF file (magic is not 7f 45 4c 46)');
  }
  const cls = bytes[4];
  if (cls !== ELFCLASS32 && cls !== ELFCLASS64) throw new ElfError(4, `unknown ELF class ${cls} (expected 1 = 32-bit or 2 = 64-bit)`);
  const data = bytes[5];
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB)
    throw new ElfError(5, `unknown byte order ${data} (expected 1 = little or 2 = big endian)`);
  if (bytes[6] !== 1) throw new ElfError(6, `unknown ELF identification version ${bytes[6]}`);
  const is64 = cls === ELFCLASS64;
  const r = new ByteReader(bytes, data === ELFDATA2LSB, is64);
  const size = is64 ? 64 : 52;
  r.require(0, size, 'ELF file header');
  const a = is64 ? 8 : 4; // address field width
  const header: FileHeader = {
    class: cls,
    data,
    osabi: bytes[7],
    abiVersion: bytes[8],
    type: r.u16(16),
    machine: r.u16(18),
    version: r.u32(20),
    entry: r.addr(24),
    phoff: r.addr(24 + a),
    shoff: r.addr(24 + 2 * a),
    flags: r.u32(24 + 3 * a),
    ehsize: r.u16(28 + 3 * a),
    phentsize: r.u16(30 + 3 * a),
    phnum: r.u16(32 + 3 * a),
    shentsize: r.u16(34 + 3 * a),
    shnum: r.u16(36 + 3 * a),
    shstrndx: r.u16(38 + 3 * a),
  };
  if (header.version !== 1) throw new ElfError(20, `unknown ELF version ${header.version}`);
  if (header.ehsize < size || header.ehsize > bytes.length) {
    throw new ElfError(
      28 + 3 * a,
      `ELF header size ${header.ehsize} is not between the ${size}-byte header and the file size (${bytes.length} bytes)`,
    );
  }
  return { header, reader: r };
}

function readSectionHeader(r: ByteReader, at: number, index: number): Omit<Section, 'name'> {
  if (r.is64) {
    return {
      index,
      nameOffset: r.u32(at),
      type: r.u32(at + 4),
      flags: r.u64(at + 8),
      addr: r.u64(at + 16),
      offset: r.u64(at + 24),
      size: r.u64(at + 32),
      link: r.u32(at + 40),
      info: r.u32(at + 44),
      addralign: r.u64(at + 48),
      entsize: r.u64(at + 56),
    };
  }
  return {
    index,
    nameOffset: r.u32(at),
    type: r.u32(at + 4),
    flags: r.u32(at + 8),
    addr: r.u32(at + 12),
    offset: r.u32(at + 16),
    size: r.u32(at + 20),
    link: r.u32(at + 24),
    info: r.u32(at + 28),
    addralign: r.u32(at + 32),
    entsize: r.u32(at + 36),
  };
}

function readSections(r: ByteReader, h: FileHeader): Section[] {
  if (h.shoff === 0) return [];
  const minEntry = r.is64 ? 64 : 40;
  if (h.shentsize < minEntry) throw new ElfError(r.is64 ? 58 : 46, `section header entry size ${h.shentsize} is smaller than ${minEntry}`);
  r.require(h.shoff, h.shentsize, 'section header 0');
  const first = readSectionHeader(r, h.shoff, 0);
  // Extended numbering: with >= 0xff00 sections the real counts live in section 0.
  const count = h.shnum === 0 ? first.size : h.shnum;
  const strndx = h.shstrndx === SHN_XINDEX ? first.link : h.shstrndx;
  if (count > 1_000_000) throw new ElfError(h.shoff, `implausible section count ${count}`);
  r.require(h.shoff, count * h.shentsize, `section header table (${count} entries)`);
  const raw: Omit<Section, 'name'>[] = [];
  for (let i = 0; i < count; i++) {
    const at = h.shoff + i * h.shentsize;
    const s = readSectionHeader(r, at, i);
    if (s.type !== SectionType.NOBITS && s.type !== SectionType.NULL && s.size > 0) {
      r.require(s.offset, s.size, `contents of section ${i}`);
    }
    checkAlignment(s.addralign, at + (r.is64 ? 48 : 32), `section ${i}`);
    raw.push(s);
  }
  if (count === 0) return [];
  if (strndx >= count) throw new ElfError(h.shoff, `section name table index ${strndx} is not a section (there are ${count})`);
  const names = raw[strndx];
  const table = new StringTable(
    names.type === SectionType.NOBITS ? new Uint8Array(0) : r.bytes.subarray(names.offset, names.offset + names.size),
    names.offset,
  );
  return raw.map((s) => ({ ...s, name: s.index === 0 && s.nameOffset === 0 ? '' : table.at(s.nameOffset, 'section', s.index) }));
}

/** The gABI: sh_addralign / p_align is 0 or 1 (none) or a power of two. */
function checkAlignment(align: number, at: number, what: string): void {
  if (align > 1 && 2 ** Math.round(Math.log2(align)) !== align) {
    throw new ElfError(at, `${what} has alignment ${align}, which is not a power of two`);
  }
}

function readSegments(r: ByteReader, h: FileHeader): ProgramHeader[] {
  if (h.phnum === 0) return [];
  const minEntry = r.is64 ? 56 : 32;
  if (h.phentsize < minEntry) throw new ElfError(r.is64 ? 54 : 42, `program header entry size ${h.phentsize} is smaller than ${minEntry}`);
  r.require(h.phoff, h.phnum * h.phentsize, `program header table (${h.phnum} entries)`);
  const out: ProgramHeader[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const at = h.phoff + i * h.phentsize;
    const p: ProgramHeader = r.is64
      ? {
          index: i,
          type: r.u32(at),
          flags: r.u32(at + 4),
          offset: r.u64(at + 8),
          vaddr: r.u64(at + 16),
          paddr: r.u64(at + 24),
          filesz: r.u64(at + 32),
          memsz: r.u64(at + 40),
          align: r.u64(at + 48),
        }
      : {
          index: i,
          type: r.u32(at),
          offset: r.u32(at + 4),
          vaddr: r.u32(at + 8),
          paddr: r.u32(at + 12),
          filesz: r.u32(at + 16),
          memsz: r.u32(at + 20),
          flags: r.u32(at + 24),
          align: r.u32(at + 28),
        };
    if (p.filesz > 0) r.require(p.offset, p.filesz, `contents of segment ${i}`);
    checkAlignment(p.align, at + (r.is64 ? 48 : 28), `segment ${i}`);
    if (p.type === SegmentType.LOAD && p.filesz > p.memsz) {
      throw new ElfError(at, `segment ${i} has file size ${p.filesz} larger than its memory size ${p.memsz}`);
    }
    out.push(p);
  }
  return out;
}

/** A parsed ELF file. Section contents and symbols are read on demand from `bytes`. */
export class ElfFile {
  private symbolCache = new Map<number, Symbol[]>();

  constructor(
    readonly bytes: Uint8Array,
    readonly header: FileHeader,
    readonly sections: Section[],
    readonly segments: ProgramHeader[],
    private readonly reader: ByteReader,
  ) {}

  get is64(): boolean {
    return this.reader.is64;
  }
  get littleEndian(): boolean {
    return this.reader.littleEndian;
  }

  section(name: string): Section | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The bytes of a section in the file (empty for NOBITS). A view, not a copy. */
  sectionData(s: Section): Uint8Array {
    if (s.type === SectionType.NOBITS || s.type === SectionType.NULL) return new Uint8Array(0);
    return this.bytes.subarray(s.offset, s.offset + s.size);
  }

  /** Symbols of `.symtab` (without the null entry 0); [] when the file is stripped. */
  symbols(): Symbol[] {
    const t = this.sections.find((s) => s.type === SectionType.SYMTAB);
    return t ? this.symbolsOf(t) : [];
  }

  /** Symbols of `.dynsym` (without the null entry 0). */
  dynamicSymbols(): Symbol[] {
    const t = this.sections.find((s) => s.type === SectionType.DYNSYM);
    return t ? this.symbolsOf(t) : [];
  }

  symbol(name: string): Symbol | undefined {
    return this.symbols().find((s) => s.name === name);
  }

  /**
   * The `.symtab` symbols whose names start with `prefix`, without decoding the others: the
   * memory map needs a handful of `_…` boundary symbols out of 100k, and decoding every name
   * would be most of its ELF time.
   */
  symbolsStartingWith(prefix: string): Symbol[] {
    const t = this.sections.find((s) => s.type === SectionType.SYMTAB);
    if (!t) return [];
    const all = this.symbolCache.get(t.index);
    if (all) return all.filter((s) => s.name.startsWith(prefix));
    const want = new TextEncoder().encode(prefix);
    return this.decodeSymbols(t, (strtab, nameIndex) => {
      for (let k = 0; k < want.length; k++) if (strtab[nameIndex + k] !== want[k]) return false;
      return true;
    });
  }

  /** The symbol entries of one SYMTAB/DYNSYM section, names resolved through its sh_link. */
  symbolsOf(table: Section): Symbol[] {
    const cached = this.symbolCache.get(table.index);
    if (cached) return cached;
    const out = this.decodeSymbols(table);
    this.symbolCache.set(table.index, out);
    return out;
  }

  /** Decodes the entries of `table` (all, or those whose name bytes `keep` accepts). */
  private decodeSymbols(table: Section, keep?: (strtab: Uint8Array, nameIndex: number) => boolean): Symbol[] {
    const r = this.reader;
    const entsize = r.is64 ? 24 : 16;
    const at = this.sectionHeaderOffset(table);
    if (table.entsize !== entsize)
      throw new ElfError(at, `symbol table ${table.name} has entry size ${table.entsize}, expected ${entsize}`);
    if (table.size % entsize !== 0) throw new ElfError(at, `symbol table ${table.name} size ${table.size} is not a multiple of ${entsize}`);
    const strs = this.sections[table.link];
    if (!strs || strs.type !== SectionType.STRTAB) {
      throw new ElfError(at, `symbol table ${table.name} links to section ${table.link}, which is not a string table`);
    }
    const strtab = this.sectionData(strs);
    const names = new StringTable(strtab, strs.offset);
    const xindex = this.sections.find((s) => s.type === SectionType.SYMTAB_SHNDX && s.link === table.index);
    const count = table.size / entsize;
    const out: Symbol[] = [];
    // The hot loop of the reader (100k+ symbols in big firmware): plain DataView reads
    // with the byte order hoisted, one object per symbol, names sliced from the table.
    const view = r.view,
      le = r.littleEndian,
      is64 = r.is64;
    for (let i = 1; i < count; i++) {
      const o = table.offset + i * entsize;
      const nameIndex = view.getUint32(o, le);
      // An index outside the table is not skipped: names.at reports it.
      if (keep && nameIndex < strtab.length && !keep(strtab, nameIndex)) continue;
      const info = view.getUint8(o + (is64 ? 4 : 12));
      const other = view.getUint8(o + (is64 ? 5 : 13));
      let shndx = view.getUint16(o + (is64 ? 6 : 14), le);
      const value = is64 ? r.u64(o + 8) : view.getUint32(o + 4, le);
      const size = is64 ? r.u64(o + 16) : view.getUint32(o + 8, le);
      if (shndx === SHN_XINDEX && xindex) {
        r.require(xindex.offset + i * 4, 4, `extended section index of symbol ${i}`);
        shndx = view.getUint32(xindex.offset + i * 4, le);
      }
      const name = nameIndex === 0 ? '' : names.at(nameIndex, 'symbol', i);
      out.push({ index: i, name, value, size, type: info & 0xf, binding: info >> 4, other, shndx });
    }
    return out;
  }

  /** Notes from SHT_NOTE sections (or PT_NOTE segments when there are no section headers). */
  notes(): Note[] {
    const out: Note[] = [];
    for (const s of this.sections) {
      if (s.type === SectionType.NOTE) out.push(...this.parseNotes(s.offset, s.size, s.name));
    }
    if (this.sections.length === 0) {
      for (const p of this.segments) {
        if (p.type === SegmentType.NOTE) out.push(...this.parseNotes(p.offset, p.filesz, `segment ${p.index}`));
      }
    }
    return out;
  }

  private parseNotes(offset: number, size: number, source: string): Note[] {
    const r = this.reader;
    const out: Note[] = [];
    const end = offset + size;
    const pad4 = (n: number) => (n + 3) & ~3;
    let o = offset;
    while (o < end) {
      if (o + 12 > end) throw new ElfError(o, `note header in ${source} runs past its end`);
      const namesz = r.u32(o),
        descsz = r.u32(o + 4),
        type = r.u32(o + 8);
      const nameAt = o + 12,
        descAt = nameAt + pad4(namesz);
      if (namesz > size || descsz > size || descAt + descsz > end) throw new ElfError(o, `note in ${source} is larger than its section`);
      const nameBytes = this.bytes.subarray(nameAt, nameAt + namesz);
      const nul = nameBytes.indexOf(0);
      out.push({
        name: utf8.decode(nul >= 0 ? nameBytes.subarray(0, nul) : nameBytes),
        type,
        desc: this.bytes.subarray(descAt, descAt + descsz),
        source,
      });
      o = descAt + pad4(descsz);
    }
    return out;
  }

  sectionHeaderOffset(s: Section): number {
    return this.header.shoff + s.index * this.header.shentsize;
  }

  /** Sections of a segment, by the same rule as readelf's "section to segment mapping". */
  sectionsInSegment(p: ProgramHeader): Section[] {
    return this.sections.filter((s) => sectionInSegment(s, p));
  }
}

/**
 * Whether a section lies inside a segment: its file bytes inside the segment's file image
 * (for sections with contents) and, for allocated sections of a loadable segment, its
 * addresses inside the segment's memory image. Empty sections count at the segment's
 * interior only, so a zero-size marker at a boundary does not join both neighbours.
 */
export function sectionInSegment(s: Section, p: ProgramHeader): boolean {
  if (s.type === SectionType.NULL) return false;
  const alloc = (s.flags & 0x2) !== 0;
  const hasFile = s.type !== SectionType.NOBITS;
  if (p.type === SegmentType.LOAD && !alloc) return false;
  if (hasFile) {
    if (s.offset < p.offset || s.offset + s.size > p.offset + p.filesz) return false;
    if (s.size === 0 && s.offset === p.offset + p.filesz && p.filesz > 0) return false;
  }
  if (alloc && p.type !== SegmentType.NOTE) {
    if (s.addr < p.vaddr || s.addr + s.size > p.vaddr + p.memsz) return false;
    if (s.size === 0 && s.addr === p.vaddr + p.memsz && p.memsz > 0) return false;
  } else if (!hasFile) {
    return false;
  }
  return true;
}

/** Bytes of loadable segment contents: what an image builder (esptool elf2image) copies. */
export function loadableBytes(segments: ProgramHeader[]): number {
  return segments.filter((p) => p.type === SegmentType.LOAD).reduce((sum, p) => sum + p.filesz, 0);
}

export function readElf(bytes: Uint8Array): ElfFile {
  const { header, reader } = readFileHeader(bytes);
  const sections = readSections(reader, header);
  const segments = readSegments(reader, header);
  // Reject a section that does not name a valid section where the spec says it must.
  for (const s of sections) {
    const needsLink =
      s.type === SectionType.SYMTAB || s.type === SectionType.DYNSYM || s.type === SectionType.REL || s.type === SectionType.RELA;
    if (needsLink && s.link >= sections.length) {
      throw new ElfError(header.shoff + s.index * header.shentsize, `section ${s.name} links to section ${s.link}, which does not exist`);
    }
  }
  checkNoFileOverlap(sections, header);
  checkHeadersNotOverlapped(sections, header);
  return new ElfFile(bytes, header, sections, segments, reader);
}

/**
 * Sections may share addresses (overlay members have equal VMAs) but never file bytes:
 * two sections claiming the same bytes would make the writer copy one over the other.
 */
function checkNoFileOverlap(sections: Section[], h: FileHeader): void {
  const withBytes = sections
    .filter((s) => s.type !== SectionType.NOBITS && s.type !== SectionType.NULL && s.size > 0)
    .sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < withBytes.length; i++) {
    const prev = withBytes[i - 1],
      cur = withBytes[i];
    if (cur.offset < prev.offset + prev.size) {
      throw new ElfError(
        h.shoff + cur.index * h.shentsize,
        `sections ${prev.name} and ${cur.name} overlap in the file (0x${cur.offset.toString(16)} < 0x${(prev.offset + prev.size).toString(16)})`,
      );
    }
  }
}

/**
 * No section's bytes may lie in the file header or the program header table: the writer
 * rewrites those, and zeroing a removed section there would zero the header itself.
 */
function checkHeadersNotOverlapped(sections: Section[], h: FileHeader): void {
  const headers = [{ what: 'the ELF file header', start: 0, end: h.ehsize }];
  if (h.phnum > 0) headers.push({ what: 'the program header table', start: h.phoff, end: h.phoff + h.phnum * h.phentsize });
  for (const s of sections) {
    if (s.type === SectionType.NOBITS || s.type === SectionType.NULL || s.size === 0) continue;
    for (const x of headers) {
      if (s.offset < x.end && s.offset + s.size > x.start) {
        throw new ElfError(
          h.shoff + s.index * h.shentsize,
          `section ${s.name} (file bytes 0x${s.offset.toString(16)}..0x${(s.offset + s.size).toString(16)}) overlaps ${x.what} (0x${x.start.toString(16)}..0x${x.end.toString(16)})`,
        );
      }
    }
  }
}

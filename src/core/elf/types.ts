// Types that mirror the ELF specification (System V gABI), in the spirit of Go's debug/elf.
// Addresses and offsets are JavaScript numbers: exact up to 2^53, which every ESP32 and
// every ordinary ELF64 file stays below (the reader rejects larger values with an error).
import { Esp32mmError } from '../errors';

export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;

export enum SectionType {
  NULL = 0,
  PROGBITS = 1,
  SYMTAB = 2,
  STRTAB = 3,
  RELA = 4,
  HASH = 5,
  DYNAMIC = 6,
  NOTE = 7,
  NOBITS = 8,
  REL = 9,
  SHLIB = 10,
  DYNSYM = 11,
  INIT_ARRAY = 14,
  FINI_ARRAY = 15,
  PREINIT_ARRAY = 16,
  GROUP = 17,
  SYMTAB_SHNDX = 18,
}

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_INFO_LINK = 0x40;

export enum SegmentType {
  NULL = 0,
  LOAD = 1,
  DYNAMIC = 2,
  INTERP = 3,
  NOTE = 4,
  SHLIB = 5,
  PHDR = 6,
  TLS = 7,
}
export const PF_X = 0x1;
export const PF_W = 0x2;
export const PF_R = 0x4;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

export enum SymbolType {
  NOTYPE = 0,
  OBJECT = 1,
  FUNC = 2,
  SECTION = 3,
  FILE = 4,
  COMMON = 5,
  TLS = 6,
}
export enum SymbolBinding {
  LOCAL = 0,
  GLOBAL = 1,
  WEAK = 2,
}

export const EM_386 = 3;
export const EM_X86_64 = 62;
export const EM_XTENSA = 94;
export const EM_RISCV = 243;
export const EM_AARCH64 = 183;

/** The ELF file header (Elf32_Ehdr / Elf64_Ehdr). */
export interface FileHeader {
  class: typeof ELFCLASS32 | typeof ELFCLASS64;
  data: typeof ELFDATA2LSB | typeof ELFDATA2MSB;
  osabi: number;
  abiVersion: number;
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

/** A section header (Elf32_Shdr / Elf64_Shdr) with its name resolved. */
export interface Section {
  index: number;
  name: string;
  nameOffset: number;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

/** A program header (Elf32_Phdr / Elf64_Phdr). */
export interface ProgramHeader {
  index: number;
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

/** A symbol table entry (Elf32_Sym / Elf64_Sym) with its name resolved. */
export interface Symbol {
  /** Index in its table (entry 0 is the null symbol and is not returned). */
  index: number;
  name: string;
  value: number;
  size: number;
  type: number;
  binding: number;
  other: number;
  /** Section header index, or one of SHN_UNDEF / SHN_ABS / SHN_COMMON. */
  shndx: number;
}

export interface Note {
  name: string;
  type: number;
  desc: Uint8Array;
  /** The section (or segment) the note came from. */
  source: string;
}

/** Thrown for every malformed input; `offset` is the file offset where reading failed. */
export class ElfError extends Esp32mmError {
  readonly code = 'ELF';
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`invalid ELF at offset 0x${offset.toString(16)}: ${problem}`);
  }
}

/** The writer cannot produce the file asked for (not a fault at any offset of the input). */
export class ElfWriteError extends Esp32mmError {
  readonly code = 'ELF_WRITE';
}

// The reference audit after a link: every word of the resident firmware that points into a
// dynamic library's slot. The slot is empty until the library is loaded, so who holds such a
// pointer decides whether the firmware can run: boot code, the firmware's own constructor
// tables, interrupt vectors and IRAM code use it before (or without) any load and crash;
// ordinary application code may call in after a load (MM_LAZY does it). Exact when the link
// kept its relocations (-Wl,--emit-relocs): each relocation of a resident section whose target
// lies in a slot. Otherwise a scan of the sections' aligned 32-bit words — Xtensa code reaches
// data and far code through literal words — plus, in Xtensa code, the targets of CALLn/J
// instructions (ld's relaxation turns a literal + CALLXn into a PC-relative CALLn when the
// target is near, as slot code in IRAM is for flash code). A RISC-V instruction carries no
// whole address, so RISC-V code needs the relocations.
import type { ElfFile } from '../elf/reader';
import { EM_RISCV, EM_XTENSA, SHF_ALLOC, SHF_EXECINSTR, SectionType, SymbolType, type Section, type Symbol } from '../elf/types';
import { type MapFile, type MapInput, baseName, splitArchiveMember } from '../mapfile/parse';
import { mmSectionName } from './fragment';

/** Who holds a reference into a slot (docs/design.md §4). */
export type HolderClass = 'boot' | 'init-table' | 'fini-table' | 'vectors' | 'iram' | 'call' | 'wrapper' | 'data-table';

export interface SlotReference {
  lib: string;
  holder: HolderClass;
  /** The resident function (or object) that holds the reference. */
  holderSymbol: string;
  /** As the map names its file: `libesp_system.a(startup.o)`, `main.c.o`. */
  holderFile: string;
  /** Input section and output section of the holder. */
  holderSection: string;
  outputSection: string;
  /** The library symbol it points to. */
  target: string;
  targetSection: string;
  via: 'relocation' | 'word';
}

interface SlotRange { lib: string; section: Section; start: number; end: number }

export interface AuditResult {
  references: SlotReference[];
  /** Sections not audited, and why (RISC-V code without relocations). */
  unaudited: string[];
}

/** Every reference from a resident section into one of `libs`' `.mm` sections. */
export function auditSlotReferences(elf: ElfFile, map: MapFile, libs: string[]): AuditResult {
  const ranges = slotRanges(elf, libs);
  if (!ranges.length) return { references: [], unaudited: [] };
  const hits: { site: number; target: number; section: Section; via: 'relocation' | 'word'; symbol?: Symbol }[] = [];
  const withRelocs = relocatedSections(elf);
  const unaudited: string[] = [];
  const lo = Math.min(...ranges.map((r) => r.start));
  const hi = Math.max(...ranges.map((r) => r.end));
  const inSlot = (v: number) => v >= lo && v < hi && ranges.some((r) => v >= r.start && v < r.end);
  const code = (s: Section) => (s.flags & SHF_EXECINSTR) !== 0;
  for (const s of residentSections(elf)) {
    const relocs = withRelocs.get(s.index);
    if (relocs) {
      for (const r of relocationTargets(elf, relocs)) if (inSlot(r.target)) hits.push({ ...r, section: s, via: 'relocation' });
    } else if (code(s) && elf.header.machine === EM_RISCV) {
      unaudited.push(s.name);
    } else {
      for (const w of slotWords(elf, s, lo, hi)) if (inSlot(w.target)) hits.push({ ...w, section: s, via: 'word' });
      if (code(s) && elf.header.machine === EM_XTENSA) {
        for (const c of xtensaCalls(elf, s, codeInputs(map, s))) if (inSlot(c.target)) hits.push({ ...c, section: s, via: 'word' });
      }
    }
  }
  if (!hits.length) return { references: [], unaudited };
  const names = new SymbolIndex(elf);
  const inputs = new MapInputs(map);
  const references: SlotReference[] = [];
  for (const h of hits) {
    const range = rangeOf(ranges, h.target, names, h.symbol);
    const holderInput = inputs.at(h.section.name, h.site);
    const holderSymbol = holderName(holderInput, names.at(literalOwner(inputs, h.section.name, holderInput) ?? h.site, h.section.index));
    const target = h.symbol && h.symbol.type !== SymbolType.SECTION && h.symbol.name && h.symbol.value === h.target
      ? h.symbol.name
      : names.at(h.target, range.section.index) ?? inputs.at(range.section.name, h.target)?.name ?? hex(h.target);
    if (isLoaderTable(holderSymbol, target)) continue;
    const holderFile = shortFile(holderInput?.file);
    references.push({
      lib: range.lib, holder: classify(elf, h.section, holderInput, holderSymbol, target, h.site),
      holderSymbol, holderFile, holderSection: holderInput?.name ?? h.section.name, outputSection: h.section.name,
      target, targetSection: range.section.name, via: h.via,
    });
  }
  return { references: dedupe(references), unaudited };
}

function slotRanges(elf: ElfFile, libs: string[]): SlotRange[] {
  const out: SlotRange[] = [];
  for (const lib of libs) {
    for (const kind of ['text', 'data', 'bss'] as const) {
      const s = elf.section(mmSectionName(lib, kind));
      if (s && s.size > 0) out.push({ lib, section: s, start: s.addr, end: s.addr + s.size });
    }
  }
  return out;
}

/** Allocated sections with contents that stay in the firmware (not a slot). */
function residentSections(elf: ElfFile): Section[] {
  return elf.sections.filter((s) => (s.flags & SHF_ALLOC) && s.type !== SectionType.NOBITS && s.type !== SectionType.NULL && s.size > 0 && !s.name.startsWith('.mm.'));
}

/** Target section index → its RELA section, for the sections the link kept relocations of. */
function relocatedSections(elf: ElfFile): Map<number, Section> {
  const out = new Map<number, Section>();
  for (const s of elf.sections) if (s.type === SectionType.RELA && s.info > 0 && !(s.flags & SHF_ALLOC)) out.set(s.info, s);
  return out;
}

/** Site (r_offset: an address in an executable) and target (S + A) of every relocation. */
function* relocationTargets(elf: ElfFile, rela: Section): Generator<{ site: number; target: number; symbol: Symbol }> {
  const symtab = elf.sections[rela.link];
  const symbols = elf.symbolsOf(symtab);
  const byIndex = new Map<number, Symbol>();
  for (const s of symbols) byIndex.set(s.index, s);
  const data = elf.sectionData(rela);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = elf.littleEndian;
  const size = elf.is64 ? 24 : 12;
  for (let o = 0; o + size <= data.length; o += size) {
    const site = elf.is64 ? Number(view.getBigUint64(o, le)) : view.getUint32(o, le);
    const info = elf.is64 ? Number(view.getBigUint64(o + 8, le) >> 32n) : view.getUint32(o + 4, le) >>> 8;
    const addend = elf.is64 ? Number(view.getBigInt64(o + 16, le)) : view.getInt32(o + 8, le);
    const symbol = byIndex.get(info);
    if (!symbol) continue;
    yield { site, target: (symbol.value + addend) >>> 0, symbol };
  }
}

/** Aligned 32-bit words of a section whose value lies in [lo, hi). */
function* slotWords(elf: ElfFile, s: Section, lo: number, hi: number): Generator<{ site: number; target: number }> {
  const data = elf.sectionData(s);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = elf.littleEndian;
  for (let o = (4 - (s.addr % 4)) % 4; o + 4 <= data.length; o += 4) {
    const v = view.getUint32(o, le);
    if (v >= lo && v < hi) yield { site: s.addr + o, target: v };
  }
}

/** Address ranges of a code section's instruction streams: its map records, literal pools left out. */
function codeInputs(map: MapFile, s: Section): { start: number; end: number }[] {
  const out = map.sections.find((o) => o.name === s.name);
  const inputs = out?.inputs.filter((i) => i.kind === 'input' && i.size > 0 && !/(^\.literal|\.literal$)/.test(i.name)) ?? [];
  return inputs.length ? inputs.map((i) => ({ start: i.address, end: i.address + i.size })) : [{ start: s.addr, end: s.addr + s.size }];
}

/**
 * Targets of CALL0/4/8/12 and J in Xtensa code, decoded by a linear sweep from the start of
 * each input section (functions start there): narrow (density) instructions are 2 bytes
 * (op0 8–13), the others 3. CALLn: ((pc & ~3) + 4 + offset·4); J: pc + 4 + offset.
 */
function* xtensaCalls(elf: ElfFile, s: Section, streams: { start: number; end: number }[]): Generator<{ site: number; target: number }> {
  const data = elf.sectionData(s);
  for (const { start, end } of streams) {
    let o = start - s.addr;
    const stop = Math.min(end - s.addr, data.length);
    while (o >= 0 && o + 3 <= stop) {
      const b0 = data[o];
      const op0 = b0 & 0x0f;
      if (op0 >= 8 && op0 <= 13) { o += 2; continue; }
      if (op0 === 5 || (op0 === 6 && (b0 & 0x30) === 0)) {
        const insn = b0 | (data[o + 1] << 8) | (data[o + 2] << 16);
        const offset = (insn << 8) >> 14; // bits 6..23, sign-extended
        const pc = s.addr + o;
        yield { site: pc, target: (op0 === 5 ? (pc & ~3) + 4 + offset * 4 : pc + 4 + offset) >>> 0 };
      }
      o += 3;
    }
  }
}

/** The library range of a target; in an overlay the one whose symbols name it. */
function rangeOf(ranges: SlotRange[], target: number, names: SymbolIndex, symbol?: Symbol): SlotRange {
  const candidates = ranges.filter((r) => target >= r.start && target < r.end);
  if (symbol && symbol.shndx) {
    const own = candidates.find((r) => r.section.index === symbol.shndx);
    if (own) return own;
  }
  return candidates.find((r) => names.at(target, r.section.index) !== undefined) ?? candidates[0];
}

/**
 * MM_SLOT / MM_LIBRARY tables (and the C++ initialiser of a table) hold the slot's bounds:
 * the loader's own records, not a use of the library.
 */
function isLoaderTable(holder: string, target: string): boolean {
  return /(^|_)mm_(slot|library)_/.test(holder) && target.startsWith('_mm_');
}

const BOOT_OBJECT = /^(startup|cpu_start|crt0|crt1|start)(\.(c|cpp|S|s))?\.(o|obj)$/;
const BOOT_FUNCTION = new Set(['call_start_cpu0', 'call_start_cpu1', 'start_cpu0', 'start_cpu_other_cores', 'do_core_init', 'do_global_ctors', 'do_secondary_init', 'do_system_init_fn', 'esp_startup_start_app', 'esp_startup_start_app_common', '_start']);

function classify(elf: ElfFile, s: Section, input: MapInput | undefined, holder: string, target: string, site: number): HolderClass {
  const inputName = input?.name ?? s.name;
  if (/^\.(init_array|ctors|preinit_array|esp_system_init_fn)(\.|$)/.test(inputName)) return 'init-table';
  if (/^\.(fini_array|dtors)(\.|$)/.test(inputName)) return 'fini-table';
  if (/vectors/i.test(s.name) || /Vector/.test(inputName)) return 'vectors';
  const member = input?.file ? baseName(splitArchiveMember(input.file).member ?? input.file) : '';
  if (BOOT_OBJECT.test(member) || BOOT_FUNCTION.has(holder) || site === elf.header.entry) return 'boot';
  if (/^\.(iram|rtc)/.test(s.name) || /^\.iram1(\.|$)/.test(inputName)) return 'iram';
  if (s.flags & SHF_EXECINSTR) return holder === `mm_${target}` ? 'wrapper' : 'call';
  return 'data-table';
}

/**
 * The function a literal or code word belongs to: `.literal.do_core_init` → do_core_init; a
 * table entry (`.ctors`, `.dtors`) is named by its table.
 */
function holderName(input: MapInput | undefined, symbol: string | undefined): string {
  if (input && TABLE.test(input.name)) return input.name;
  const fromSection = input && /^\.(literal|text|iram1|rtc\.text|rodata|data)\.((startup|exit)\.)?(.+)$/.exec(input.name)?.[4];
  if (input && /^\.literal\./.test(input.name) && fromSection) return fromSection;
  return symbol ?? fromSection ?? input?.name ?? '?';
}

const TABLE = /^\.(init_array|ctors|preinit_array|esp_system_init_fn|fini_array|dtors)(\.|$)/;

/** The literal pool `.iram1.0.literal` belongs to the code of `.iram1.0` (same file): its address. */
function literalOwner(inputs: MapInputs, section: string, input: MapInput | undefined): number | undefined {
  if (!input || !input.name.endsWith('.literal')) return undefined;
  return inputs.named(section, input.name.slice(0, -'.literal'.length), input.file)?.address;
}

/** `…/esp-idf/esp_system/libesp_system.a(startup.c.obj)` → `libesp_system.a(startup.c.obj)`. */
export function shortFile(file: string | undefined): string {
  if (!file) return '(linker script)';
  const { path, member } = splitArchiveMember(file);
  return member !== undefined ? `${baseName(path)}(${member})` : baseName(file);
}

function dedupe(refs: SlotReference[]): SlotReference[] {
  const seen = new Map<string, SlotReference>();
  for (const r of refs) {
    const key = [r.lib, r.holder, r.holderSymbol, r.holderFile, r.target].join('\0');
    const had = seen.get(key);
    if (!had || (had.via === 'word' && r.via === 'relocation')) seen.set(key, r);
  }
  return [...seen.values()];
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

/** Symbols by section, sorted by address, for naming the holder and the target of a hit. */
class SymbolIndex {
  private bySection = new Map<number, Symbol[]>();
  constructor(elf: ElfFile) {
    for (const s of elf.symbols()) {
      if (!s.name || s.type === SymbolType.SECTION || s.type === SymbolType.FILE || s.name.startsWith('$') || s.name.startsWith('.L')) continue;
      let list = this.bySection.get(s.shndx);
      if (!list) this.bySection.set(s.shndx, (list = []));
      list.push(s);
    }
    for (const list of this.bySection.values()) list.sort((a, b) => a.value - b.value || rank(a) - rank(b));
  }

  /** The symbol of section `shndx` that contains `address`, else the last one before it. */
  at(address: number, shndx: number): string | undefined {
    const list = this.bySection.get(shndx);
    if (!list) return undefined;
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].value <= address) lo = mid + 1;
      else hi = mid;
    }
    // Among the symbols at or before the address, prefer one whose extent covers it.
    for (let i = lo - 1; i >= 0 && i >= lo - 8; i--) {
      const s = list[i];
      if (s.value <= address && address < s.value + Math.max(s.size, 1) && s.type !== SymbolType.NOTYPE) return s.name;
    }
    return lo > 0 && !list[lo - 1].name.startsWith('_mm_') ? list[lo - 1].name : undefined;
  }
}

/** Functions and objects before other symbols at the same address. */
function rank(s: Symbol): number {
  return s.type === SymbolType.FUNC || s.type === SymbolType.OBJECT ? 0 : 1;
}

/** The map's input records of each output section, found by address. */
class MapInputs {
  private bySection = new Map<string, MapInput[]>();
  constructor(private readonly map: MapFile) {}

  at(section: string, address: number): MapInput | undefined {
    const list = this.inputsOf(section);
    if (!list) return undefined;
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].address <= address) lo = mid + 1;
      else hi = mid;
    }
    const i = list[lo - 1];
    return i && address < i.address + i.size ? i : undefined;
  }

  named(section: string, name: string, file: string | undefined): MapInput | undefined {
    return this.inputsOf(section)?.find((i) => i.name === name && i.file === file);
  }

  /** Sorted on first use: a hit names a handful of the map's output sections. */
  private inputsOf(section: string): MapInput[] | undefined {
    let list = this.bySection.get(section);
    if (list) return list;
    const out = this.map.sections.find((s) => s.name === section);
    if (!out) return undefined;
    list = out.inputs.filter((i) => i.kind === 'input' && i.size > 0).sort((a, b) => a.address - b.address);
    this.bySection.set(section, list);
    return list;
  }
}

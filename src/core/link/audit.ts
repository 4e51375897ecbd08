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
import { MM_SECTION_PREFIX } from '../conventions';
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

interface SlotRange {
  lib: string;
  section: Section;
  start: number;
  end: number;
}

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
        for (const c of xtensaCalls(elf, s, codeInputs(map, s), lo, hi)) if (inSlot(c.target)) hits.push({ ...c, section: s, via: 'word' });
      }
    }
  }
  if (!hits.length) return { references: [], unaudited };
  const inputs = new MapInputs(map);
  const holderAt = hits.map((h) => literalOwner(inputs, h.section.name, inputs.at(h.section.name, h.site)) ?? h.site);
  const names = new SymbolNames(elf, [
    ...hits.map((h, i) => ({ address: holderAt[i], shndx: h.section.index })),
    ...hits.flatMap((h) =>
      ranges.filter((r) => h.target >= r.start && h.target < r.end).map((r) => ({ address: h.target, shndx: r.section.index })),
    ),
  ]);
  let bounds: Set<number> | undefined;
  const boundsOf = () => (bounds ??= new Set(elf.symbolsStartingWith('_mm_').map((b) => b.value)));
  const references: SlotReference[] = [];
  hits.forEach((h, i) => {
    const range = rangeOf(ranges, h.target, names, h.symbol);
    const holderInput = inputs.at(h.section.name, h.site);
    const holderSymbol = holderName(holderInput, names.at(holderAt[i], h.section.index));
    const target =
      h.symbol && h.symbol.type !== SymbolType.SECTION && h.symbol.name && h.symbol.value === h.target
        ? h.symbol.name
        : (names.at(h.target, range.section.index) ?? inputs.at(range.section.name, h.target)?.name ?? hex(h.target));
    if (isLoaderTable(holderSymbol) && boundsOf().has(h.target)) return;
    references.push({
      lib: range.lib,
      holder: classify(elf, h.section, holderInput, holderSymbol, target, h.site),
      holderSymbol,
      holderFile: shortFile(holderInput?.file),
      holderSection: holderInput?.name ?? h.section.name,
      outputSection: h.section.name,
      target,
      targetSection: range.section.name,
      via: h.via,
    });
  });
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
  return elf.sections.filter(
    (s) =>
      s.flags & SHF_ALLOC &&
      s.type !== SectionType.NOBITS &&
      s.type !== SectionType.NULL &&
      s.size > 0 &&
      !s.name.startsWith(MM_SECTION_PREFIX),
  );
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
function slotWords(elf: ElfFile, s: Section, lo: number, hi: number): { site: number; target: number }[] {
  const data = elf.sectionData(s);
  const out: { site: number; target: number }[] = [];
  const first = (4 - (s.addr % 4)) % 4;
  // The hot loop over megabytes of flash: a typed-array view when the bytes allow one.
  if (elf.littleEndian && (data.byteOffset + first) % 4 === 0) {
    const words = new Uint32Array(data.buffer, data.byteOffset + first, (data.length - first) >> 2);
    for (let i = 0; i < words.length; i++) {
      const v = words[i];
      if (v >= lo && v < hi) out.push({ site: s.addr + first + i * 4, target: v });
    }
    return out;
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let o = first; o + 4 <= data.length; o += 4) {
    const v = view.getUint32(o, elf.littleEndian);
    if (v >= lo && v < hi) out.push({ site: s.addr + o, target: v });
  }
  return out;
}

/** Address ranges of a code section's instruction streams: its map records, literal pools left out. */
function codeInputs(map: MapFile, s: Section): MapInput[] | undefined {
  const out = map.sections.find((o) => o.name === s.name);
  const inputs = out?.inputs.filter(
    (i) => i.kind === 'input' && i.size > 0 && !i.name.startsWith('.literal') && !i.name.endsWith('.literal'),
  );
  return inputs?.length ? inputs : undefined;
}

/**
 * CALL0/4/8/12 and J instructions of Xtensa code whose target lies in [lo, hi), decoded by a
 * linear sweep from the start of each input section (functions start there): narrow
 * (density) instructions are 2 bytes (op0 8–13), the others 3. CALLn jumps to
 * (pc & ~3) + 4 + offset·4, J to pc + 4 + offset.
 */
function xtensaCalls(
  elf: ElfFile,
  s: Section,
  streams: MapInput[] | undefined,
  lo: number,
  hi: number,
): { site: number; target: number }[] {
  const data = elf.sectionData(s);
  const out: { site: number; target: number }[] = [];
  const sweep = (start: number, end: number) => {
    let o = start - s.addr;
    const stop = Math.min(end - s.addr, data.length);
    while (o >= 0 && o + 3 <= stop) {
      const b0 = data[o];
      const op0 = b0 & 0x0f;
      if (op0 >= 8 && op0 <= 13) {
        o += 2;
        continue;
      }
      if (op0 === 5 || (op0 === 6 && (b0 & 0x30) === 0)) {
        const offset = ((b0 | (data[o + 1] << 8) | (data[o + 2] << 16)) << 8) >> 14; // bits 6..23, sign-extended
        const pc = s.addr + o;
        const target = (op0 === 5 ? (pc & ~3) + 4 + offset * 4 : pc + 4 + offset) >>> 0;
        if (target >= lo && target < hi) out.push({ site: pc, target });
      }
      o += 3;
    }
  };
  if (streams) for (const i of streams) sweep(i.address, i.address + i.size);
  else sweep(s.addr, s.addr + s.size);
  return out;
}

/** The library range of a target; in an overlay the one whose symbols name it. */
function rangeOf(ranges: SlotRange[], target: number, names: SymbolNames, symbol?: Symbol): SlotRange {
  const candidates = ranges.filter((r) => target >= r.start && target < r.end);
  if (symbol && symbol.shndx) {
    const own = candidates.find((r) => r.section.index === symbol.shndx);
    if (own) return own;
  }
  return candidates.find((r) => names.at(target, r.section.index) !== undefined) ?? candidates[0];
}

/**
 * MM_SLOT / MM_LIBRARY tables (and the C++ initialiser of a table) hold the slot's bounds
 * (`_mm_*` values): the loader's own records, not a use of the library.
 */
function isLoaderTable(holder: string): boolean {
  return /(^|_)mm_(slot|library)_/.test(holder);
}

const BOOT_OBJECT = /^(startup|cpu_start|crt0|crt1|start)(\.(c|cpp|S|s))?\.(o|obj)$/;
const BOOT_FUNCTION = new Set([
  'call_start_cpu0',
  'call_start_cpu1',
  'start_cpu0',
  'start_cpu_other_cores',
  'do_core_init',
  'do_global_ctors',
  'do_secondary_init',
  'do_system_init_fn',
  'esp_startup_start_app',
  'esp_startup_start_app_common',
  '_start',
]);

function classify(elf: ElfFile, s: Section, input: MapInput | undefined, holder: string, target: string, site: number): HolderClass {
  const inputName = input?.name ?? s.name;
  if (/^\.(init_array|ctors|preinit_array|esp_system_init_fn)(\.|$)/.test(inputName)) return 'init-table';
  if (/^\.(fini_array|dtors)(\.|$)/.test(inputName)) return 'fini-table';
  if (/vectors/i.test(s.name) || /Vector/.test(inputName)) return 'vectors';
  const member = input?.file ? baseName(splitArchiveMember(input.file).member ?? input.file) : '';
  if (BOOT_OBJECT.test(member) || BOOT_FUNCTION.has(holder) || site === elf.header.entry) return 'boot';
  if (/^\.(iram|rtc)/.test(s.name) || /^\.iram1(\.|$)/.test(inputName)) return 'iram';
  // MM_LAZY(lib, …, fn, …) defines mm_lazy_<fn> (mm_<fn> in earlier device libraries).
  if (s.flags & SHF_EXECINSTR) return holder === `mm_lazy_${target}` || holder === `mm_${target}` ? 'wrapper' : 'call';
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

/**
 * Names for a few addresses (the holders and targets of the hits), found in one pass over the
 * raw symbol table: decoding all 100k+ names of a big firmware would cost more than the audit.
 * For each (address, section): the function or object that contains it, else the last named
 * symbol before it in that section.
 */
class SymbolNames {
  private found = new Map<string, string>();

  constructor(elf: ElfFile, queries: { address: number; shndx: number }[]) {
    const symtab = elf.sections.find((x) => x.type === SectionType.SYMTAB);
    if (!symtab || !queries.length) return;
    if (elf.is64) {
      this.fromSymbols(elf.symbols(), queries);
      return;
    }
    const strtab = elf.sectionData(elf.sections[symtab.link]);
    const table = elf.sectionData(symtab);
    const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
    const le = elf.littleEndian;
    const byShndx = groupByShndx(queries);
    const best = new Map<Query, { entry: number; value: number; covers: boolean }>();
    for (let o = 16; o + 16 <= table.length; o += 16) {
      const wanted = byShndx.get(view.getUint16(o + 14, le));
      if (!wanted) continue;
      const type = table[o + 12] & 0xf;
      if (type === SymbolType.SECTION || type === SymbolType.FILE) continue;
      const nameAt = view.getUint32(o, le);
      if (!usableName(strtab, nameAt)) continue;
      const value = view.getUint32(o + 4, le);
      const extent = type === SymbolType.FUNC || type === SymbolType.OBJECT ? value + Math.max(view.getUint32(o + 8, le), 1) : value;
      for (const q of wanted) {
        if (value > q.address) continue;
        const inside = q.address < extent;
        const had = best.get(q);
        if (!had || (inside && !had.covers) || (inside === had.covers && value > had.value))
          best.set(q, { entry: o, value, covers: inside });
      }
    }
    for (const [q, b] of best) this.found.set(key(q.address, q.shndx), cString(strtab, view.getUint32(b.entry, le)));
  }

  at(address: number, shndx: number): string | undefined {
    return this.found.get(key(address, shndx));
  }

  private fromSymbols(symbols: Symbol[], queries: Query[]): void {
    for (const q of queries) {
      const before = symbols.filter(
        (s) =>
          s.shndx === q.shndx &&
          s.name &&
          s.value <= q.address &&
          s.type !== SymbolType.SECTION &&
          s.type !== SymbolType.FILE &&
          !/^(\$|\.L|_mm_)/.test(s.name),
      );
      const inside = before.filter(
        (s) => (s.type === SymbolType.FUNC || s.type === SymbolType.OBJECT) && q.address < s.value + Math.max(s.size, 1),
      );
      const pick = (inside.length ? inside : before).reduce<Symbol | undefined>((a, s) => (!a || s.value > a.value ? s : a), undefined);
      if (pick) this.found.set(key(q.address, q.shndx), pick.name);
    }
  }
}

interface Query {
  address: number;
  shndx: number;
}

function groupByShndx(queries: Query[]): Map<number, Query[]> {
  const out = new Map<number, Query[]>();
  for (const q of queries) out.set(q.shndx, [...(out.get(q.shndx) ?? []), q]);
  return out;
}

const key = (address: number, shndx: number) => `${shndx}:${address}`;

/** Not empty, not a mapping/local label (`$x`, `.L…`), not one of our bound symbols (`_mm_…`). */
function usableName(strtab: Uint8Array, at: number): boolean {
  const c = strtab[at];
  if (at === 0 || c === undefined || c === 0 || c === 0x24 || c === 0x2e) return false;
  return !(c === 0x5f && strtab[at + 1] === 0x6d && strtab[at + 2] === 0x6d && strtab[at + 3] === 0x5f);
}

function cString(strtab: Uint8Array, at: number): string {
  let end = at;
  while (end < strtab.length && strtab[end] !== 0) end++;
  return new TextDecoder().decode(strtab.subarray(at, end));
}

/** The map's input records of each output section, found by address. */
class MapInputs {
  private bySection = new Map<string, MapInput[]>();
  constructor(private readonly map: MapFile) {}

  at(section: string, address: number): MapInput | undefined {
    const list = this.inputsOf(section);
    if (!list) return undefined;
    let lo = 0,
      hi = list.length;
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

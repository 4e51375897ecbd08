// Views of a build for `esp32mm map`, in the terms of esp-idf-size (`idf.py size-components`,
// `size-files`, `size --diff`), derived from the memory-map model (model.ts):
//  - archivesView: per archive the parts (`.text`, `.vectors`, `.data`, `.bss`, `.rodata`, …)
//    per memory type, from the model's `bySection`;
//  - filesView: the same per object file (`libfoo.a(bar.o)`, `main.o`), from a second pass
//    over the map's records (the model attributes per archive only, which keeps its default
//    path fast);
//  - archiveSymbolsView: the functions and variables of one archive, from the map's input
//    sections or the ELF's symbol table;
//  - diffView: two builds side by side, regions and archives, sorted by absolute change.
// Each view is plain JSON (docs/memmap-json.md); viewCsv gives its rows as CSV (RFC 4180).
import { libraryArchive } from '../conventions';
import type { ElfFile } from '../elf/reader';
import { SymbolBinding, SymbolType } from '../elf/types';
import { baseName, parseMapFile, splitArchiveMember, type MapInput, type MapOutputSection, type MapRecordSink } from '../mapfile/parse';
import { MERGEABLE, ownedEnd } from '../mapfile/records';
import { libraryOfFile } from './libraries';
import type { LibraryEntry, MemoryMapModel, SectionEntry } from './model';
import { Esp32mmError } from '../errors';

// ---- parts: esp-idf-size's abbreviation of output-section names -----------------------

/**
 * The part an output section counts as, as esp-idf-size's `abbrev_name`: the last
 * dot-separated component of its name (`.iram0.text` → `.text`, `.iram0.vectors` →
 * `.vectors`, `.dram0.bss` → `.bss`, `.flash.rodata` → `.rodata`, `.flash.appdesc` →
 * `.appdesc`, `.rtc.data` → `.data`); a name with no inner dot stays whole (`.rtc_noinit`).
 */
export function partName(outputSection: string): string {
  const i = outputSection.lastIndexOf('.');
  return i > 0 ? outputSection.slice(i) : outputSection;
}

/** Bytes in one memory type (one of the model's regions), split into parts. */
export interface MemoryTypeBytes {
  total: number;
  parts: Record<string, number>;
}

/** A memory type and its parts, in the order the views' tables show them. */
export interface MemoryTypeColumn {
  memoryType: string;
  parts: string[];
}

/** Where each output section of the model lies (its region) and its part. */
class Parts {
  private readonly regionOf = new Map<string, string>();

  constructor(private readonly model: MemoryMapModel) {
    for (const s of model.sections) if (!this.regionOf.has(s.name)) this.regionOf.set(s.name, s.region);
  }

  /** `bySection` (bytes per output section) as bytes per memory type and part. */
  breakdown(bySection: Record<string, number>): Record<string, MemoryTypeBytes> {
    const out: Record<string, MemoryTypeBytes> = {};
    for (const [section, bytes] of Object.entries(bySection)) {
      if (bytes === 0) continue;
      const region = this.regionOf.get(section) ?? 'Other';
      const m = (out[region] ??= { total: 0, parts: {} });
      const part = partName(section);
      m.total += bytes;
      m.parts[part] = (m.parts[part] ?? 0) + bytes;
    }
    return out;
  }

  /** Linker fill per memory type and part (placeholder sections apart, see `placeholders`). */
  fill(): { total: number; memoryTypes: Record<string, MemoryTypeBytes> } {
    const bySection: Record<string, number> = {};
    for (const s of this.model.sections) if (!s.placeholder && s.fill) bySection[s.name] = (bySection[s.name] ?? 0) + s.fill;
    return { total: sumValues(bySection), memoryTypes: this.breakdown(bySection) };
  }

  placeholders(): PlaceholderEntry[] {
    return this.model.sections
      .filter((s) => s.placeholder && s.fill > 0)
      .map((s) => ({ section: s.name, region: s.region, bytes: s.fill }));
  }

  /** The columns that hold bytes in any row: regions in the model's order, parts in section order. */
  columns(rows: Record<string, MemoryTypeBytes>[]): MemoryTypeColumn[] {
    const order = [...this.model.regions.map((r) => r.name), 'Other'];
    const partOrder = [...new Set(this.model.sections.map((s) => partName(s.name)))];
    const used = new Map<string, Set<string>>();
    for (const row of rows) {
      for (const [region, m] of Object.entries(row)) {
        const set = used.get(region) ?? new Set<string>();
        for (const [part, bytes] of Object.entries(m.parts)) if (bytes) set.add(part);
        used.set(region, set);
      }
    }
    return [...used.keys()]
      .sort((a, b) => rank(order, a) - rank(order, b))
      .map((memoryType) => ({
        memoryType,
        parts: [...used.get(memoryType)!].sort((a, b) => rank(partOrder, a) - rank(partOrder, b)),
      }));
  }
}

const rank = (order: string[], v: string) => {
  const i = order.indexOf(v);
  return i < 0 ? order.length : i;
};

function sumValues(r: Record<string, number>): number {
  let t = 0;
  for (const v of Object.values(r)) t += v;
  return t;
}

export interface PlaceholderEntry {
  section: string;
  region: string;
  /** The bytes it only skips (counted in the model's `fill`, not in `used`). */
  bytes: number;
}

// ---- the archives view -----------------------------------------------------------------

export interface ArchiveRow {
  /** The archive's file name (`libdriver.a`), a loose object's (`main.o`), or a special name. */
  archive: string;
  name: string;
  dynamic: boolean;
  total: number;
  memoryTypes: Record<string, MemoryTypeBytes>;
}

export interface ArchivesView {
  view: 'archives';
  chip: string;
  chipName: string;
  attribution: 'map' | 'symbols';
  memoryTypes: MemoryTypeColumn[];
  archives: ArchiveRow[];
  fill: { total: number; memoryTypes: Record<string, MemoryTypeBytes> };
  placeholders: PlaceholderEntry[];
  /** Σ archives[].total + fill.total + Σ placeholders[].bytes = Σ the model's section sizes. */
  total: number;
}

const archiveOf = (l: LibraryEntry) => l.archive || l.name;

export function archivesView(model: MemoryMapModel): ArchivesView {
  const parts = new Parts(model);
  const archives = model.libraries.map((l) => ({
    archive: archiveOf(l),
    name: l.name,
    dynamic: l.dynamic,
    total: l.total,
    memoryTypes: parts.breakdown(l.bySection),
  }));
  const fill = parts.fill();
  return {
    view: 'archives',
    chip: model.chip,
    chipName: model.chipName,
    attribution: model.attribution,
    memoryTypes: parts.columns([...archives.map((a) => a.memoryTypes), fill.memoryTypes]),
    archives,
    fill,
    placeholders: parts.placeholders(),
    total: sectionsTotal(model),
  };
}

function sectionsTotal(model: MemoryMapModel): number {
  let t = 0;
  for (const s of model.sections) t += s.size;
  return t;
}

// ---- a second pass over the map's records ----------------------------------------------

/** One input-section record of the map with the bytes the model credits it with. */
export interface CreditedRecord {
  /** As written in the map (`C:\…\libc.a(lib_a-memcpy.o)`), undefined for linker-made records. */
  file: string | undefined;
  /** The input section (`.text.foo`, `COMMON`). */
  name: string;
  address: number;
  /** Bytes it owns in the output section: its size, clipped where the next record starts for merged sections. */
  bytes: number;
  /** The model's entry of its output section. */
  section: SectionEntry;
}

/** Thrown when a view needs the map's records and the model was not made from a map. */
export class ViewInputError extends Esp32mmError {
  readonly code = 'VIEW_INPUT';
}

/**
 * Walks the input-section records of the model's sections in the map, crediting each with
 * the bytes the model credits it with: the same clipping as SectionAttribution in attribution.ts
 * (a merged string/constant section owns no bytes past the next record). The model was
 * built from this map, so its checks have passed: a hole or overlap cannot occur here. The
 * tests check that the records of each archive add up to the model's `bySection` exactly.
 */
export function walkMapRecords(model: MemoryMapModel, mapText: string, visit: (r: CreditedRecord) => void): void {
  if (model.attribution !== 'map') throw new ViewInputError('this view needs the linker map file (pass --map <firmware.map>)');
  const byName = new Map<string, SectionEntry[]>();
  for (const s of model.sections) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const claimed = new Set<SectionEntry>();
  let current: RecordWalk | undefined;
  const sink: MapRecordSink = {
    section(out: MapOutputSection) {
      current?.finish();
      current = undefined;
      const entry = byName.get(out.name)?.find((s) => !claimed.has(s) && s.address === out.address && s.size === out.size);
      if (!entry) return;
      claimed.add(entry);
      current = new RecordWalk(out, entry, visit);
    },
    record(kind, name, address, size, file) {
      current?.record(kind, name, address, size, file);
    },
  };
  parseMapFile(mapText, sink);
  current?.finish();
}

class RecordWalk {
  private readonly end: number;
  private cursor: number;
  private waiting?: { kind: MapInput['kind']; name: string; address: number; size: number; file: string | undefined };

  constructor(
    out: MapOutputSection,
    private readonly entry: SectionEntry,
    private readonly visit: (r: CreditedRecord) => void,
  ) {
    this.end = out.address + out.size;
    this.cursor = out.address;
  }

  record(kind: MapInput['kind'], name: string, address: number, size: number, file: string | undefined): void {
    if (this.waiting) this.credit(Math.max(address, this.waiting.address));
    this.waiting = { kind, name, address, size, file };
  }

  finish(): void {
    if (this.waiting) this.credit(this.end);
    this.waiting = undefined;
  }

  private credit(next: number): void {
    const { kind, name, address, size, file } = this.waiting!;
    const overlaps = address < this.cursor || address + size > this.end;
    const merged = (overlaps || address + size > next) && MERGEABLE.test(name);
    const from = Math.max(address, this.cursor);
    const to = Math.min(merged ? ownedEnd(address, size, next) : address + size, this.end);
    this.cursor = Math.max(this.cursor, to);
    if (to > from && kind === 'input') this.visit({ file, name, address: from, bytes: to - from, section: this.entry });
  }
}

/** The model's library identity of a record's file (one rule, in libraries.ts). */
export { libraryOfFile };

/** `libfoo.a(bar.o)` for an archive member, the file name for a loose object. */
function objectOfFile(file: string | undefined): { object: string; archive: string; member?: string } {
  if (!file || file === 'linker stubs') return { object: libraryOfFile(file).name, archive: '' };
  const { path, member } = splitArchiveMember(file);
  const archive = baseName(path);
  return member !== undefined ? { object: `${archive}(${member})`, archive, member } : { object: archive, archive: '' };
}

// ---- the files view ----------------------------------------------------------------------

export interface ObjectRow {
  /** `libfoo.a(bar.o)` for an archive member, `main.o` for an object linked directly. */
  object: string;
  /** The archive's file name, '' for a loose object or linker-made bytes. */
  archive: string;
  member?: string;
  /** The file as the map writes it (with its path), '' for linker-made bytes. */
  path: string;
  total: number;
  memoryTypes: Record<string, MemoryTypeBytes>;
}

export interface FilesView {
  view: 'files';
  chip: string;
  chipName: string;
  memoryTypes: MemoryTypeColumn[];
  objects: ObjectRow[];
  fill: { total: number; memoryTypes: Record<string, MemoryTypeBytes> };
  placeholders: PlaceholderEntry[];
  /** Σ objects[].total + fill.total + Σ placeholders[].bytes = Σ the model's section sizes. */
  total: number;
}

/** Per object file: one pass over the map's records (`mapText` is the map the model was made from). */
export function filesView(model: MemoryMapModel, mapText: string): FilesView {
  const byFile = new Map<string, { file: string | undefined; bySection: Record<string, number> }>();
  let lastFile: string | undefined;
  let last: { file: string | undefined; bySection: Record<string, number> } | undefined;
  walkMapRecords(model, mapText, (r) => {
    if (!last || r.file !== lastFile) {
      const key = r.file ?? '';
      last = byFile.get(key);
      if (!last) byFile.set(key, (last = { file: r.file, bySection: {} }));
      lastFile = r.file;
    }
    last.bySection[r.section.name] = (last.bySection[r.section.name] ?? 0) + r.bytes;
  });
  const parts = new Parts(model);
  const objects: ObjectRow[] = [...byFile.values()]
    .map(({ file, bySection }) => {
      const o = objectOfFile(file);
      return {
        object: o.object,
        archive: o.archive,
        ...(o.member !== undefined ? { member: o.member } : {}),
        path: file && file !== 'linker stubs' ? file : '',
        total: sumValues(bySection),
        memoryTypes: parts.breakdown(bySection),
      };
    })
    .sort((a, b) => b.total - a.total || a.object.localeCompare(b.object) || a.path.localeCompare(b.path));
  const fill = parts.fill();
  return {
    view: 'files',
    chip: model.chip,
    chipName: model.chipName,
    memoryTypes: parts.columns([...objects.map((o) => o.memoryTypes), fill.memoryTypes]),
    objects,
    fill,
    placeholders: parts.placeholders(),
    total: sectionsTotal(model),
  };
}

// ---- the symbols of one archive ------------------------------------------------------------

export interface SymbolRow {
  /** The function or variable (`.text.foo` → `foo`); the input section's name when it names none. */
  name: string;
  /** The output section it lies in, and that section's region. */
  section: string;
  memoryType: string;
  address: number;
  size: number;
  /** The archive member (`bar.o`) or loose object it comes from. */
  object: string;
  /** The input section of the map that holds it. */
  inputSection: string;
  /** ELF source only: the symbol's type and binding, and other names at the same address and size. */
  type?: 'FUNC' | 'OBJECT';
  binding?: 'LOCAL' | 'GLOBAL' | 'WEAK';
  aliases?: string[];
  /** ELF source only: symbols that lie wholly inside this one (further entry points), not listed apart. */
  inner?: string[];
}

export interface ArchiveSymbolsView {
  view: 'archive';
  archive: string;
  name: string;
  /** `map`: one row per input section of the map; `elf`: the ELF's FUNC/OBJECT symbols inside them. */
  source: 'map' | 'elf';
  /** The archive's bytes in the model. */
  total: number;
  /** Σ symbols[].size: equals `total` for the map source, at most `total` for the ELF's (nested symbols are folded, see `inner`). */
  listed: number;
  symbols: SymbolRow[];
}

/**
 * Input-section prefixes that name a function or variable after them (`-ffunction-sections`,
 * `-fdata-sections`), with GCC's `.text.startup.` / `.text.unlikely.` / `.text.hot.` groups.
 */
const NAMED_INPUT = /^\.(?:literal|text|rodata|srodata|data|sdata|bss|sbss|tdata|tbss)\.(?:(?:startup|unlikely|hot|exit)\.)?(.+)$/;

/** `.text.foo` → `foo`; merged constants (`.rodata.str1.1`) and numbered sections (`.iram1.5`) name nothing. */
export function symbolOfInputSection(name: string): string | undefined {
  if (MERGEABLE.test(name)) return undefined;
  const m = NAMED_INPUT.exec(name);
  return m && !/^\d+$/.test(m[1]) ? m[1] : undefined;
}

/** The model's library for `--archive <name>`: `libfoo.a`, `foo`, or a loose object's name. */
export function findArchive(model: MemoryMapModel, wanted: string): LibraryEntry | undefined {
  const libs = model.libraries;
  return (
    libs.find((l) => l.archive === wanted) ??
    libs.find((l) => l.archive === libraryArchive(wanted)) ??
    libs.find((l) => l.name === wanted) ??
    libs.find((l) => l.archive === `${wanted}.o` || l.archive === `${wanted}.obj`)
  );
}

/**
 * The symbols of one archive. From the map (`elf` absent): one row per input-section record
 * of the archive. With the ELF: its FUNC and OBJECT symbols whose address lies in one of those
 * records (same output section); aliases (same address and size) are one row, and a symbol
 * wholly inside another is one of its `inner` names.
 */
export function archiveSymbolsView(model: MemoryMapModel, mapText: string, lib: LibraryEntry, elf?: ElfFile): ArchiveSymbolsView {
  const records: CreditedRecord[] = [];
  // Records of one object follow each other: decide once per run of one file.
  let lastFile: string | undefined = '\0';
  let mine = false;
  walkMapRecords(model, mapText, (r) => {
    if (r.file !== lastFile) {
      const id = libraryOfFile(r.file);
      mine = id.archive === lib.archive && id.name === lib.name;
      lastFile = r.file;
    }
    if (mine) records.push(r);
  });
  const memberOf = (file: string | undefined) => splitArchiveMember(file ?? '').member ?? baseName(file ?? lib.name);
  let symbols: SymbolRow[];
  if (!elf) {
    symbols = records.map((r) => ({
      name: symbolOfInputSection(r.name) ?? r.name,
      section: r.section.name,
      memoryType: r.section.region,
      address: r.address,
      size: r.bytes,
      object: memberOf(r.file),
      inputSection: r.name,
    }));
  } else {
    symbols = elfSymbolsIn(elf, records, memberOf);
  }
  symbols.sort((a, b) => b.size - a.size || a.address - b.address || a.name.localeCompare(b.name));
  let listed = 0;
  for (const s of symbols) listed += s.size;
  return { view: 'archive', archive: archiveOf(lib), name: lib.name, source: elf ? 'elf' : 'map', total: lib.total, listed, symbols };
}

const BINDING: Record<number, SymbolRow['binding']> = {
  [SymbolBinding.LOCAL]: 'LOCAL',
  [SymbolBinding.GLOBAL]: 'GLOBAL',
  [SymbolBinding.WEAK]: 'WEAK',
};
const BINDING_RANK: Record<string, number> = { GLOBAL: 0, WEAK: 1, LOCAL: 2 };

function elfSymbolsIn(elf: ElfFile, records: CreditedRecord[], memberOf: (file: string | undefined) => string): SymbolRow[] {
  const bySection = new Map<string, CreditedRecord[]>();
  for (const r of records) bySection.set(r.section.name, [...(bySection.get(r.section.name) ?? []), r]);
  for (const list of bySection.values()) list.sort((a, b) => a.address - b.address);
  const sectionName = new Map(elf.sections.map((s) => [s.index, s.name]));
  const rows = new Map<string, SymbolRow>();
  for (const sym of elf.symbols()) {
    if (sym.size === 0 || (sym.type !== SymbolType.FUNC && sym.type !== SymbolType.OBJECT)) continue;
    const name = sectionName.get(sym.shndx);
    const list = name === undefined ? undefined : bySection.get(name);
    if (!list) continue;
    const r = containing(list, sym.value);
    if (!r) continue;
    const key = `${name}\0${sym.value}\0${sym.size}`;
    const binding = BINDING[sym.binding] ?? 'GLOBAL';
    const row = rows.get(key);
    if (row) {
      // An alias: the strongest binding names the row (GLOBAL, then WEAK, then LOCAL).
      const names = [row.name, ...(row.aliases ?? []), sym.name];
      if (BINDING_RANK[binding] < BINDING_RANK[row.binding!]) {
        row.name = sym.name;
        row.binding = binding;
      }
      row.aliases = [...new Set(names.filter((n) => n !== row.name))].sort();
      continue;
    }
    rows.set(key, {
      name: sym.name,
      section: r.section.name,
      memoryType: r.section.region,
      address: sym.value,
      size: sym.size,
      object: memberOf(r.file),
      inputSection: r.name,
      type: sym.type === SymbolType.FUNC ? 'FUNC' : 'OBJECT',
      binding,
    });
  }
  return foldNested([...rows.values()]);
}

/**
 * Symbols that lie wholly inside another of the same section (extra entry points into one
 * body of code, such as RISC-V's `__riscv_save_0` … `__riscv_save_12`) become `inner` names
 * of the enclosing row, so that no byte is listed twice.
 */
function foldNested(rows: SymbolRow[]): SymbolRow[] {
  rows.sort((a, b) => a.section.localeCompare(b.section) || a.address - b.address || b.size - a.size);
  const out: SymbolRow[] = [];
  let outer: SymbolRow | undefined;
  for (const r of rows) {
    if (outer && r.section === outer.section && r.address + r.size <= outer.address + outer.size) {
      outer.inner = [...(outer.inner ?? []), r.name, ...(r.aliases ?? []), ...(r.inner ?? [])];
      continue;
    }
    out.push(r);
    outer = r;
  }
  return out;
}

/** The record whose bytes hold `address` (records sorted by address, not overlapping). */
function containing(list: CreditedRecord[], address: number): CreditedRecord | undefined {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = list[mid];
    if (address < r.address) hi = mid - 1;
    else if (address >= r.address + r.bytes) lo = mid + 1;
    else return r;
  }
  return undefined;
}

// ---- two builds side by side -------------------------------------------------------------

export interface Delta {
  current: number;
  reference: number;
  /** current − reference */
  change: number;
}

export interface DiffView {
  view: 'diff';
  current: { chip: string; chipName: string; sectionsFrom: 'elf' | 'map' };
  reference: { chip: string; chipName: string; sectionsFrom: 'elf' | 'map' };
  /** Used bytes per region (regions of either build). */
  regions: ({ name: string } & Delta)[];
  /** Every archive of either build, sorted by |change| (largest first), then name. */
  archives: ({ archive: string; name: string; memoryTypes: Record<string, Delta> } & Delta)[];
  fill: Delta;
  /** Σ section sizes = Σ archives + fill, in each build. */
  total: Delta;
  imageBytes: Delta;
}

const delta = (current: number, reference: number): Delta => ({ current, reference, change: current - reference });

/** `current` against `reference`, as `idf.py size --diff`: change = current − reference. */
export function diffView(current: MemoryMapModel, reference: MemoryMapModel): DiffView {
  const regionNames = [...new Set([...current.regions.map((r) => r.name), ...reference.regions.map((r) => r.name)])];
  const used = (m: MemoryMapModel, name: string) => m.regions.find((r) => r.name === name)?.used ?? 0;
  const key = (l: LibraryEntry) => `${archiveOf(l)}\0${l.name}`;
  const a = new Map(current.libraries.map((l) => [key(l), l]));
  const b = new Map(reference.libraries.map((l) => [key(l), l]));
  const archives = [...new Set([...a.keys(), ...b.keys()])]
    .map((k) => {
      const x = a.get(k);
      const y = b.get(k);
      const lib = (x ?? y)!;
      const memoryTypes: Record<string, Delta> = {};
      for (const r of new Set([...Object.keys(x?.byRegion ?? {}), ...Object.keys(y?.byRegion ?? {})])) {
        memoryTypes[r] = delta(x?.byRegion[r] ?? 0, y?.byRegion[r] ?? 0);
      }
      return { archive: archiveOf(lib), name: lib.name, ...delta(x?.total ?? 0, y?.total ?? 0), memoryTypes };
    })
    .sort((p, q) => Math.abs(q.change) - Math.abs(p.change) || p.archive.localeCompare(q.archive) || p.name.localeCompare(q.name));
  const side = (m: MemoryMapModel) => ({ chip: m.chip, chipName: m.chipName, sectionsFrom: m.sectionsFrom });
  return {
    view: 'diff',
    current: side(current),
    reference: side(reference),
    regions: regionNames.map((name) => ({ name, ...delta(used(current, name), used(reference, name)) })),
    archives,
    fill: delta(current.fill, reference.fill),
    total: delta(sectionsTotal(current), sectionsTotal(reference)),
    imageBytes: delta(current.imageBytes, reference.imageBytes),
  };
}

// ---- CSV -------------------------------------------------------------------------------------

export type View = ArchivesView | FilesView | ArchiveSymbolsView | DiffView;

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF; quotes doubled. */
function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows as RFC 4180 CSV: CRLF line ends, the header row first. */
export function toCsv(rows: (string | number)[][]): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Header and value columns for bytes per memory type and part (a type with one part has no part column). */
export function memoryTypeHeaders(columns: MemoryTypeColumn[]): {
  header: string[];
  values: (m: Record<string, MemoryTypeBytes>) => number[];
} {
  const header: string[] = [];
  const getters: ((m: Record<string, MemoryTypeBytes>) => number)[] = [];
  for (const c of columns) {
    header.push(c.memoryType);
    getters.push((m) => m[c.memoryType]?.total ?? 0);
    if (c.parts.length < 2) continue;
    for (const p of c.parts) {
      header.push(`${c.memoryType} ${p}`);
      getters.push((m) => m[c.memoryType]?.parts[p] ?? 0);
    }
  }
  return { header, values: (m) => getters.map((g) => g(m)) };
}

const hex = (n: number) => '0x' + n.toString(16).padStart(8, '0');

/** The rows of a view as CSV (docs/memmap-json.md lists the columns). */
export function viewCsv(view: View): string {
  switch (view.view) {
    case 'archives': {
      const mt = memoryTypeHeaders(view.memoryTypes);
      return toCsv([
        ['Archive', 'Name', 'Dynamic', 'Total', ...mt.header],
        ...view.archives.map((a) => [a.archive, a.name, a.dynamic ? 'yes' : 'no', a.total, ...mt.values(a.memoryTypes)]),
        ['*fill*', '', '', view.fill.total, ...mt.values(view.fill.memoryTypes)],
      ]);
    }
    case 'files': {
      const mt = memoryTypeHeaders(view.memoryTypes);
      return toCsv([
        ['Object', 'Archive', 'Member', 'Path', 'Total', ...mt.header],
        ...view.objects.map((o) => [o.object, o.archive, o.member ?? '', o.path, o.total, ...mt.values(o.memoryTypes)]),
        ['*fill*', '', '', '', view.fill.total, ...mt.values(view.fill.memoryTypes)],
      ]);
    }
    case 'archive':
      return toCsv([
        ['Name', 'Section', 'Memory type', 'Address', 'Size', 'Object', 'Input section', 'Type', 'Binding', 'Aliases', 'Inner'],
        ...view.symbols.map((s) => [
          s.name,
          s.section,
          s.memoryType,
          hex(s.address),
          s.size,
          s.object,
          s.inputSection,
          s.type ?? '',
          s.binding ?? '',
          (s.aliases ?? []).join(' '),
          (s.inner ?? []).join(' '),
        ]),
      ]);
    case 'diff':
      return toCsv([
        ['Kind', 'Name', 'Archive', 'Current', 'Reference', 'Change'],
        ...view.regions.map((r) => ['region', r.name, '', r.current, r.reference, r.change]),
        ...view.archives.map((a) => ['archive', a.name, a.archive, a.current, a.reference, a.change]),
        ['fill', '*fill*', '', view.fill.current, view.fill.reference, view.fill.change],
        ['total', 'total', '', view.total.current, view.total.reference, view.total.change],
        ['image', 'imageBytes', '', view.imageBytes.current, view.imageBytes.reference, view.imageBytes.change],
      ]);
  }
}

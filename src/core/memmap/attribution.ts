// Which library each byte of each section belongs to. The evidence, best first, chosen in
// one place (`Attribution.evidence`):
//  1. 'map': the linker map's records (input sections, `*fill*`, data statements), which
//     tile every output section; read while the map is parsed when nothing else needs the
//     parsed records, else from the parsed map. Exact, and checked: a hole or overlap is a
//     damaged map and an error.
//  2. 'symbols' (no map): the ELF's FUNC/OBJECT symbols and the FILE symbols before them;
//     a `.mm.<lib>.*` section and a placeholder section are known by the section itself,
//     bytes no symbol covers are '(no symbol)'. Coarser, and said in a note.
import { libraryArchive, MM_SECTION } from '../conventions';
import { SymbolBinding, SymbolType, type Section } from '../elf/types';
import { MapFileError, parseMapFile, type MapFile, type MapInput, type MapOutputSection, type MapRecordSink } from '../mapfile/parse';
import { MERGEABLE, ownedEnd } from '../mapfile/records';
import type { ModelContext } from './context';
import type { LibraryEntry, SectionEntry, SectionKind } from './types';
import type { LibraryTotals } from './libraries';

export type Evidence = 'map' | 'symbols';

/** The kind of an input section inside an output section of kind `outer`. */
function inputKind(name: string, outer: SectionKind): SectionKind {
  if (outer === 'bss' || outer === 'text') return outer;
  // Plain string tests first: this runs for each of 270k records of a large map.
  if (name === 'COMMON' || (name.includes('bss') && /\.s?bss(\.|$)/.test(name))) return 'bss';
  if (name.startsWith('.rodata') || name.startsWith('.srodata')) return 'rodata';
  return outer;
}

/** Credits the bytes of the sections to the libraries, from the best evidence the build has. */
export class Attribution {
  readonly fillDetail = { padding: 0, linkerData: 0, placeholder: 0 };
  private streamed?: StreamingAttribution;

  constructor(
    private readonly ctx: ModelContext,
    readonly libs: LibraryTotals,
  ) {}

  /** The evidence the bytes are attributed by: the map's records when there is a map, else the ELF's symbols. */
  get evidence(): Evidence {
    return this.ctx.map ? 'map' : 'symbols';
  }

  /**
   * Parses the map and takes its records as they are read (no per-record objects). `entries`
   * makes the section entries once the map's memory configuration is known.
   */
  parseStreaming(mapText: string, elfSections: Section[], entries: () => SectionEntry[]): void {
    this.streamed = new StreamingAttribution(this, elfSections, (map) => {
      this.ctx.map = map;
      return entries();
    });
    this.ctx.map = parseMapFile(mapText, this.streamed, { skipDiscarded: true });
  }

  /** Attributes every section (after parseStreaming: reports what the records showed). */
  run(elfSections: Section[], entries: SectionEntry[]): void {
    if (this.streamed) this.streamed.finish();
    else if (this.evidence === 'map') this.fromMap(elfSections, entries);
    else this.fromSymbols(elfSections, entries);
  }

  get map(): MapFile {
    return this.ctx.map!;
  }

  private fromMap(elfSections: Section[], entries: SectionEntry[]): void {
    const byName = sectionsByName(this.map);
    elfSections.forEach((s, i) => {
      const out = mapSectionOf(s, byName.get(s.name));
      const a = new SectionAttribution(this, out, entries[i]);
      for (const item of out.inputs) a.record(item.kind, item.name, item.address, item.size, item.file, item.line);
      a.finish();
    });
  }

  private fromSymbols(elfSections: Section[], entries: SectionEntry[]): void {
    this.ctx.notes.push(
      'No map file: bytes are attributed by symbols and the source-file names in the symbol table; archives and linker padding are unknown (coarser). Pass --map <firmware.map> for exact attribution.',
    );
    const bySection = new Map<number, { start: number; end: number; file: string }[]>();
    let file = '';
    for (const sym of this.ctx.elf!.symbols()) {
      if (sym.type === SymbolType.FILE) {
        file = sym.name;
        continue;
      }
      if (sym.size === 0 || (sym.type !== SymbolType.FUNC && sym.type !== SymbolType.OBJECT)) continue;
      const owner = sym.binding === SymbolBinding.LOCAL ? file : '';
      const list = bySection.get(sym.shndx) ?? [];
      list.push({ start: sym.value, end: sym.value + sym.size, file: owner });
      bySection.set(sym.shndx, list);
    }
    elfSections.forEach((s, i) => {
      const entry = entries[i];
      const mm = MM_SECTION.exec(s.name);
      if (mm) {
        this.libs.add(mm[1], libraryArchive(mm[1]), entry, entry.kind, s.size);
        return;
      }
      if (entry.placeholder) {
        this.fillDetail.placeholder += s.size;
        entry.fill += s.size;
        return;
      }
      const spans = (bySection.get(s.index) ?? []).sort((a, b) => a.start - b.start);
      let cursor = s.addr;
      let covered = 0;
      const end = s.addr + s.size;
      for (const span of spans) {
        const from = Math.max(span.start, cursor);
        const to = Math.min(span.end, end);
        if (to <= from) continue;
        cursor = to;
        covered += to - from;
        this.libs.add(span.file ? span.file : '(global symbols)', span.file, entry, entry.kind, to - from);
      }
      this.libs.add('(no symbol)', '', entry, entry.kind, s.size - covered);
    });
  }

  /** The library that owns a `.mm.<lib>.*` output section. */
  ownLibraryOf(out: MapOutputSection): LibraryEntry | undefined {
    const mm = MM_SECTION.exec(out.name);
    return mm ? this.libs.entry(mm[1], libraryArchive(mm[1])) : undefined;
  }

  /** Linker padding or a data statement: bytes of no library. */
  creditFill(kind: 'fill' | 'data', bytes: number, entry: SectionEntry): void {
    if (kind === 'data') this.fillDetail.linkerData += bytes;
    else if (entry.placeholder) this.fillDetail.placeholder += bytes;
    else this.fillDetail.padding += bytes;
    entry.fill += bytes;
  }
}

function sectionsByName(map: MapFile): Map<string, MapOutputSection[]> {
  const byName = new Map<string, MapOutputSection[]>();
  for (const s of map.sections) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  return byName;
}

/** The map's output section for an ELF section: same name and address, or a clear error. */
function mapSectionOf(s: Section, candidates: MapOutputSection[] | undefined): MapOutputSection {
  if (!candidates) {
    throw new MapFileError(
      0,
      `section ${s.name} (${s.size} bytes at 0x${s.addr.toString(16)}) of the ELF is not in the map file: the map belongs to another link (rebuild, or pass the right --map)`,
    );
  }
  const out = candidates.find((c) => c.address === s.addr) ?? candidates[0];
  if (out.address !== s.addr || out.size !== s.size) {
    throw new MapFileError(
      out.line,
      `${s.name} is ${out.size} bytes at 0x${out.address.toString(16)} in the map but ${s.size} bytes at 0x${s.addr.toString(16)} in the ELF: the map belongs to another link (rebuild, or pass the right --map)`,
    );
  }
  return out;
}

/**
 * Walks the records of one output section in order and credits their bytes. ld accounts for
 * every byte (padding is a *fill* record), so the records must tile the section exactly; a
 * hole, an overlap or a record outside it means the map is damaged and a table would be wrong.
 * A record is credited when the next one arrives: a merged section needs the next address.
 */
class SectionAttribution {
  private readonly end: number;
  private readonly ownLibrary: LibraryEntry | undefined;
  private cursor: number;
  private covered = 0;
  private waiting = false;
  private kind: MapInput['kind'] = 'input';
  private name = '';
  private address = 0;
  private size = 0;
  private file: string | undefined;
  private line = 0;

  constructor(
    private readonly attribution: Attribution,
    private readonly out: MapOutputSection,
    private readonly entry: SectionEntry,
  ) {
    this.end = out.address + out.size;
    this.cursor = out.address;
    this.ownLibrary = attribution.ownLibraryOf(out);
  }

  record(kind: MapInput['kind'], name: string, address: number, size: number, file: string | undefined, line: number): void {
    if (this.waiting) this.credit(Math.max(address, this.address));
    this.waiting = true;
    this.kind = kind;
    this.name = name;
    this.address = address;
    this.size = size;
    this.file = file;
    this.line = line;
  }

  finish(): void {
    if (this.waiting) this.credit(this.end);
    this.waiting = false;
    this.flushRun();
    const { out, end, cursor } = this;
    if (cursor < end) throw holeError(out, cursor, end, out.line);
    if (this.covered !== out.size)
      throw new MapFileError(out.line, `the records of ${out.name} cover ${this.covered} of its ${out.size} bytes: corrupted map file`);
  }

  /** The waiting record; `next`: where the next record starts (the section end for the last). */
  private credit(next: number): void {
    const { out, end, name, address, size } = this;
    if (address < out.address || address > end) {
      throw new MapFileError(
        this.line,
        `${name} at 0x${address.toString(16)} lies outside its output section ${out.name} (0x${out.address.toString(16)}–0x${end.toString(16)}): corrupted map file`,
      );
    }
    // A merged string/constant section owns no bytes beyond the next record (mapfile/records.ts).
    // Any other overlap means the numbers in the map are damaged, and a table from them would be wrong.
    const overlaps = address < this.cursor || address + size > end;
    const merged = (overlaps || address + size > next) && MERGEABLE.test(name);
    if (overlaps && !merged) {
      throw new MapFileError(
        this.line,
        `${name} (0x${address.toString(16)}, ${size} bytes) overlaps the bytes before it or runs past the end of ${out.name} at 0x${end.toString(16)}: corrupted map file`,
      );
    }
    // A hole between records means a record is missing from the file.
    if (address > this.cursor) throw holeError(out, this.cursor, address, this.line);
    const from = Math.max(address, this.cursor);
    const to = Math.min(merged ? ownedEnd(address, size, next) : address + size, end);
    const bytes = Math.max(0, to - from);
    this.cursor = Math.max(this.cursor, to);
    if (bytes === 0) return;
    this.covered += bytes;
    if (this.kind !== 'input') {
      this.attribution.creditFill(this.kind, bytes, this.entry);
      return;
    }
    const lib = this.attribution.libs.ofFile(this.file);
    const kind = inputKind(name, this.entry.kind);
    if (lib === this.runLibrary && kind === this.runKind) {
      this.runBytes += bytes;
      return;
    }
    this.flushRun();
    this.runLibrary = lib;
    this.runKind = kind;
    this.runBytes = bytes;
  }

  // Consecutive records of one library and kind are credited as one sum (same totals and
  // the same key order as record by record: nothing else touches that library in between).
  private runLibrary?: LibraryEntry;
  private runKind: SectionKind = 'text';
  private runBytes = 0;

  private flushRun(): void {
    if (this.runLibrary && this.runBytes)
      this.attribution.libs.credit(this.runLibrary, this.runKind, this.runBytes, this.entry, this.ownLibrary);
    this.runLibrary = undefined;
    this.runBytes = 0;
  }
}

/**
 * Attribution while the map is parsed: each ELF section takes the records of the first output
 * section of the map with its name and address. Errors wait for the end of the parse (a damaged
 * map reports its parse error first) and are raised in ELF section order, as fromMap does.
 */
class StreamingAttribution implements MapRecordSink {
  private current?: SectionAttribution;
  private currentIndex = -1;
  private readonly errors = new Map<number, unknown>();
  private readonly claimed = new Set<number>();
  private readonly elfByName = new Map<string, number[]>();

  constructor(
    private readonly attribution: Attribution,
    private readonly elfSections: Section[],
    private readonly entries: (map: MapFile) => SectionEntry[],
  ) {
    elfSections.forEach((s, i) => this.elfByName.set(s.name, [...(this.elfByName.get(s.name) ?? []), i]));
  }

  section(out: MapOutputSection, map: MapFile): void {
    this.close();
    const entries = this.entries(map);
    const i = (this.elfByName.get(out.name) ?? []).find((k) => !this.claimed.has(k) && this.elfSections[k].addr === out.address);
    if (i === undefined) return;
    this.claimed.add(i);
    // A size that differs is reported by mapSectionOf at the end.
    if (out.size !== this.elfSections[i].size) return;
    this.current = new SectionAttribution(this.attribution, out, entries[i]);
    this.currentIndex = i;
  }

  record(kind: MapInput['kind'], name: string, address: number, size: number, file: string | undefined, line: number): void {
    if (!this.current) return;
    try {
      this.current.record(kind, name, address, size, file, line);
    } catch (e) {
      this.fail(e);
    }
  }

  finish(): void {
    this.close();
    const byName = sectionsByName(this.attribution.map);
    this.elfSections.forEach((s, i) => {
      mapSectionOf(s, byName.get(s.name));
      if (this.errors.has(i)) throw this.errors.get(i);
    });
  }

  private close(): void {
    if (!this.current) return;
    try {
      this.current.finish();
    } catch (e) {
      this.fail(e);
    }
    this.current = undefined;
  }

  private fail(e: unknown): void {
    if (!(e instanceof MapFileError)) throw e;
    this.errors.set(this.currentIndex, e);
    this.current = undefined;
  }
}

function holeError(out: MapOutputSection, from: number, to: number, line: number): MapFileError {
  return new MapFileError(
    line,
    `${out.name}: bytes 0x${from.toString(16)}–0x${to.toString(16)} are not covered by any record of the map (a line is missing: corrupted map file)`,
  );
}

// The memory-map model: chip regions × libraries, built from the ELF (the truth about
// sections, sizes and addresses) and the linker map (which archive or object each byte came
// from). The webview and `esp32mm map --json` show this object as it is; see
// docs/memmap-json.md for the fields.
//
// Invariants the tests check on every fixture:
//  - every section's size is the ELF's (what `size -A` prints);
//  - a region's `used` is the bytes its sections cover (their sum; overlay members that share
//    addresses count once);
//  - the libraries' totals plus `fill` equal the sum of the section sizes, exactly.
import { libraryArchive, MM_SECTION } from '../conventions';
import { loadableBytes, readElf, type ElfFile } from '../elf/reader';
import { SectionType, SegmentType, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SymbolType, SymbolBinding, type Section, type Symbol } from '../elf/types';
import { LINKER_REGIONS, instructionWindow, linkerRegion, regionSize, rangeOf, type Chip, type ChipId, type ChipRegion, type RegionName } from '../chips/chips';
import { detectChip, elfChipEvidence, regionHintFromLinkerRegion, regionHintFromSectionName, regionOfSection, type ChipSource } from '../chips/detect';
import { baseName, MapFileError, parseMapFile, splitArchiveMember, type MapFile, type MapInput, type MapMemoryRegion, type MapOutputSection, type MapRecordSink } from '../mapfile/parse';
import { sdkconfigTarget, sdkconfigUsesPsram, type Sdkconfig } from '../platformio/sdkconfig';
import { findDynamicLibraries, isPlaceholderSection } from '../split/libraries';
import { sectionsFromMap } from './map-sections';
import { FLASH_PAGE } from '../link/config';
import { FLASH_CODE_REGION, FLASH_DIRECTORY_BYTES } from '../link/fragment';

/** The split marker section (same name as src/core/split/split.ts; not imported to keep this module light). */
const SPLIT_MARKER = '.esp32mm';
const OTHER = 'Other';

export type SectionKind = 'text' | 'rodata' | 'data' | 'bss';

export interface RegionEntry {
  name: string;
  start: number;
  size: number;
  /**
   * Where `start` and `size` come from: `map:<region>` (the link's own memory region, e.g.
   * `map:dram0_0_seg`; several joined by `+`), or `chip-table` (no map, or a map without it).
   */
  sizeSource: string;
  used: number;
  /** Bytes from the end of static use (last section, slot or boundary symbol) to the region's end. */
  free: number;
  /** Linker padding inside this region's sections. */
  fill: number;
  /** Bytes of the region reserved for dynamic-library slots (before a split they are part of `used` too). */
  slotReserved?: number;
  /** The firmware symbol that marks the end of static use, when one lies in the region. */
  boundary?: { symbol: string; address: number };
  /** IRAM and DRAM that are two views of one SRAM: `free` is the pool's, shared by both. */
  pool?: { name: string; size: number };
  flash: boolean;
}

export interface SectionEntry {
  name: string;
  region: string;
  address: number;
  size: number;
  kind: SectionKind;
  /** Set when the load address (LMA) differs from the address (overlay members). */
  loadAddress?: number;
  fill: number;
  /** The dynamic library this `.mm.<lib>.*` section belongs to. */
  library?: string;
  /**
   * ESP-IDF's `*dummy*` sections (`.dram0.dummy`, `.flash_rodata_dummy`): they only skip the
   * addresses another region's content occupies through an alias; not counted in `used`.
   */
  placeholder?: true;
}

export interface LibraryEntry {
  name: string;
  archive: string;
  dynamic: boolean;
  total: number;
  byRegion: Record<string, number>;
  byKind: Partial<Record<SectionKind, number>>;
  /** Bytes per output section (`.iram0.text`, `.dram0.bss`, …): esp-idf-size's parts. */
  bySection: Record<string, number>;
  /** Dynamic libraries: their slot, what was moved out, and the flash image bytes that saves. */
  slot?: string;
  moved?: { text: number; data: number; bss: number };
  flashSaved?: number;
}

export interface SlotEntry {
  name: string;
  libraries: string[];
  region: string;
  /** Bytes the slot reserves (text + data + bss ranges; an overlay reserves its largest member). */
  size: number;
  ranges: { kind: 'text' | 'data' | 'bss'; region: string; start: number; size: number }[];
  flashSaved: number;
  /** A flash slot (docs/design.md §6a): its code executes in place in the instruction window. */
  flash?: true;
}

/** The flash slots of the link: where they sit in the instruction window and what the mmlib partition holds. */
export interface FlashSlotsEntry {
  /** The chip's instruction window (ESP-IDF's SOC_IROM_LOW..SOC_IROM_HIGH), [start, end). */
  window: { start: number; end: number };
  /** Window start + the largest app partition: the app's own flash code never reaches past it. Absent without a partition table. */
  appReach?: number;
  /** Each flash slot: its address and the 64 KB pages it reserves (its largest member's code, rounded up). */
  slots: { name: string; libraries: string[]; start: number; size: number; reserved: number }[];
  /** Each flash-slot library's image in the mmlib partition: offset, code bytes, bytes reserved (rounded up to 64 KB). */
  images: { library: string; offset: number; size: number; reserved: number }[];
  /** The mmlib partition from the partition table; `used` = the 64 KB directory + the reserved images. */
  partition?: { name: string; offset: number; size: number; used: number; free: number; sizeSource: 'partition-table' };
}

/** The app partition the firmware image is flashed to, and how much of it the image fills. */
export interface AppPartitionEntry {
  name: string;
  offset: number;
  size: number;
  /**
   * The bytes the image carries: the allocated sections with contents (what esptool's
   * elf2image copies). Not `imageBytes`: a linker segment also gives file space to zero-filled
   * NOBITS placeholders before its data (`.flash_rodata_dummy`, 128 KB on a C3), which the
   * image leaves out. The image adds its headers and alignment padding (under a few KB).
   */
  used: number;
  free: number;
  sizeSource: 'partition-table';
}

export interface MemoryMapModel {
  chip: ChipId;
  chipName: string;
  chipSource: ChipSource;
  /** Where section sizes come from: the ELF's section headers, or the map alone (map-only mode). */
  sectionsFrom: 'elf' | 'map';
  /** 'map': bytes attributed through the linker map; 'symbols': no map, coarser. */
  attribution: 'map' | 'symbols';
  split: boolean;
  regions: RegionEntry[];
  sections: SectionEntry[];
  libraries: LibraryEntry[];
  fill: number;
  fillDetail: { padding: number; linkerData: number; placeholder: number };
  slots: SlotEntry[];
  /** Bytes of loadable segment contents: what the image written to flash holds. */
  imageBytes: number;
  /** From the build's partition table; absent when none was found (see notes). */
  appPartition?: AppPartitionEntry;
  /** Only when the link has flash slots. */
  flashSlots?: FlashSlotsEntry;
  /** Flash the dynamic libraries save (split: measured against the .full.elf; else what a split would save). */
  flashSaved: number;
  notes: string[];
  /** For a split ELF analysed with its .full.elf: the model of the original. */
  before?: MemoryMapModel;
  /** Which files were analysed and how each was found, or why one is missing (set by loadMemoryMap). */
  inputs?: {
    elf?: BuildInput;
    map: BuildInput;
    partitionTable: BuildInput;
    sdkconfig: BuildInput;
  };
}

/** A build file the model was made from (`how` it was found), or why there is none. */
export type BuildInput = { path: string; how: string } | { problem: string };

export interface BuildMemoryMapInput {
  /** The linked firmware; without it the map alone is analysed (map-only mode). */
  elf?: ElfFile | Uint8Array;
  /** The text of the linker map file (`firmware.map`). */
  mapText?: string;
  /** Or the parsed map (when the caller analyses several ELFs of one link). */
  map?: MapFile;
  /** `--chip` override. */
  chip?: string;
  /** PlatformIO board id. */
  board?: string;
  /** For a split ELF: the original (`firmware.full.elf`) to compare with. */
  fullElf?: ElfFile | Uint8Array;
  /** The build's sdkconfig: its target breaks chip-detection ties, CONFIG_SPIRAM shows PSRAM. */
  sdkconfig?: Sdkconfig;
  /** The app partition of the build's partition table (the default boot app). */
  appPartition?: { name: string; offset: number; size: number };
  /** From the same table, for flash slots: the largest app partition's size and the mmlib partition. */
  largestAppPartition?: number;
  libraryPartition?: { name: string; offset: number; size: number };
}

/** Where a region starts and ends for this build (start/end in the chip's main window). */
interface RegionLayout { start: number; end: number; size: number; sizeSource: string; reserved: MapMemoryRegion[] }

function linkerOrder(m: MapMemoryRegion): number {
  return LINKER_REGIONS.findIndex((l) => l.name === m.name);
}

interface DynamicSection { library: string; kind: 'text' | 'data' | 'bss'; name: string; address: number; size: number; progbits: boolean }

/** ESP-IDF placeholder sections that skip an alias range (`.dram0.dummy`, `.flash_rodata_dummy`). */
const PLACEHOLDER = /[._]dummy$|^\.dram0_reserved_for_iram$/;
/** Input sections ld merges (SEC_MERGE): `.rodata.str1.1`, `.rodata.cst4`, `.comment`. */
export const MERGEABLE = /\.(str|cst)\d+(\.\d+)?$|^\.comment$/;
const pages = (n: number) => Math.ceil(n / FLASH_PAGE) * FLASH_PAGE;

const asElf = (e: ElfFile | Uint8Array) => (e instanceof Uint8Array ? readElf(e) : e);

export function buildMemoryMap(input: BuildMemoryMapInput): MemoryMapModel {
  if (!input.elf) {
    if (input.map === undefined && input.mapText === undefined) throw new MapFileError(0, 'nothing to analyse: give the firmware ELF, its map file, or both');
    // Map-only: the records are needed to derive the sections, so no streaming.
    const map = input.map ?? parseMapFile(input.mapText!, undefined, { skipDiscarded: true });
    return new ModelBuilder(undefined, map, input).build();
  }
  const elf = asElf(input.elf);
  const fullElf = input.fullElf ? asElf(input.fullElf) : undefined;
  // Attribute while parsing (no per-record objects), unless the parsed map is needed again
  // for the model of the original ELF.
  const stream = input.map === undefined && input.mapText !== undefined && !fullElf;
  const map = input.map ?? (input.mapText !== undefined && !stream ? parseMapFile(input.mapText, undefined, { skipDiscarded: true }) : undefined);
  const model = new ModelBuilder(elf, map, input, fullElf).build(stream ? input.mapText : undefined);
  if (fullElf && model.split) {
    const before = buildMemoryMap({ elf: fullElf, map, chip: model.chip, sdkconfig: input.sdkconfig, appPartition: input.appPartition });
    model.before = before;
    model.flashSaved = before.imageBytes - model.imageBytes;
  }
  return model;
}

/** `libdriver.a` → `driver`; `main.cpp.o` → `main.cpp`. */
export function libraryName(file: string): string {
  const m = /^lib(.+)\.a$/.exec(file);
  if (m) return m[1];
  return file.replace(/\.(o|obj)$/, '');
}

/** ESP-IDF's scripts mark `.flash.rodata` writable (WA), so a flash data region says rodata, not the flag. */
function sectionKind(s: Section, region: string): SectionKind {
  if (s.type === SectionType.NOBITS) return 'bss';
  if (s.flags & SHF_EXECINSTR) return 'text';
  if (!(s.flags & SHF_WRITE) || region === 'Flash Data') return 'rodata';
  return 'data';
}

/** The kind of an input section inside an output section of kind `outer`. */
function inputKind(name: string, outer: SectionKind): SectionKind {
  if (outer === 'bss' || outer === 'text') return outer;
  // Plain string tests first: this runs for each of 270k records of a large map.
  if (name === 'COMMON' || (name.includes('bss') && /\.s?bss(\.|$)/.test(name))) return 'bss';
  if (name.startsWith('.rodata') || name.startsWith('.srodata')) return 'rodata';
  return outer;
}

class LibraryTotals {
  readonly entries = new Map<string, LibraryEntry>();

  entry(name: string, archive: string): LibraryEntry {
    let e = this.entries.get(archive + '\0' + name);
    if (!e) {
      e = { name, archive, dynamic: false, total: 0, byRegion: {}, byKind: {}, bySection: {} };
      this.entries.set(archive + '\0' + name, e);
    }
    return e;
  }

  add(name: string, archive: string, section: SectionEntry, kind: SectionKind, bytes: number): void {
    if (bytes !== 0) this.addTo(this.entry(name, archive), section, kind, bytes);
  }

  addTo(e: LibraryEntry, section: SectionEntry, kind: SectionKind, bytes: number): void {
    e.total += bytes;
    e.byRegion[section.region] = (e.byRegion[section.region] ?? 0) + bytes;
    e.byKind[kind] = (e.byKind[kind] ?? 0) + bytes;
    e.bySection[section.name] = (e.bySection[section.name] ?? 0) + bytes;
  }
}

class ModelBuilder {
  private readonly chip: Chip;
  private readonly chipSource: ChipSource;
  private readonly notes: string[] = [];
  private readonly libs = new LibraryTotals();
  private readonly fillDetail = { padding: 0, linkerData: 0, placeholder: 0 };
  private readonly split: boolean;
  /** Bytes of each library that lie outside its own `.mm.<lib>.*` sections. */
  private readonly outsideOwnSections = new Map<string, number>();

  /** The allocated sections: the ELF's, or in map-only mode the map's output sections. */
  private readonly allocated: Section[];

  constructor(private readonly elf: ElfFile | undefined, private map: MapFile | undefined, private readonly input: BuildMemoryMapInput, private readonly fullElf?: ElfFile) {
    this.allocated = elf
      ? elf.sections.filter((s) => (s.flags & SHF_ALLOC) !== 0 && s.size > 0 && s.name !== SPLIT_MARKER && !isPlaceholderSection(s.name))
      : sectionsFromMap(map!);
    const evidence = elf ? elfChipEvidence(elf) : { sections: this.allocated };
    const target = input.sdkconfig ? sdkconfigTarget(input.sdkconfig) : undefined;
    const choice = detectChip({ ...evidence, mapText: input.mapText, sdkconfigTarget: target }, { override: input.chip, board: input.board });
    this.chip = choice.chip;
    this.chipSource = choice.source;
    this.split = elf?.section(SPLIT_MARKER) !== undefined;
  }

  get mapFile(): MapFile | undefined {
    return this.map;
  }

  private underscoreSymbols?: Symbol[];

  /**
   * The symbols whose names start with `_`: every boundary and slot symbol does. With a map
   * file the model needs no others, and skipping the rest saves decoding 100k names.
   */
  private linkerSymbols(): Symbol[] {
    return (this.underscoreSymbols ??= this.elf ? this.elf.symbolsStartingWith('_') : []);
  }

  /** `mapText`: parse the map here and attribute its records as they are read. */
  build(mapText?: string): MemoryMapModel {
    const elfSections = this.allocated;
    let sections: SectionEntry[] | undefined;
    let streamed: StreamingAttribution | undefined;
    if (mapText !== undefined) {
      // Section entries need the map's memory configuration, complete once the first output section opens.
      streamed = new StreamingAttribution(this, elfSections, (map) => {
        this.map = map;
        return (sections ??= elfSections.map((s) => this.sectionEntry(s)));
      });
      this.map = parseMapFile(mapText, streamed, { skipDiscarded: true });
    }
    sections ??= elfSections.map((s) => this.sectionEntry(s));
    this.outsideNotes();
    const dynamic = this.dynamicSections();
    if (streamed) streamed.finish();
    else if (this.map) this.attributeFromMap(elfSections, sections);
    else this.attributeFromSymbols(elfSections, sections);
    for (const e of sections) {
      const m = MM_SECTION.exec(e.name);
      if (m) e.library = m[1];
    }
    const slots = this.slots(dynamic);
    const libraries = this.libraryList(dynamic, slots);
    const regions = this.regions(sections, slots);
    const flashSlots = this.flashSlots(slots, dynamic);
    const fill = this.fillDetail.padding + this.fillDetail.linkerData + this.fillDetail.placeholder;
    const dynamicSaved = libraries.reduce((sum, l) => sum + (l.flashSaved ?? 0), 0);
    // Map-only: the bytes of sections with contents are what the image holds.
    const contentBytes = sum(elfSections.filter((s) => s.type !== SectionType.NOBITS).map((s) => s.size));
    const imageBytes = this.elf ? loadableBytes(this.elf.segments) : contentBytes;
    return {
      chip: this.chip.id, chipName: this.chip.name, chipSource: this.chipSource,
      sectionsFrom: this.elf ? 'elf' : 'map',
      attribution: this.map ? 'map' : 'symbols', split: this.split,
      regions, sections, libraries, fill, fillDetail: { ...this.fillDetail }, slots,
      imageBytes, appPartition: this.appPartition(contentBytes), flashSaved: dynamicSaved, notes: this.notes,
      ...(flashSlots ? { flashSlots } : {}),
    };
  }

  // ---- flash slots (docs/design.md §6a) ----------------------------------------------

  /**
   * Flash slots are marked by the fragment's `_mm_slot_<slot>_flash = 1`, their images'
   * offsets by `_mm_<lib>_flash_offset`: ELF symbols, or (map only) the assignments ld
   * echoes into the map.
   */
  private flashMarks(): { slots: Set<string>; offsets: Map<string, number> } {
    const slots = new Set<string>();
    const offsets = new Map<string, number>();
    const add = (name: string, value: number) => {
      const slot = /^_mm_slot_(.+)_flash$/.exec(name);
      if (slot && value === 1) slots.add(slot[1]);
      const image = /^_mm_(.+)_flash_offset$/.exec(name);
      if (image) offsets.set(image[1], value);
    };
    for (const sym of this.linkerSymbols()) if (sym.name.endsWith('_flash') || sym.name.endsWith('_flash_offset')) add(sym.name, sym.value);
    const mapText = this.input.mapText;
    if (!slots.size && mapText !== undefined && this.map?.memory.some((m) => m.name === FLASH_CODE_REGION)) {
      for (const m of mapText.matchAll(/^[ \t]+0x([0-9a-fA-F]+)[ \t]+(_mm_\w+_flash(?:_offset)?) = /gm)) add(m[2], parseInt(m[1], 16));
    }
    return { slots, offsets };
  }

  private flashSlots(slots: SlotEntry[], dynamic: DynamicSection[]): FlashSlotsEntry | undefined {
    const marks = this.flashMarks();
    // Map only, the slots are named by their libraries (no slot symbols): the fragment's region tells.
    const region = this.map?.memory.find((m) => m.name === FLASH_CODE_REGION);
    const inRegion = (slot: SlotEntry) => slot.ranges.some((r) => r.kind === 'text' && region !== undefined && r.start >= region.origin && r.start < region.origin + region.length);
    const flash = slots.filter((s) => marks.slots.has(s.name) || inRegion(s));
    if (!flash.length) return undefined;
    const window = instructionWindow(this.chip.id);
    const appReach = this.input.largestAppPartition === undefined ? undefined : window.start + this.input.largestAppPartition;
    const entries = flash.map((slot) => {
      slot.flash = true;
      const text = slot.ranges.find((r) => r.kind === 'text');
      const start = text?.start ?? 0, size = text?.size ?? 0;
      if (appReach !== undefined && start < appReach) this.notes.push(`Flash slot ${slot.name} at 0x${start.toString(16)} is within the reach of the app's own flash code (up to 0x${appReach.toString(16)}): the link check refuses this firmware.`);
      return { name: slot.name, libraries: slot.libraries, start, size, reserved: pages(size) };
    });
    const libraries = flash.flatMap((s) => s.libraries);
    const images = libraries
      .filter((l) => marks.offsets.has(l))
      .map((library) => {
        const size = sum(dynamic.filter((d) => d.library === library && d.kind === 'text').map((d) => d.size));
        return { library, offset: marks.offsets.get(library)!, size, reserved: pages(size) };
      })
      .sort((a, b) => a.offset - b.offset);
    const entry: FlashSlotsEntry = { window: { start: window.start, end: window.end }, ...(appReach !== undefined ? { appReach } : {}), slots: entries, images };
    const p = this.input.libraryPartition;
    const used = FLASH_DIRECTORY_BYTES + sum(images.map((i) => i.reserved));
    if (p) {
      entry.partition = { name: p.name, offset: p.offset, size: p.size, used, free: Math.max(0, p.size - used), sizeSource: 'partition-table' };
      if (used > p.size) this.notes.push(`The flash-slot library images need ${used} bytes of the ${p.name} partition (64 KB directory + images), which has ${p.size}: the link check refuses this firmware.`);
    } else {
      this.notes.push(`This firmware has flash slots, but ${this.input.largestAppPartition === undefined ? 'no partition table was found' : 'its partition table has no mmlib partition (data, subtype 0x40)'}: their images (${used} bytes with the 64 KB directory) are not shown against a partition.`);
    }
    return entry;
  }

  private appPartition(contentBytes: number): AppPartitionEntry | undefined {
    const p = this.input.appPartition;
    if (!p) {
      this.notes.push('No partition table was found for this build (partitions.bin beside the firmware): flash use is not shown against the app partition.');
      return undefined;
    }
    if (contentBytes > p.size) this.notes.push(`The firmware image (${contentBytes} bytes) is larger than its app partition ${p.name} (${p.size} bytes): it cannot be flashed.`);
    return { name: p.name, offset: p.offset, size: p.size, used: contentBytes, free: Math.max(0, p.size - contentBytes), sizeSource: 'partition-table' };
  }

  // ---- sections and regions ----------------------------------------------------------

  private sectionEntry(s: Section): SectionEntry {
    const region = this.regionNameOf(s);
    const entry: SectionEntry = { name: s.name, region, address: s.addr, size: s.size, kind: sectionKind(s, region), fill: 0 };
    if (PLACEHOLDER.test(s.name)) entry.placeholder = true;
    const lma = this.loadAddressOf(s);
    if (lma !== undefined && lma !== s.addr) entry.loadAddress = lma;
    return entry;
  }

  private loadAddressOf(s: Section): number | undefined {
    if (!this.elf) return this.map?.sections.find((o) => o.name === s.name && o.address === s.addr)?.loadAddress;
    const seg = this.elf.segments.find((p) => p.type === SegmentType.LOAD && s.addr >= p.vaddr && s.addr + s.size <= p.vaddr + p.memsz && p.memsz > 0
      && (s.type === SectionType.NOBITS || (s.offset >= p.offset && s.offset + s.size <= p.offset + p.filesz)));
    return seg ? s.addr - seg.vaddr + seg.paddr : undefined;
  }

  private regionNameOf(s: Section): string {
    const region = regionOfSection(this.chip, s);
    if (region) return region.name;
    // Outside every window of the chip table: trust the linker region the map says holds
    // the address (ESP-IDF names, docs/design.md §4), then the section's own name.
    const linkerRegion = this.map?.memory.find((m) => m.name !== '*default*' && s.addr >= m.origin && s.addr < m.origin + m.length);
    const hint = (linkerRegion && regionHintFromLinkerRegion(linkerRegion.name)) ?? regionHintFromSectionName(s.name);
    const where = `${s.name} (0x${s.addr.toString(16)})`;
    if (hint && this.chip.regions.some((g) => g.name === hint)) {
      this.outside(`counted as ${hint} (${linkerRegion ? `linker region ${linkerRegion.name}` : 'by section name'})`, where);
      return hint;
    }
    this.outside(`shown as ${OTHER}`, where);
    return OTHER;
  }

  /** Sections outside the chip's windows, grouped by where they were counted (one note per group). */
  private readonly outsideGroups = new Map<string, string[]>();

  private outside(how: string, section: string): void {
    this.outsideGroups.set(how, [...(this.outsideGroups.get(how) ?? []), section]);
  }

  private outsideNotes(): void {
    for (const [how, names] of this.outsideGroups) {
      this.notes.push(`${names.join(', ')} ${names.length === 1 ? 'lies' : 'lie'} outside the ${this.chip.name} memory map; ${how}`);
    }
  }

  private regions(sections: SectionEntry[], slots: SlotEntry[]): RegionEntry[] {
    const out: RegionEntry[] = [];
    const layouts = new Map<ChipRegion, RegionLayout>();
    const tops = new Map<ChipRegion, number>();
    for (const g of this.chip.regions) {
      const mine = sections.filter((s) => s.region === g.name);
      const slotRanges = slots.flatMap((slot) => slot.ranges.filter((r) => r.region === g.name));
      if (!this.shown(g, mine, slotRanges.length > 0)) continue;
      const layout = this.layoutOf(g) ?? this.chipTableLayout(g, true);
      layouts.set(g, layout);
      const entry: RegionEntry = {
        name: g.name, start: layout.start, size: layout.size, sizeSource: layout.sizeSource,
        used: coveredBytes(mine.filter((s) => !s.placeholder)), free: 0, fill: sum(mine.map((s) => s.fill)), flash: g.flash,
      };
      // The highest address in use, seen through the region's main window. Sections placed
      // here by a fallback (outside every window) and the few bytes ESP-IDF reserves at the
      // end of RTC memory do not move it.
      let top = layout.start;
      const raise = (addr: number, size: number) => {
        const r = rangeOf(g, addr);
        if (r) top = Math.max(top, addr - r.start + g.ranges[0].start + size);
      };
      for (const s of mine) if (!layout.reserved.some((m) => s.address >= m.origin && s.address < m.origin + m.length)) raise(s.address, s.size);
      for (const r of slotRanges) raise(r.start, r.size);
      const reserved = sum(slotRanges.map((r) => r.size));
      if (reserved > 0) entry.slotReserved = reserved;
      const boundary = this.boundaryOf(g);
      if (boundary) { entry.boundary = boundary; raise(boundary.address, 0); }
      tops.set(g, top);
      entry.free = Math.max(0, layout.end - top);
      out.push(entry);
    }
    this.poolFree(out, layouts, tops);
    const other = sections.filter((s) => s.region === OTHER);
    if (other.length) {
      const start = Math.min(...other.map((s) => s.address));
      out.push({ name: OTHER, start, size: coveredBytes(other), sizeSource: 'sections', used: coveredBytes(other), free: 0, fill: sum(other.map((s) => s.fill)), flash: false });
    }
    return out;
  }

  /**
   * Whether a region belongs in the table: it holds sections or slots, or the build has it.
   * PSRAM only when the build uses it (CONFIG_SPIRAM, or bytes placed there): the address
   * window exists on every ESP32, the chip on few boards.
   */
  private shown(g: ChipRegion, mine: SectionEntry[], hasSlots: boolean): boolean {
    if (hasSlots || mine.some((s) => !s.placeholder)) return true;
    if (g.name === 'PSRAM') return this.input.sdkconfig !== undefined && sdkconfigUsesPsram(this.input.sdkconfig);
    return this.layoutOf(g) !== undefined || !this.mapHasEspIdfRegions();
  }

  private mapHasEspIdfRegions(): boolean {
    return this.map?.memory.some((m) => linkerRegion(m.name) !== undefined) ?? false;
  }

  /**
   * The region as the link saw it: the map's own memory region for it (ESP-IDF's
   * `iram0_0_seg`, `dram0_0_seg`, …, see LINKER_REGIONS) plus the reserved tail ESP-IDF keeps
   * after it. Undefined when the map has no such region (C2 has no RTC memory at all) or
   * there is no map.
   */
  private layoutOf(g: ChipRegion): RegionLayout | undefined {
    if (!this.map || !this.mapHasEspIdfRegions()) return undefined;
    const linked = (reserved: boolean) => this.map!.memory.filter((m) => {
      const l = linkerRegion(m.name);
      return l !== undefined && l.regions.includes(g.name as RegionName) && (l.reserved === true) === reserved;
    });
    // The first in LINKER_REGIONS order: rtc_iram_seg before rtc_data_seg (one memory, two buses).
    const mains = linked(false).sort((a, b) => linkerOrder(a) - linkerOrder(b));
    const main = mains[0];
    if (!main) return undefined;
    const reserved = linked(true);
    const window = rangeOf(g, main.origin);
    const start = window ? main.origin - window.start + g.ranges[0].start : main.origin;
    return {
      start, end: start + main.length, size: main.length + sum(reserved.map((m) => m.length)),
      sizeSource: `map:${[main, ...reserved].map((m) => m.name).join('+')}`, reserved,
    };
  }

  private chipTableLayout(g: ChipRegion, fallback: boolean): RegionLayout {
    if (fallback && this.mapHasEspIdfRegions()) this.notes.push(`${g.name}: the map has no memory region for it; its size is the ${this.chip.name}'s address range.`);
    return { start: g.ranges[0].start, end: g.ranges[0].end, size: regionSize(g), sizeSource: 'chip-table', reserved: [] };
  }

  /** IRAM and DRAM of one SRAM: free space is what lies above the higher of both, in data addresses. */
  private poolFree(entries: RegionEntry[], layouts: Map<ChipRegion, RegionLayout>, tops: Map<ChipRegion, number>): void {
    const pools = new Map<string, ChipRegion[]>();
    for (const g of this.chip.regions) if (g.pool && layouts.has(g)) pools.set(g.pool.name, [...(pools.get(g.pool.name) ?? []), g]);
    for (const [name, members] of pools) {
      const start = Math.min(...members.map((g) => layouts.get(g)!.start - g.pool!.dataOffset));
      const end = Math.max(...members.map((g) => layouts.get(g)!.end - g.pool!.dataOffset));
      const top = Math.max(...members.map((g) => tops.get(g)! - g.pool!.dataOffset));
      for (const g of members) {
        const e = entries.find((x) => x.name === g.name)!;
        e.free = Math.max(0, end - Math.max(top, start));
        e.pool = { name, size: end - start };
      }
    }
  }

  private boundaryCandidates?: Symbol[];

  /** The symbols any region names as a boundary (one pass over a symbol table of 100k). */
  private boundarySymbols(): Symbol[] {
    if (this.boundaryCandidates) return this.boundaryCandidates;
    const names = new Set(this.chip.regions.flatMap((g) => g.boundarySymbols));
    const found: Symbol[] = [];
    for (const sym of this.linkerSymbols()) {
      if (names.has(sym.name)) found.push(sym);
    }
    return (this.boundaryCandidates = found);
  }

  private boundaryOf(g: ChipRegion): { symbol: string; address: number } | undefined {
    let best: { symbol: string; address: number } | undefined;
    if (g.boundarySymbols.length === 0) return undefined;
    for (const sym of this.boundarySymbols()) {
      if (!g.boundarySymbols.includes(sym.name) || !rangeOf(g, sym.value)) continue;
      // The highest wins; at equal addresses the symbol listed first (`_heap_start` before `_bss_end`).
      const better = !best || sym.value > best.address
        || (sym.value === best.address && g.boundarySymbols.indexOf(sym.name) < g.boundarySymbols.indexOf(best.symbol));
      if (better) best = { symbol: sym.name, address: sym.value };
    }
    return best;
  }

  // ---- attribution through the map ---------------------------------------------------

  private attributeFromMap(elfSections: Section[], entries: SectionEntry[]): void {
    const map = this.map!;
    const byName = new Map<string, MapOutputSection[]>();
    for (const s of map.sections) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
    elfSections.forEach((s, i) => {
      const out = mapSectionOf(s, byName.get(s.name));
      const a = new SectionAttribution(this, out, entries[i]);
      for (const item of out.inputs) a.record(item.kind, item.name, item.address, item.size, item.file, item.line);
      a.finish();
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

  /** Bytes of a library in one section, after the checks in SectionAttribution. */
  creditLibrary(lib: LibraryEntry, kind: SectionKind, bytes: number, entry: SectionEntry, ownLibrary: LibraryEntry | undefined): void {
    this.libs.addTo(lib, entry, kind, bytes);
    if (lib !== ownLibrary) this.outsideOwnSections.set(lib.name, (this.outsideOwnSections.get(lib.name) ?? 0) + bytes);
  }

  private readonly fileCache = new Map<string, LibraryEntry>();
  private lastFile?: string;
  private lastLibrary?: LibraryEntry;

  libraryOfFile(file: string | undefined): LibraryEntry {
    const key = file ?? '';
    // Records of one object follow each other: skip the lookup for a repeated file.
    if (key === this.lastFile) return this.lastLibrary!;
    let hit = this.fileCache.get(key);
    if (!hit) {
      if (!file) hit = this.libs.entry('(linker)', '');
      else if (file === 'linker stubs') hit = this.libs.entry('(linker stubs)', '');
      else {
        const archive = baseName(splitArchiveMember(file).path);
        hit = this.libs.entry(libraryName(archive), archive);
      }
      this.fileCache.set(key, hit);
    }
    this.lastFile = key;
    this.lastLibrary = hit;
    return hit;
  }

  // ---- attribution through symbols (no map file) ------------------------------------

  private attributeFromSymbols(elfSections: Section[], entries: SectionEntry[]): void {
    this.notes.push('No map file: bytes are attributed by symbols and the source-file names in the symbol table; archives and linker padding are unknown (coarser). Pass --map <firmware.map> for exact attribution.');
    const bySection = new Map<number, { start: number; end: number; file: string }[]>();
    let file = '';
    for (const sym of this.elf!.symbols()) {
      if (sym.type === SymbolType.FILE) { file = sym.name; continue; }
      if (sym.size === 0 || (sym.type !== SymbolType.FUNC && sym.type !== SymbolType.OBJECT)) continue;
      const owner = sym.binding === SymbolBinding.LOCAL ? file : '';
      const list = bySection.get(sym.shndx) ?? [];
      list.push({ start: sym.value, end: sym.value + sym.size, file: owner });
      bySection.set(sym.shndx, list);
    }
    elfSections.forEach((s, i) => {
      const entry = entries[i];
      const mm = MM_SECTION.exec(s.name);
      if (mm) { this.libs.add(mm[1], libraryArchive(mm[1]), entry, entry.kind, s.size); return; }
      if (entry.placeholder) { this.fillDetail.placeholder += s.size; entry.fill += s.size; return; }
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

  // ---- dynamic libraries and slots ----------------------------------------------------

  /** The `.mm.<lib>.*` sections: from the ELF, or (split ELF) from the original ELF or the map's record of the link. */
  private dynamicSections(): DynamicSection[] {
    const of = (elf: ElfFile) => findDynamicLibraries(elf).flatMap((l) => (['text', 'data', 'bss'] as const).flatMap((kind) => {
      const s = l[kind];
      return s ? [{ library: l.name, kind, name: s.name, address: s.addr, size: s.size, progbits: s.type !== SectionType.NOBITS }] : [];
    }));
    const fromElf = this.elf ? of(this.elf) : [];
    if (fromElf.length || (this.elf && !this.split)) return fromElf;
    if (this.fullElf) return of(this.fullElf);
    if (!this.map) {
      this.notes.push('This ELF was split, but there is no map file (nor .full.elf) to tell which libraries were moved out.');
      return [];
    }
    return this.map.sections.flatMap((s) => {
      const m = MM_SECTION.exec(s.name);
      return m ? [{ library: m[1], kind: m[2] as 'text' | 'data' | 'bss', name: s.name, address: s.address, size: s.size, progbits: m[2] !== 'bss' }] : [];
    });
  }

  private slots(dynamic: DynamicSection[]): SlotEntry[] {
    if (dynamic.length === 0) return [];
    const ranges = this.slotSymbols();
    const slotOf = new Map<string, string>();
    for (const d of dynamic) {
      if (slotOf.has(d.library)) continue;
      const hit = ranges.find((r) => r.kind === d.kind && d.address >= r.start && d.address < Math.max(r.end, r.start + 1));
      slotOf.set(d.library, hit?.slot ?? this.overlaySlot(d, dynamic, slotOf));
    }
    const names = [...new Set(slotOf.values())];
    return names.map((name) => {
      const libraries = [...slotOf.entries()].filter(([, s]) => s === name).map(([l]) => l);
      const members = dynamic.filter((d) => libraries.includes(d.library));
      const kinds = (['text', 'data', 'bss'] as const).flatMap((kind) => {
        const sym = ranges.find((r) => r.slot === name && r.kind === kind);
        const parts = members.filter((d) => d.kind === kind);
        if (sym) return sym.end > sym.start ? [{ kind, start: sym.start, size: sym.end - sym.start }] : [];
        if (!parts.length) return [];
        // No slot symbols: an overlay reserves from its lowest address to its largest member's end.
        const start = Math.min(...parts.map((p) => p.address));
        const size = Math.max(...parts.map((p) => p.address + p.size)) - start;
        return size > 0 ? [{ kind, start, size }] : [];
      });
      // The fragment's `_mm_slot_<slot>_data_*` span the slot's bss too (it follows the data in
      // one reservation): a range inside another of the slot is not reserved a second time.
      const distinct = kinds.filter((k) => !kinds.some((o) => o !== k && o.start <= k.start && k.start + k.size <= o.start + o.size && o.size > k.size));
      const withRegions = distinct.map((k) => ({ ...k, region: this.regionOfAddress(k.start, k.kind) }));
      return {
        name, libraries, region: withRegions.find((k) => k.kind === 'text')?.region ?? withRegions[0]?.region ?? OTHER,
        size: sum(withRegions.map((k) => k.size)), ranges: withRegions,
        flashSaved: sum(members.filter((d) => d.progbits).map((d) => d.size)),
      };
    });
  }

  private overlaySlot(d: DynamicSection, all: DynamicSection[], known: Map<string, string>): string {
    const sharing = all.find((o) => o.library !== d.library && o.kind === d.kind && o.address === d.address && known.has(o.library));
    return sharing ? known.get(sharing.library)! : d.library;
  }

  private regionOfAddress(address: number, kind: 'text' | 'data' | 'bss'): string {
    const region = regionOfSection(this.chip, { name: '', addr: address, flags: kind === 'text' ? SHF_EXECINSTR : SHF_WRITE, type: kind === 'bss' ? SectionType.NOBITS : SectionType.PROGBITS });
    return region?.name ?? OTHER;
  }

  /** `_mm_slot_<slot>_<text|data|bss>_<start|end>` written by the linker fragment. */
  private slotSymbols(): { slot: string; kind: 'text' | 'data' | 'bss'; start: number; end: number }[] {
    const found = new Map<string, { slot: string; kind: 'text' | 'data' | 'bss'; start: number; end: number }>();
    for (const sym of this.linkerSymbols()) {
      if (!sym.name.startsWith('_mm_slot_')) continue;
      const m = /^_mm_slot_(.+)_(text|data|bss)_(start|end)$/.exec(sym.name);
      if (!m) continue;
      const key = `${m[1]}\0${m[2]}`;
      const r = found.get(key) ?? { slot: m[1], kind: m[2] as 'text' | 'data' | 'bss', start: 0, end: 0 };
      r[m[3] as 'start' | 'end'] = sym.value;
      found.set(key, r);
    }
    return [...found.values()];
  }

  private libraryList(dynamic: DynamicSection[], slots: SlotEntry[]): LibraryEntry[] {
    const list = [...this.libs.entries.values()].filter((l) => l.total > 0);
    const dynamicNames = [...new Set(dynamic.map((d) => d.library))];
    for (const name of dynamicNames) {
      let lib = list.find((l) => l.name === name && (l.archive === libraryArchive(name) || l.archive === ''))
        ?? list.find((l) => l.name === name);
      if (!lib) {
        // Split out entirely: nothing of it is left in this ELF, but it is still part of the program.
        lib = { name, archive: libraryArchive(name), dynamic: true, total: 0, byRegion: {}, byKind: {}, bySection: {} };
        list.push(lib);
      }
      const parts = dynamic.filter((d) => d.library === name);
      const size = (kind: string) => sum(parts.filter((p) => p.kind === kind).map((p) => p.size));
      lib.dynamic = true;
      lib.slot = slots.find((s) => s.libraries.includes(name))?.name;
      lib.moved = { text: size('text'), data: size('data'), bss: size('bss') };
      lib.flashSaved = sum(parts.filter((p) => p.progbits).map((p) => p.size));
      const resident = this.outsideOwnSections.get(name) ?? 0;
      if (resident > 0) {
        this.notes.push(`${name}: ${resident} bytes stay in the firmware outside its .mm sections (IRAM_ATTR code or data matched by an earlier linker rule)`);
      }
    }
    return list.sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
  }
}

/** The map's output section for an ELF section: same name and address, or a clear error. */
function mapSectionOf(s: Section, candidates: MapOutputSection[] | undefined): MapOutputSection {
  if (!candidates) {
    throw new MapFileError(0, `section ${s.name} (${s.size} bytes at 0x${s.addr.toString(16)}) of the ELF is not in the map file: the map belongs to another link (rebuild, or pass the right --map)`);
  }
  const out = candidates.find((c) => c.address === s.addr) ?? candidates[0];
  if (out.address !== s.addr || out.size !== s.size) {
    throw new MapFileError(out.line, `${s.name} is ${out.size} bytes at 0x${out.address.toString(16)} in the map but ${s.size} bytes at 0x${s.addr.toString(16)} in the ELF: the map belongs to another link (rebuild, or pass the right --map)`);
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

  constructor(private readonly model: ModelBuilder, private readonly out: MapOutputSection, private readonly entry: SectionEntry) {
    this.end = out.address + out.size;
    this.cursor = out.address;
    this.ownLibrary = model.ownLibraryOf(out);
  }

  record(kind: MapInput['kind'], name: string, address: number, size: number, file: string | undefined, line: number): void {
    if (this.waiting) this.credit(Math.max(address, this.address));
    this.waiting = true;
    this.kind = kind; this.name = name; this.address = address; this.size = size; this.file = file; this.line = line;
  }

  finish(): void {
    if (this.waiting) this.credit(this.end);
    this.waiting = false;
    this.flushRun();
    const { out, end, cursor } = this;
    if (cursor < end) throw holeError(out, cursor, end, out.line);
    if (this.covered !== out.size) throw new MapFileError(out.line, `the records of ${out.name} cover ${this.covered} of its ${out.size} bytes: corrupted map file`);
  }

  /** The waiting record; `next`: where the next record starts (the section end for the last). */
  private credit(next: number): void {
    const { out, end, name, address, size } = this;
    if (address < out.address || address > end) {
      throw new MapFileError(this.line, `${name} at 0x${address.toString(16)} lies outside its output section ${out.name} (0x${out.address.toString(16)}–0x${end.toString(16)}): corrupted map file`);
    }
    // ld lists a merged string/constant section (SEC_MERGE) whose contents went into an
    // earlier copy with the size of the merged blob, over the records that follow it: it
    // owns no bytes beyond the next record. Any other overlap means the numbers in the
    // map are damaged, and a table from them would be wrong.
    const overlaps = address < this.cursor || address + size > end;
    const merged = (overlaps || address + size > next) && MERGEABLE.test(name);
    if (overlaps && !merged) {
      throw new MapFileError(this.line, `${name} (0x${address.toString(16)}, ${size} bytes) overlaps the bytes before it or runs past the end of ${out.name} at 0x${end.toString(16)}: corrupted map file`);
    }
    // A hole between records means a record is missing from the file.
    if (address > this.cursor) throw holeError(out, this.cursor, address, this.line);
    const from = Math.max(address, this.cursor);
    const to = Math.min(address + size, end, merged ? next : end);
    const bytes = Math.max(0, to - from);
    this.cursor = Math.max(this.cursor, to);
    if (bytes === 0) return;
    this.covered += bytes;
    if (this.kind !== 'input') { this.model.creditFill(this.kind, bytes, this.entry); return; }
    const lib = this.model.libraryOfFile(this.file);
    const kind = inputKind(name, this.entry.kind);
    if (lib === this.runLibrary && kind === this.runKind) { this.runBytes += bytes; return; }
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
    if (this.runLibrary && this.runBytes) this.model.creditLibrary(this.runLibrary, this.runKind, this.runBytes, this.entry, this.ownLibrary);
    this.runLibrary = undefined;
    this.runBytes = 0;
  }
}

/**
 * Attribution while the map is parsed: each ELF section takes the records of the first output
 * section of the map with its name and address. Errors wait for the end of the parse (a damaged
 * map reports its parse error first) and are raised in ELF section order, as attributeFromMap does.
 */
class StreamingAttribution implements MapRecordSink {
  private current?: SectionAttribution;
  private currentIndex = -1;
  private readonly errors = new Map<number, unknown>();
  private readonly claimed = new Set<number>();
  private readonly elfByName = new Map<string, number[]>();

  constructor(private readonly model: ModelBuilder, private readonly elfSections: Section[], private readonly entries: (map: MapFile) => SectionEntry[]) {
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
    this.current = new SectionAttribution(this.model, out, entries[i]);
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
    const byName = new Map<string, MapOutputSection[]>();
    for (const s of this.model.mapFile!.sections) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
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
  return new MapFileError(line, `${out.name}: bytes 0x${from.toString(16)}–0x${to.toString(16)} are not covered by any record of the map (a line is missing: corrupted map file)`);
}

function sum(values: number[]): number {
  let t = 0;
  for (const v of values) t += v;
  return t;
}

/** Bytes covered by the union of the sections' address ranges (overlay members count once). */
export function coveredBytes(sections: { address: number; size: number }[]): number {
  const sorted = [...sections].sort((a, b) => a.address - b.address);
  let total = 0;
  let cursor = -Infinity;
  for (const s of sorted) {
    const from = Math.max(s.address, cursor);
    const to = s.address + s.size;
    if (to > from) { total += to - from; cursor = to; }
  }
  return total;
}

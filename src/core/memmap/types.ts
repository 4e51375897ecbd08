// The memory-map model's shape: what `buildMemoryMap` returns and what it is built from.
// docs/memmap-json.md describes the fields as `esp32mm map --json` prints them.
import type { ElfFile } from '../elf/reader';
import type { ChipId } from '../chips/chips';
import type { ChipSource } from '../chips/detect';
import type { MapFile } from '../mapfile/parse';
import type { Sdkconfig } from '../platformio/sdkconfig';

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

// The chip's regions as this build uses them: which region each section lies in, each
// region's size (the link's own memory region from the map, else the chip table), what is
// used and free above the highest section, slot or boundary symbol, and the IRAM/DRAM pools
// that share one SRAM.
import { SectionType, SegmentType, SHF_EXECINSTR, SHF_WRITE, type Section, type Symbol } from '../elf/types';
import { LINKER_REGIONS, linkerRegion, regionSize, rangeOf, type ChipRegion, type RegionName } from '../chips/chips';
import { regionHintFromLinkerRegion, regionHintFromSectionName, regionOfSection } from '../chips/detect';
import type { MapMemoryRegion } from '../mapfile/parse';
import { sdkconfigUsesPsram } from '../platformio/sdkconfig';
import { OTHER, sum, type ModelContext } from './context';
import type { RegionEntry, SectionEntry, SectionKind, SlotEntry } from './types';

/** ESP-IDF placeholder sections that skip an alias range (`.dram0.dummy`, `.flash_rodata_dummy`). */
const PLACEHOLDER = /[._]dummy$|^\.dram0_reserved_for_iram$/;

/** Where a region starts and ends for this build (start/end in the chip's main window). */
interface RegionLayout {
  start: number;
  end: number;
  size: number;
  sizeSource: string;
  reserved: MapMemoryRegion[];
}

/** ESP-IDF's scripts mark `.flash.rodata` writable (WA), so a flash data region says rodata, not the flag. */
function sectionKind(s: Section, region: string): SectionKind {
  if (s.type === SectionType.NOBITS) return 'bss';
  if (s.flags & SHF_EXECINSTR) return 'text';
  if (!(s.flags & SHF_WRITE) || region === 'Flash Data') return 'rodata';
  return 'data';
}

/** The model's section entries: each section's region, kind and load address. */
export class SectionPlacement {
  /** Sections outside the chip's windows, grouped by where they were counted (one note per group). */
  private readonly outsideGroups = new Map<string, string[]>();

  constructor(private readonly ctx: ModelContext) {}

  entry(s: Section): SectionEntry {
    const region = this.regionNameOf(s);
    const entry: SectionEntry = { name: s.name, region, address: s.addr, size: s.size, kind: sectionKind(s, region), fill: 0 };
    if (PLACEHOLDER.test(s.name)) entry.placeholder = true;
    const lma = this.loadAddressOf(s);
    if (lma !== undefined && lma !== s.addr) entry.loadAddress = lma;
    return entry;
  }

  /** One note per group of sections outside the chip's memory map. */
  addNotes(): void {
    for (const [how, names] of this.outsideGroups) {
      this.ctx.notes.push(
        `${names.join(', ')} ${names.length === 1 ? 'lies' : 'lie'} outside the ${this.ctx.chip.name} memory map; ${how}`,
      );
    }
  }

  private loadAddressOf(s: Section): number | undefined {
    const { elf, map } = this.ctx;
    if (!elf) return map?.sections.find((o) => o.name === s.name && o.address === s.addr)?.loadAddress;
    const seg = elf.segments.find(
      (p) =>
        p.type === SegmentType.LOAD &&
        s.addr >= p.vaddr &&
        s.addr + s.size <= p.vaddr + p.memsz &&
        p.memsz > 0 &&
        (s.type === SectionType.NOBITS || (s.offset >= p.offset && s.offset + s.size <= p.offset + p.filesz)),
    );
    return seg ? s.addr - seg.vaddr + seg.paddr : undefined;
  }

  private regionNameOf(s: Section): string {
    const { chip, map } = this.ctx;
    const region = regionOfSection(chip, s);
    if (region) return region.name;
    // Outside every window of the chip table: trust the linker region the map says holds
    // the address (ESP-IDF names, docs/design.md §4), then the section's own name.
    const linkerRegion = map?.memory.find((m) => m.name !== '*default*' && s.addr >= m.origin && s.addr < m.origin + m.length);
    const hint = (linkerRegion && regionHintFromLinkerRegion(linkerRegion.name)) ?? regionHintFromSectionName(s.name);
    const where = `${s.name} (0x${s.addr.toString(16)})`;
    if (hint && chip.regions.some((g) => g.name === hint)) {
      this.outside(`counted as ${hint} (${linkerRegion ? `linker region ${linkerRegion.name}` : 'by section name'})`, where);
      return hint;
    }
    this.outside(`shown as ${OTHER}`, where);
    return OTHER;
  }

  private outside(how: string, section: string): void {
    this.outsideGroups.set(how, [...(this.outsideGroups.get(how) ?? []), section]);
  }
}

/** The regions the build uses, with their sizes, use, free space, slot reservations and boundaries. */
export function regions(ctx: ModelContext, sections: SectionEntry[], slots: SlotEntry[]): RegionEntry[] {
  const out: RegionEntry[] = [];
  const layouts = new Map<ChipRegion, RegionLayout>();
  const tops = new Map<ChipRegion, number>();
  const boundaries = boundarySymbols(ctx);
  for (const g of ctx.chip.regions) {
    const mine = sections.filter((s) => s.region === g.name);
    const slotRanges = slots.flatMap((slot) => slot.ranges.filter((r) => r.region === g.name));
    if (!shown(ctx, g, mine, slotRanges.length > 0)) continue;
    const layout = layoutOf(ctx, g) ?? chipTableLayout(ctx, g);
    layouts.set(g, layout);
    const entry: RegionEntry = {
      name: g.name,
      start: layout.start,
      size: layout.size,
      sizeSource: layout.sizeSource,
      used: coveredBytes(mine.filter((s) => !s.placeholder)),
      free: 0,
      fill: sum(mine.map((s) => s.fill)),
      flash: g.flash,
    };
    // The highest address in use, seen through the region's main window. Sections placed
    // here by a fallback (outside every window) and the few bytes ESP-IDF reserves at the
    // end of RTC memory do not move it.
    let top = layout.start;
    const raise = (addr: number, size: number) => {
      const r = rangeOf(g, addr);
      if (r) top = Math.max(top, addr - r.start + g.ranges[0].start + size);
    };
    for (const s of mine)
      if (!layout.reserved.some((m) => s.address >= m.origin && s.address < m.origin + m.length)) raise(s.address, s.size);
    for (const r of slotRanges) raise(r.start, r.size);
    const reserved = sum(slotRanges.map((r) => r.size));
    if (reserved > 0) entry.slotReserved = reserved;
    const boundary = boundaryOf(g, boundaries);
    if (boundary) {
      entry.boundary = boundary;
      raise(boundary.address, 0);
    }
    tops.set(g, top);
    entry.free = Math.max(0, layout.end - top);
    out.push(entry);
  }
  poolFree(ctx, out, layouts, tops);
  const other = sections.filter((s) => s.region === OTHER);
  if (other.length) {
    const start = Math.min(...other.map((s) => s.address));
    out.push({
      name: OTHER,
      start,
      size: coveredBytes(other),
      sizeSource: 'sections',
      used: coveredBytes(other),
      free: 0,
      fill: sum(other.map((s) => s.fill)),
      flash: false,
    });
  }
  return out;
}

/**
 * Whether a region belongs in the table: it holds sections or slots, or the build has it.
 * PSRAM only when the build uses it (CONFIG_SPIRAM, or bytes placed there): the address
 * window exists on every ESP32, the chip on few boards.
 */
function shown(ctx: ModelContext, g: ChipRegion, mine: SectionEntry[], hasSlots: boolean): boolean {
  if (hasSlots || mine.some((s) => !s.placeholder)) return true;
  if (g.name === 'PSRAM') return ctx.input.sdkconfig !== undefined && sdkconfigUsesPsram(ctx.input.sdkconfig);
  return layoutOf(ctx, g) !== undefined || !ctx.mapHasEspIdfRegions();
}

function linkerOrder(m: MapMemoryRegion): number {
  return LINKER_REGIONS.findIndex((l) => l.name === m.name);
}

/**
 * The region as the link saw it: the map's own memory region for it (ESP-IDF's
 * `iram0_0_seg`, `dram0_0_seg`, …, see LINKER_REGIONS) plus the reserved tail ESP-IDF keeps
 * after it. Undefined when the map has no such region (C2 has no RTC memory at all) or
 * there is no map.
 */
function layoutOf(ctx: ModelContext, g: ChipRegion): RegionLayout | undefined {
  const map = ctx.map;
  if (!map || !ctx.mapHasEspIdfRegions()) return undefined;
  const linked = (reserved: boolean) =>
    map.memory.filter((m) => {
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
    start,
    end: start + main.length,
    size: main.length + sum(reserved.map((m) => m.length)),
    sizeSource: `map:${[main, ...reserved].map((m) => m.name).join('+')}`,
    reserved,
  };
}

/** The region's size from the chip table: without a map, or (with a note) when the map lacks it. */
function chipTableLayout(ctx: ModelContext, g: ChipRegion): RegionLayout {
  if (ctx.mapHasEspIdfRegions())
    ctx.notes.push(`${g.name}: the map has no memory region for it; its size is the ${ctx.chip.name}'s address range.`);
  return { start: g.ranges[0].start, end: g.ranges[0].end, size: regionSize(g), sizeSource: 'chip-table', reserved: [] };
}

/** IRAM and DRAM of one SRAM: free space is what lies above the higher of both, in data addresses. */
function poolFree(ctx: ModelContext, entries: RegionEntry[], layouts: Map<ChipRegion, RegionLayout>, tops: Map<ChipRegion, number>): void {
  const pools = new Map<string, ChipRegion[]>();
  for (const g of ctx.chip.regions) if (g.pool && layouts.has(g)) pools.set(g.pool.name, [...(pools.get(g.pool.name) ?? []), g]);
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

/** The symbols any region names as a boundary (one pass over a symbol table of 100k). */
function boundarySymbols(ctx: ModelContext): Symbol[] {
  const names = new Set(ctx.chip.regions.flatMap((g) => g.boundarySymbols));
  const found: Symbol[] = [];
  for (const sym of ctx.linkerSymbols()) {
    if (names.has(sym.name)) found.push(sym);
  }
  return found;
}

function boundaryOf(g: ChipRegion, candidates: Symbol[]): { symbol: string; address: number } | undefined {
  let best: { symbol: string; address: number } | undefined;
  if (g.boundarySymbols.length === 0) return undefined;
  for (const sym of candidates) {
    if (!g.boundarySymbols.includes(sym.name) || !rangeOf(g, sym.value)) continue;
    // The highest wins; at equal addresses the symbol listed first (`_heap_start` before `_bss_end`).
    const better =
      !best ||
      sym.value > best.address ||
      (sym.value === best.address && g.boundarySymbols.indexOf(sym.name) < g.boundarySymbols.indexOf(best.symbol));
    if (better) best = { symbol: sym.name, address: sym.value };
  }
  return best;
}

/** Bytes covered by the union of the sections' address ranges (overlay members count once). */
export function coveredBytes(sections: { address: number; size: number }[]): number {
  const sorted = [...sections].sort((a, b) => a.address - b.address);
  let total = 0;
  let cursor = -Infinity;
  for (const s of sorted) {
    const from = Math.max(s.address, cursor);
    const to = s.address + s.size;
    if (to > from) {
      total += to - from;
      cursor = to;
    }
  }
  return total;
}

// The dynamic libraries' slots: the `.mm.<lib>.*` sections, the RAM each slot reserves
// (from the fragment's `_mm_slot_*` symbols, or the overlay's members), and the flash slots
// with their pages in the instruction window and their images in the mmlib partition
// (docs/design.md §6a).
import { MM_SECTION } from '../conventions';
import type { ElfFile } from '../elf/reader';
import { SectionType, SHF_EXECINSTR, SHF_WRITE } from '../elf/types';
import { instructionWindow } from '../chips/chips';
import { regionOfSection } from '../chips/detect';
import { findDynamicLibraries } from '../split/libraries';
import { FLASH_PAGE } from '../link/config';
import { FLASH_CODE_REGION, FLASH_DIRECTORY_BYTES } from '../link/fragment';
import { OTHER, sum, type ModelContext } from './context';
import type { FlashSlotsEntry, SlotEntry } from './types';

export interface DynamicSection {
  library: string;
  kind: 'text' | 'data' | 'bss';
  name: string;
  address: number;
  size: number;
  progbits: boolean;
}

type SlotRange = { slot: string; kind: 'text' | 'data' | 'bss'; start: number; end: number };

const pages = (n: number) => Math.ceil(n / FLASH_PAGE) * FLASH_PAGE;

/** The `.mm.<lib>.*` sections: from the ELF, or (split ELF) from the original ELF or the map's record of the link. */
export function dynamicSections(ctx: ModelContext): DynamicSection[] {
  const of = (elf: ElfFile) =>
    findDynamicLibraries(elf).flatMap((l) =>
      (['text', 'data', 'bss'] as const).flatMap((kind) => {
        const s = l[kind];
        return s ? [{ library: l.name, kind, name: s.name, address: s.addr, size: s.size, progbits: s.type !== SectionType.NOBITS }] : [];
      }),
    );
  const fromElf = ctx.elf ? of(ctx.elf) : [];
  if (fromElf.length || (ctx.elf && !ctx.split)) return fromElf;
  if (ctx.fullElf) return of(ctx.fullElf);
  if (!ctx.map) {
    ctx.notes.push('This ELF was split, but there is no map file (nor .full.elf) to tell which libraries were moved out.');
    return [];
  }
  return ctx.map.sections.flatMap((s) => {
    const m = MM_SECTION.exec(s.name);
    return m
      ? [{ library: m[1], kind: m[2] as 'text' | 'data' | 'bss', name: s.name, address: s.address, size: s.size, progbits: m[2] !== 'bss' }]
      : [];
  });
}

/** The slots the dynamic libraries share, with the ranges each reserves. */
export function slots(ctx: ModelContext, dynamic: DynamicSection[]): SlotEntry[] {
  if (dynamic.length === 0) return [];
  const ranges = slotSymbols(ctx);
  const slotOf = new Map<string, string>();
  for (const d of dynamic) {
    if (slotOf.has(d.library)) continue;
    const hit = ranges.find((r) => r.kind === d.kind && d.address >= r.start && d.address < Math.max(r.end, r.start + 1));
    slotOf.set(d.library, hit?.slot ?? overlaySlot(d, dynamic, slotOf));
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
    const distinct = kinds.filter(
      (k) => !kinds.some((o) => o !== k && o.start <= k.start && k.start + k.size <= o.start + o.size && o.size > k.size),
    );
    const withRegions = distinct.map((k) => ({ ...k, region: regionOfAddress(ctx, k.start, k.kind) }));
    return {
      name,
      libraries,
      region: withRegions.find((k) => k.kind === 'text')?.region ?? withRegions[0]?.region ?? OTHER,
      size: sum(withRegions.map((k) => k.size)),
      ranges: withRegions,
      flashSaved: sum(members.filter((d) => d.progbits).map((d) => d.size)),
    };
  });
}

function overlaySlot(d: DynamicSection, all: DynamicSection[], known: Map<string, string>): string {
  const sharing = all.find((o) => o.library !== d.library && o.kind === d.kind && o.address === d.address && known.has(o.library));
  return sharing ? known.get(sharing.library)! : d.library;
}

function regionOfAddress(ctx: ModelContext, address: number, kind: 'text' | 'data' | 'bss'): string {
  const region = regionOfSection(ctx.chip, {
    name: '',
    addr: address,
    flags: kind === 'text' ? SHF_EXECINSTR : SHF_WRITE,
    type: kind === 'bss' ? SectionType.NOBITS : SectionType.PROGBITS,
  });
  return region?.name ?? OTHER;
}

/** `_mm_slot_<slot>_<text|data|bss>_<start|end>` written by the linker fragment. */
function slotSymbols(ctx: ModelContext): SlotRange[] {
  const found = new Map<string, SlotRange>();
  for (const sym of ctx.linkerSymbols()) {
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

/**
 * Flash slots are marked by the fragment's `_mm_slot_<slot>_flash = 1`, their images'
 * offsets by `_mm_<lib>_flash_offset`: ELF symbols, or (map only) the assignments ld
 * echoes into the map.
 */
function flashMarks(ctx: ModelContext): { slots: Set<string>; offsets: Map<string, number> } {
  const slots = new Set<string>();
  const offsets = new Map<string, number>();
  const add = (name: string, value: number) => {
    const slot = /^_mm_slot_(.+)_flash$/.exec(name);
    if (slot && value === 1) slots.add(slot[1]);
    const image = /^_mm_(.+)_flash_offset$/.exec(name);
    if (image) offsets.set(image[1], value);
  };
  for (const sym of ctx.linkerSymbols()) if (sym.name.endsWith('_flash') || sym.name.endsWith('_flash_offset')) add(sym.name, sym.value);
  const mapText = ctx.input.mapText;
  if (!slots.size && mapText !== undefined && ctx.map?.memory.some((m) => m.name === FLASH_CODE_REGION)) {
    for (const m of mapText.matchAll(/^[ \t]+0x([0-9a-fA-F]+)[ \t]+(_mm_\w+_flash(?:_offset)?) = /gm)) add(m[2], parseInt(m[1], 16));
  }
  return { slots, offsets };
}

/** The flash slots of the link (marking their SlotEntry `flash`), or undefined when it has none. */
export function flashSlots(ctx: ModelContext, slots: SlotEntry[], dynamic: DynamicSection[]): FlashSlotsEntry | undefined {
  const marks = flashMarks(ctx);
  // Map only, the slots are named by their libraries (no slot symbols): the fragment's region tells.
  const region = ctx.map?.memory.find((m) => m.name === FLASH_CODE_REGION);
  const inRegion = (slot: SlotEntry) =>
    slot.ranges.some(
      (r) => r.kind === 'text' && region !== undefined && r.start >= region.origin && r.start < region.origin + region.length,
    );
  const flash = slots.filter((s) => marks.slots.has(s.name) || inRegion(s));
  if (!flash.length) return undefined;
  const window = instructionWindow(ctx.chip.id);
  const appReach = ctx.input.largestAppPartition === undefined ? undefined : window.start + ctx.input.largestAppPartition;
  const entries = flash.map((slot) => {
    slot.flash = true;
    const text = slot.ranges.find((r) => r.kind === 'text');
    const start = text?.start ?? 0,
      size = text?.size ?? 0;
    if (appReach !== undefined && start < appReach)
      ctx.notes.push(
        `Flash slot ${slot.name} at 0x${start.toString(16)} is within the reach of the app's own flash code (up to 0x${appReach.toString(16)}): the link check refuses this firmware.`,
      );
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
  const entry: FlashSlotsEntry = {
    window: { start: window.start, end: window.end },
    ...(appReach !== undefined ? { appReach } : {}),
    slots: entries,
    images,
  };
  const p = ctx.input.libraryPartition;
  const used = FLASH_DIRECTORY_BYTES + sum(images.map((i) => i.reserved));
  if (p) {
    entry.partition = {
      name: p.name,
      offset: p.offset,
      size: p.size,
      used,
      free: Math.max(0, p.size - used),
      sizeSource: 'partition-table',
    };
    if (used > p.size)
      ctx.notes.push(
        `The flash-slot library images need ${used} bytes of the ${p.name} partition (64 KB directory + images), which has ${p.size}: the link check refuses this firmware.`,
      );
  } else {
    ctx.notes.push(
      `This firmware has flash slots, but ${ctx.input.largestAppPartition === undefined ? 'no partition table was found' : 'its partition table has no mmlib partition (data, subtype 0x40)'}: their images (${used} bytes with the 64 KB directory) are not shown against a partition.`,
    );
  }
  return entry;
}

// The memory-map model: chip regions × libraries, built from the ELF (the truth about
// sections, sizes and addresses) and the linker map (which archive or object each byte came
// from). The webview and `esp32mm map --json` show this object as it is; see
// docs/memmap-json.md for the fields. This file assembles the model from its parts:
//  - context.ts: the chip, ELF, map and notes every part reads;
//  - regions.ts: each section's region, the regions' sizes from the build, used and free;
//  - attribution.ts: which library each byte belongs to (map records, else symbols);
//  - libraries.ts: the per-library totals and the dynamic libraries' savings;
//  - slots.ts: the slots of the dynamic libraries and the flash slots;
//  - types.ts: the model's types.
//
// Invariants the tests check on every fixture:
//  - every section's size is the ELF's (what `size -A` prints);
//  - a region's `used` is the bytes its sections cover (their sum; overlay members that share
//    addresses count once);
//  - the libraries' totals plus `fill` equal the sum of the section sizes, exactly.
import { MM_SECTION } from '../conventions';
import { loadableBytes } from '../elf/reader';
import { SectionType } from '../elf/types';
import { MapFileError, parseMapFile } from '../mapfile/parse';
import { Attribution } from './attribution';
import { asElf, ModelContext, sum } from './context';
import { LibraryTotals, libraryList } from './libraries';
import { regions, SectionPlacement } from './regions';
import { dynamicSections, flashSlots, slots } from './slots';
import type { AppPartitionEntry, BuildMemoryMapInput, MemoryMapModel, SectionEntry } from './types';

export type * from './types';
export { MERGEABLE } from '../mapfile/records';
export { libraryName } from './libraries';
export { coveredBytes } from './regions';

export function buildMemoryMap(input: BuildMemoryMapInput): MemoryMapModel {
  if (!input.elf) {
    if (input.map === undefined && input.mapText === undefined)
      throw new MapFileError(0, 'nothing to analyse: give the firmware ELF, its map file, or both');
    // Map-only: the records are needed to derive the sections, so no streaming.
    const map = input.map ?? parseMapFile(input.mapText!, undefined, { skipDiscarded: true });
    return build(new ModelContext(undefined, map, input));
  }
  const elf = asElf(input.elf);
  const fullElf = input.fullElf ? asElf(input.fullElf) : undefined;
  // Attribute while parsing (no per-record objects), unless the parsed map is needed again
  // for the model of the original ELF.
  const stream = input.map === undefined && input.mapText !== undefined && !fullElf;
  const map =
    input.map ?? (input.mapText !== undefined && !stream ? parseMapFile(input.mapText, undefined, { skipDiscarded: true }) : undefined);
  const model = build(new ModelContext(elf, map, input, fullElf), stream ? input.mapText : undefined);
  if (fullElf && model.split) {
    const before = buildMemoryMap({ elf: fullElf, map, chip: model.chip, sdkconfig: input.sdkconfig, appPartition: input.appPartition });
    model.before = before;
    model.flashSaved = before.imageBytes - model.imageBytes;
  }
  return model;
}

/** `mapText`: parse the map here and attribute its records as they are read. */
function build(ctx: ModelContext, mapText?: string): MemoryMapModel {
  const elfSections = ctx.allocated;
  const placement = new SectionPlacement(ctx);
  const attribution = new Attribution(ctx, new LibraryTotals());
  let sections: SectionEntry[] | undefined;
  // Section entries need the map's memory configuration, complete once the first output section opens.
  const entries = () => (sections ??= elfSections.map((s) => placement.entry(s)));
  if (mapText !== undefined) attribution.parseStreaming(mapText, elfSections, entries);
  entries();
  placement.addNotes();
  const dynamic = dynamicSections(ctx);
  attribution.run(elfSections, sections!);
  for (const e of sections!) {
    const m = MM_SECTION.exec(e.name);
    if (m) e.library = m[1];
  }
  const slotList = slots(ctx, dynamic);
  const libraries = libraryList(ctx, attribution.libs, dynamic, slotList);
  const regionList = regions(ctx, sections!, slotList);
  const flash = flashSlots(ctx, slotList, dynamic);
  const { fillDetail } = attribution;
  const fill = fillDetail.padding + fillDetail.linkerData + fillDetail.placeholder;
  const dynamicSaved = libraries.reduce((total, l) => total + (l.flashSaved ?? 0), 0);
  // Map-only: the bytes of sections with contents are what the image holds.
  const contentBytes = sum(elfSections.filter((s) => s.type !== SectionType.NOBITS).map((s) => s.size));
  const imageBytes = ctx.elf ? loadableBytes(ctx.elf.segments) : contentBytes;
  return {
    chip: ctx.chip.id,
    chipName: ctx.chip.name,
    chipSource: ctx.chipSource,
    sectionsFrom: ctx.elf ? 'elf' : 'map',
    attribution: attribution.evidence,
    split: ctx.split,
    regions: regionList,
    sections: sections!,
    libraries,
    fill,
    fillDetail: { ...fillDetail },
    slots: slotList,
    imageBytes,
    appPartition: appPartition(ctx, contentBytes),
    flashSaved: dynamicSaved,
    notes: ctx.notes,
    ...(flash ? { flashSlots: flash } : {}),
  };
}

/** The app partition the image is flashed to, and how much of it the image fills. */
function appPartition(ctx: ModelContext, contentBytes: number): AppPartitionEntry | undefined {
  const p = ctx.input.appPartition;
  if (!p) {
    ctx.notes.push(
      'No partition table was found for this build (partitions.bin beside the firmware): flash use is not shown against the app partition.',
    );
    return undefined;
  }
  if (contentBytes > p.size)
    ctx.notes.push(
      `The firmware image (${contentBytes} bytes) is larger than its app partition ${p.name} (${p.size} bytes): it cannot be flashed.`,
    );
  return {
    name: p.name,
    offset: p.offset,
    size: p.size,
    used: contentBytes,
    free: Math.max(0, p.size - contentBytes),
    sizeSource: 'partition-table',
  };
}

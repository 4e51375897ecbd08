// What every part of the model reads: the chip, the ELF and the map of one build, the notes
// the parts add, and the linker symbols (decoded once).
import { readElf, type ElfFile } from '../elf/reader';
import { SHF_ALLOC, type Section, type Symbol } from '../elf/types';
import { linkerRegion, type Chip } from '../chips/chips';
import { detectChip, elfChipEvidence, type ChipSource } from '../chips/detect';
import type { MapFile } from '../mapfile/parse';
import { sdkconfigTarget } from '../platformio/sdkconfig';
import { isPlaceholderSection } from '../split/libraries';
import { sectionsFromMap } from './map-sections';
import type { BuildMemoryMapInput } from './types';

/** The split marker section (same name as src/core/split/split.ts; not imported to keep this module light). */
export const SPLIT_MARKER = '.esp32mm';
/** The region of sections outside every window of the chip. */
export const OTHER = 'Other';

export const asElf = (e: ElfFile | Uint8Array) => (e instanceof Uint8Array ? readElf(e) : e);

export function sum(values: number[]): number {
  let t = 0;
  for (const v of values) t += v;
  return t;
}

export class ModelContext {
  readonly chip: Chip;
  readonly chipSource: ChipSource;
  readonly notes: string[] = [];
  readonly split: boolean;
  /** The allocated sections: the ELF's, or in map-only mode the map's output sections. */
  readonly allocated: Section[];

  /** `map` is set later when the map is parsed while the model is built (streaming). */
  constructor(
    readonly elf: ElfFile | undefined,
    public map: MapFile | undefined,
    readonly input: BuildMemoryMapInput,
    readonly fullElf?: ElfFile,
  ) {
    this.allocated = elf
      ? elf.sections.filter((s) => (s.flags & SHF_ALLOC) !== 0 && s.size > 0 && s.name !== SPLIT_MARKER && !isPlaceholderSection(s.name))
      : sectionsFromMap(map!);
    const evidence = elf ? elfChipEvidence(elf) : { sections: this.allocated };
    const target = input.sdkconfig ? sdkconfigTarget(input.sdkconfig) : undefined;
    const choice = detectChip(
      { ...evidence, mapText: input.mapText, sdkconfigTarget: target },
      { override: input.chip, board: input.board },
    );
    this.chip = choice.chip;
    this.chipSource = choice.source;
    this.split = elf?.section(SPLIT_MARKER) !== undefined;
  }

  private underscoreSymbols?: Symbol[];

  /**
   * The symbols whose names start with `_`: every boundary and slot symbol does. With a map
   * file the model needs no others, and skipping the rest saves decoding 100k names.
   */
  linkerSymbols(): Symbol[] {
    return (this.underscoreSymbols ??= this.elf ? this.elf.symbolsStartingWith('_') : []);
  }

  /** Whether the map names ESP-IDF's memory regions (`iram0_0_seg`, …; see LINKER_REGIONS). */
  mapHasEspIdfRegions(): boolean {
    return this.map?.memory.some((m) => linkerRegion(m.name) !== undefined) ?? false;
  }
}

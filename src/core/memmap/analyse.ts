// Analysing a build, as the CLI (`esp32mm map`, `fragment --check-map`) and the extension
// (the Memory Map view, Problems) both do it. One rule for a map that cannot be read: a map
// the caller named is an error (it was asked for); a map found beside the ELF does not hide
// the memory map: the model is made from the ELF's symbols and its notes say why.
import type { ChipId } from '../chips/chips';
import { checkLinkMap, type LinkWarning } from '../link/mapcheck';
import { PartitionTableError, parsePartitionFile } from '../platformio/partitions';
import { MapFileError, decodeMapFile } from '../mapfile/parse';
import { INPUT_LIMITS, readInputFile } from '../util/input';
import { loadMemoryMap, type MemoryMapRequest } from './load';
import type { MemoryMapModel } from './model';

export async function analyseBuild(req: MemoryMapRequest): Promise<MemoryMapModel> {
  try {
    return await loadMemoryMap(req);
  } catch (e) {
    if (!(e instanceof MapFileError) || req.map || !req.elf) throw e;
    const model = await loadMemoryMap({ ...req, noMap: true });
    model.notes.unshift(`The linker map found beside the ELF could not be read (${e.message}); bytes are attributed by symbols instead.`);
    return model;
  }
}

/**
 * The link check of a build (src/core/link/mapcheck.ts): libraries not in their .mm
 * sections, parts left resident, ESP-IDF placements overridden and, with the ELF, resident
 * code pointing into a slot. Structured: each warning names its library.
 */
export async function checkBuildLink(
  mapFile: string,
  libs: string[],
  elf?: string,
  flash: { chip?: ChipId; partitions?: string } = {},
): Promise<LinkWarning[]> {
  const [mapBytes, elfBytes, tableBytes] = await Promise.all([
    readInputFile(mapFile, { what: 'map file', maxBytes: INPUT_LIMITS.map }),
    elf ? readInputFile(elf, { what: 'ELF file', maxBytes: INPUT_LIMITS.elf }) : undefined,
    flash.partitions ? readInputFile(flash.partitions, { what: 'partition table', maxBytes: INPUT_LIMITS.partitionTable }) : undefined,
  ]);
  // Flash slots are checked against the table the memory map used; a damaged one is already
  // the memory map's note (inputs.partitionTable.problem), so here it means "not checked".
  let partitions;
  try {
    partitions = tableBytes && { path: flash.partitions!, table: parsePartitionFile(new Uint8Array(tableBytes), flash.partitions!) };
  } catch (e) {
    if (!(e instanceof PartitionTableError)) throw e;
  }
  return checkLinkMap(decodeMapFile(mapBytes), libs, { elf: elfBytes && new Uint8Array(elfBytes), chip: flash.chip, partitions });
}

// The memory map of a build as the CLI (`esp32mm map`) and the extension show it: finds the
// map, partition table and sdkconfig that belong to the ELF (or analyses a map alone), reads
// them, builds the model and records in it which files were used and why any is missing.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { decodeMapFile } from '../mapfile/parse';
import { findMapFile, findPartitionTable, findSdkconfig, type Found, type Lookup } from '../platformio/artifacts';
import {
  PartitionTableError,
  firstAppPartition,
  largestAppPartition,
  libraryPartition,
  parsePartitionFile,
} from '../platformio/partitions';
import { parseSdkconfig } from '../platformio/sdkconfig';
import { fullElfPath } from '../split/split';
import { INPUT_LIMITS, InputFileError, readInputFile } from '../util/input';
import { buildMemoryMap, type MemoryMapModel } from './model';
import { Esp32mmError } from '../errors';

export interface MemoryMapRequest {
  /** The firmware ELF; optional when `map` is given (map-only, as esp-idf-size works). */
  elf?: string;
  /** The linker map; default: found beside the ELF (see findMapFile). */
  map?: string;
  /** Partition table, binary or CSV; default: found in the build folder. */
  partitions?: string;
  /** sdkconfig; default: found in the build or project folder. */
  sdkconfig?: string;
  chip?: string;
  board?: string;
  /** Analyse without a map even if one is there (symbols only): after the map failed to read. */
  noMap?: boolean;
}

/** Thrown for a request that names no input or a file that cannot be read. */
export class MemoryMapInputError extends Esp32mmError {
  readonly code = 'MEMMAP_INPUT';
}

async function read(path: string, what: string, maxBytes: number): Promise<Buffer> {
  try {
    return await readInputFile(path, { what, maxBytes });
  } catch (e) {
    if (e instanceof InputFileError) throw new MemoryMapInputError(e.message);
    throw e;
  }
}

const given = (path: string): Lookup => ({ found: { path: resolve(path), how: 'as given' } });

/**
 * The default boot app of the table, its largest app (how far the app's flash code can reach)
 * and the mmlib partition of flash slots. A damaged table does not hide the memory map: it
 * is reported as the partition table's problem, and flash use is then shown against nothing.
 */
function partitionsOf(
  bytes: Buffer,
  path: string,
): {
  app?: { name: string; offset: number; size: number };
  largestApp?: number;
  library?: { name: string; offset: number; size: number };
  problem?: string;
} {
  try {
    const table = parsePartitionFile(new Uint8Array(bytes), path);
    const app = firstAppPartition(table);
    if (!app) return { problem: `${path} has no app partition` };
    let lib;
    try {
      lib = libraryPartition(table);
    } catch (e) {
      if (!(e instanceof PartitionTableError)) throw e; // an mmlib of the wrong kind: shown as none (the link check names it)
    }
    return {
      app: { name: app.label, offset: app.offset, size: app.size },
      largestApp: largestAppPartition(table)?.size,
      library: lib && { name: lib.label, offset: lib.offset, size: lib.size },
    };
  } catch (e) {
    if (e instanceof PartitionTableError) return { problem: `${path} cannot be read: ${e.message}` };
    throw e;
  }
}

export async function loadMemoryMap(req: MemoryMapRequest): Promise<MemoryMapModel> {
  if (!req.elf && !req.map) throw new MemoryMapInputError('nothing to analyse: give the firmware ELF, its map file, or both');
  const elfPath = req.elf && resolve(req.elf);
  const buildDir = dirname(elfPath ?? resolve(req.map!));
  const map = req.map ? given(req.map) : req.noMap ? { problem: 'not used: it could not be read' } : findMapFile(elfPath!);
  const partitions = req.partitions ? given(req.partitions) : findPartitionTable(buildDir);
  const sdkconfig = req.sdkconfig ? given(req.sdkconfig) : findSdkconfig(buildDir);
  const fullPath = elfPath && fullElfPath(elfPath);
  const [elf, mapBytes, fullElf, tableBytes, configBytes] = await Promise.all([
    elfPath ? read(elfPath, 'ELF file', INPUT_LIMITS.elf) : undefined,
    map.found ? read(map.found.path, 'map file', INPUT_LIMITS.map) : undefined,
    fullPath && fullPath !== elfPath && existsSync(fullPath) ? read(fullPath, 'original ELF', INPUT_LIMITS.elf) : undefined,
    partitions.found ? read(partitions.found.path, 'partition table', INPUT_LIMITS.partitionTable) : undefined,
    sdkconfig.found ? read(sdkconfig.found.path, 'sdkconfig', INPUT_LIMITS.sdkconfig) : undefined,
  ]);
  const table = tableBytes ? partitionsOf(tableBytes, partitions.found!.path) : undefined;
  const model = buildMemoryMap({
    elf: elf && new Uint8Array(elf),
    mapText: mapBytes && decodeMapFile(mapBytes),
    fullElf: fullElf && new Uint8Array(fullElf),
    sdkconfig: configBytes && parseSdkconfig(configBytes.toString('utf8')),
    appPartition: table?.app,
    largestAppPartition: table?.largestApp,
    libraryPartition: table?.library,
    chip: req.chip,
    board: req.board,
  });
  model.inputs = {
    elf: elfPath ? { path: elfPath, how: 'as given' } : undefined,
    map: describe(map),
    partitionTable: table?.problem ? { problem: table.problem } : describe(partitions),
    sdkconfig: describe(sdkconfig),
  };
  return model;
}

function describe(l: Lookup): Found | { problem: string } {
  return l.found ?? { problem: l.problem ?? 'not found' };
}

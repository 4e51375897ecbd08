// The mmlib partition for flash slots (docs/design.md §6a), as `esp32mm init` sets it up:
// the project's own partition CSV gets the line; a table init cannot edit (the framework's
// default, one of the framework's bundled tables, a binary table) gets exact instructions.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { envOption } from './ini';
import { findPartitionTable } from './artifacts';
import {
  MMLIB_DEFAULT_SIZE,
  type Partition,
  PartitionTableError,
  mmlibCsvLine,
  parsePartitionFile,
  planLibraryPartition,
} from './partitions';
import type { PlatformioProject } from './project';

export interface LibraryPartitionSetup {
  /** The edited CSV, to be written with the rest of init's files. */
  write?: { path: string; data: string };
  /** What was done, or exactly what the user has to do. */
  messages: string[];
}

/** `4MB`, `16MB`, `4M`, `2048KB`: PlatformIO's board_upload.flash_size. */
export function parseFlashSize(text: string): number | undefined {
  const m = /^\s*(\d+)\s*(MB|M|KB|K)?\s*$/i.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * (/^k/i.test(m[2] ?? '') ? 1024 : 0x100000);
}

/** The project's partition CSV as board_build.partitions names it (it may not exist). */
export function partitionCsvPath(project: PlatformioProject, env: string): string | undefined {
  const named = envOption(project.doc, env, 'board_build.partitions')?.trim();
  return named ? (isAbsolute(named) ? named : join(project.dir, named)) : undefined;
}

export function setUpLibraryPartition(project: PlatformioProject, env: string): LibraryPartitionSetup {
  const named = envOption(project.doc, env, 'board_build.partitions')?.trim();
  const flashText = envOption(project.doc, env, 'board_upload.flash_size');
  const flashSize = flashText === undefined ? undefined : parseFlashSize(flashText);
  const line = mmlibCsvLine(MMLIB_DEFAULT_SIZE);
  const manual = (where: string) => [
    `flash slots need a partition for their library images: ${where}`,
    `    ${line}`,
    '  (type data, subtype 0x40; its offset on a 64 KB boundary; 1 MB holds the 64 KB directory and images up to 960 KB in all)',
  ];
  if (flashText !== undefined && flashSize === undefined) {
    return {
      messages: [
        `[env:${env}] board_upload.flash_size = ${flashText} is not a size such as 4MB: the mmlib partition was not added`,
        ...manual('add this line to the partition CSV where it fits'),
      ],
    };
  }
  if (!named) {
    return {
      messages: manual(
        `[env:${env}] uses the framework's default partition table, which init does not edit — copy it into the project as partitions.csv, add this line after its last partition (make room first if the table fills the flash), and set board_build.partitions = partitions.csv`,
      ),
    };
  }
  const path = partitionCsvPath(project, env)!;
  if (!existsSync(path)) {
    return {
      messages: manual(
        `board_build.partitions = ${named} is not a file of the project (one of the framework's bundled tables?), which init does not edit — copy it into the project, add this line after its last partition and point board_build.partitions at the copy`,
      ),
    };
  }
  if (!named.toLowerCase().endsWith('.csv')) {
    return {
      messages: manual(
        `board_build.partitions = ${named} is not a CSV table, which init does not edit — add this line to the CSV it is built from`,
      ),
    };
  }
  let plan;
  try {
    plan = planLibraryPartition(readFileSync(path, 'utf8'), flashSize, path);
  } catch (e) {
    if (e instanceof PartitionTableError)
      return {
        messages: [`${e.message}: the mmlib partition was not added`, ...manual(`fix ${path}, then run init again or add this line`)],
      };
    throw e;
  }
  if (plan.kind === 'present') {
    const p = plan.partition;
    const aligned = p.offset % 0x10000 === 0 ? '' : ` — move it to a 64 KB boundary (it starts at 0x${p.offset.toString(16)})`;
    return { messages: [`${path} already has the library partition "${p.label}" (${p.size} bytes)${aligned}`] };
  }
  if (plan.kind === 'manual') {
    return {
      messages: [
        `the mmlib partition was not added to ${path}: ${plan.problem}`,
        `  add this line after the last partition:`,
        `    ${plan.line}`,
      ],
    };
  }
  return { write: { path, data: plan.text }, messages: [`Added the library partition for flash slots to ${path}: ${plan.line}`] };
}

/**
 * The partition table flash slots are checked against: the project's CSV
 * (board_build.partitions), else the build's partitions.bin; undefined when there is none
 * or it cannot be read (the link check then says the slots were not checked).
 */
export function findProjectPartitions(
  project: PlatformioProject,
  env: string,
  buildDir: string,
): { path: string; table: Partition[] } | undefined {
  const csv = partitionCsvPath(project, env);
  const path = csv && existsSync(csv) ? csv : findPartitionTable(buildDir).found?.path;
  if (!path) return undefined;
  try {
    return { path, table: parsePartitionFile(new Uint8Array(readFileSync(path)), path) };
  } catch (e) {
    if (e instanceof PartitionTableError) return undefined;
    throw e;
  }
}

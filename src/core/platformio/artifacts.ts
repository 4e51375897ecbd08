// Where a build left the files the memory map reads besides the ELF: the linker map, the
// partition table and the sdkconfig. One lookup for the CLI and the extension, and it never
// falls back silently: every result says which file was used and why, or why none was.
//
// Layouts it knows:
//  - PlatformIO: `.pio/build/<env>/firmware.elf`; Arduino builds write `firmware.map` (when
//    linked with -Wl,-Map), ESP-IDF builds `<project>.map`; `partitions.bin` beside the ELF;
//    `sdkconfig.<env>` (or `sdkconfig`) in the project folder.
//  - idf.py: `build/<project>.elf`, `build/<project>.map`, `build/partition_table/partition-table.bin`,
//    `sdkconfig` in the project folder.
//  - our build hook's record, `esp32mm-build.json` beside the ELF: `{ elf, map, partitions }`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The record the build hook writes after every link (see firmware/extra_script). */
export const BUILD_RECORD = 'esp32mm-build.json';

export interface Found {
  path: string;
  /** How it was found, for the user: "beside firmware.elf", "recorded by the build hook", … */
  how: string;
}

export interface Lookup {
  found?: Found;
  /** When nothing was found (or several candidates): what was looked for and what to do. */
  problem?: string;
}

interface BuildRecord {
  elf?: string;
  map?: string;
  partitions?: string | null;
}

function readBuildRecord(buildDir: string): BuildRecord | undefined {
  const file = join(buildDir, BUILD_RECORD);
  if (!existsSync(file)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof record === 'object' && record !== null ? (record as BuildRecord) : undefined;
  } catch {
    return undefined;
  }
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/**
 * The linker map of an ELF: the map the build hook recorded, `<name>.map` beside the ELF
 * (`firmware.full.elf` → `firmware.map` too), `firmware.map`, else the only `.map` file in
 * the build folder (ESP-IDF names it after the project).
 */
export function findMapFile(elfPath: string): Lookup {
  const dir = dirname(elfPath);
  const recorded = readBuildRecord(dir)?.map;
  if (typeof recorded === 'string' && isFile(recorded))
    return { found: { path: recorded, how: `recorded by the build hook in ${BUILD_RECORD}` } };
  const stem = basename(elfPath).replace(/\.elf$/, '');
  for (const name of [...new Set([`${stem}.map`, `${stem.replace(/\.full$/, '')}.map`, 'firmware.map'])]) {
    const p = join(dir, name);
    if (isFile(p)) return { found: { path: p, how: `beside ${basename(elfPath)}` } };
  }
  const maps = readdirSync(dir).filter((f) => f.endsWith('.map') && isFile(join(dir, f)));
  if (maps.length === 1) return { found: { path: join(dir, maps[0]), how: `the only map file in ${dir}` } };
  if (maps.length > 1)
    return { problem: `${maps.length} map files in ${dir} (${maps.join(', ')}) and none is named after ${basename(elfPath)}: choose one` };
  return { problem: `no linker map in ${dir}: link with -Wl,-Map=<file> (the build integration adds it) for exact attribution` };
}

/** The binary partition table of a build folder (PlatformIO or idf.py layout, or the hook's record). */
export function findPartitionTable(buildDir: string): Lookup {
  const recorded = readBuildRecord(buildDir)?.partitions;
  if (typeof recorded === 'string' && isFile(recorded))
    return { found: { path: recorded, how: `recorded by the build hook in ${BUILD_RECORD}` } };
  for (const name of ['partitions.bin', join('partition_table', 'partition-table.bin'), 'partition-table.bin']) {
    const p = join(buildDir, name);
    if (isFile(p)) return { found: { path: p, how: `in the build folder` } };
  }
  return { problem: `no partition table (partitions.bin) in ${buildDir}: build the project once, or choose the table` };
}

/**
 * The sdkconfig of a build: in the build folder or the project folder above it (PlatformIO:
 * `<project>/.pio/build/<env>`, idf.py: `<project>/build`): `sdkconfig.<env>`, `sdkconfig`,
 * or the only `sdkconfig.*` there. Arduino builds have none (their SDK is precompiled).
 */
export function findSdkconfig(buildDir: string): Lookup {
  const env = basename(buildDir);
  const folders = [buildDir, dirname(buildDir), dirname(dirname(dirname(buildDir)))];
  for (const dir of [...new Set(folders)]) {
    if (!existsSync(dir)) continue;
    for (const name of [`sdkconfig.${env}`, 'sdkconfig']) {
      const p = join(dir, name);
      if (isFile(p)) return { found: { path: p, how: `in ${dir}` } };
    }
    const others = readdirSync(dir).filter(
      (f) => /^sdkconfig\.[^.]+$/.test(f) && !['sdkconfig.defaults', 'sdkconfig.old'].includes(f) && isFile(join(dir, f)),
    );
    if (others.length === 1) return { found: { path: join(dir, others[0]), how: `the only sdkconfig in ${dir}` } };
  }
  return {
    problem: `no sdkconfig in ${[...new Set(folders)].join(', ')} (Arduino builds have none; ESP-IDF keeps sdkconfig or sdkconfig.<env> in the project folder)`,
  };
}

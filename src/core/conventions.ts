// The names, suffixes and patterns that the link fragment, the map check, the split, the
// memory map, install and the build hook must agree on, written once. The library-name rule
// itself is src/core/names.ts; the chip table is src/core/chips/chips.ts. The build hook
// (Python) gets these facts from `esp32mm config --json`, never from a copy.
import { join } from 'node:path';

/** Every output section of a dynamic library is `.mm.<id>.<kind>` (docs/design.md §4). */
export const MM_SECTION_PREFIX = '.mm.';
export type MmSectionKind = 'text' | 'data' | 'bss';
/** `.mm.<id>.text|data|bss`, the library's identifier in group 1, the kind in group 2. */
export const MM_SECTION = /^\.mm\.(.+)\.(text|data|bss)$/;

export function mmSectionName(id: string, kind: MmSectionKind): string {
  return `${MM_SECTION_PREFIX}${id}.${kind}`;
}

/** Any `.mm.*` section: one the fragment made for a dynamic library. */
export function isMmSection(name: string): boolean {
  return name.startsWith(MM_SECTION_PREFIX);
}

/** The section the split adds to the stripped ELF: its presence means "already split" (docs/design.md §5). */
export const SPLIT_MARKER_SECTION = '.esp32mm';

/** The archive PlatformIO builds from `lib/<name>/`, which the fragment's rules select. */
export function libraryArchive(name: string): string {
  return `lib${name}.a`;
}

/** The split's two files of a library: code and data (docs/format.md). */
export const CODE_FILE_SUFFIX = '_e';
export const DATA_FILE_SUFFIX = '_d';

/** Where the device reads the library files from: custom_mm_storage. */
export const STORAGE_KINDS = ['sd', 'spiffs', 'littlefs'] as const;
export type Storage = (typeof STORAGE_KINDS)[number];

export function isStorage(value: string | undefined): value is Storage {
  return (STORAGE_KINDS as readonly string[]).includes(value ?? '');
}

/** custom_mm_storage when it is not set. */
export const DEFAULT_STORAGE: Storage = 'sd';
/** custom_mm_dir when it is not set: the folder on the device filesystem. */
export const DEFAULT_DEVICE_DIR = '/mm';

/** The folder, in the project, the split writes into: the device path's last part. */
export const OUTPUT_FOLDER = 'mm';

/**
 * The project folder the split writes the files of `storage` into (docs/design.md §5):
 * `sd/mm` for an SD card (copied by hand or uploaded), `<data_dir>/mm` for SPIFFS and
 * LittleFS (PlatformIO builds the filesystem image from data_dir).
 */
export function outputFolder(storage: Storage, projectDir: string, dataDir: string): string {
  return storage === 'sd' ? join(projectDir, 'sd', OUTPUT_FOLDER) : join(dataDir, OUTPUT_FOLDER);
}

/**
 * Our own list options (custom_mm_libs, a slot's members, --libs): names separated by
 * commas and/or whitespace, as users write both.
 */
export function splitList(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

/**
 * PlatformIO's multi-value options (extra_scripts, extends, default_envs, framework):
 * entries separated by newlines and/or commas, as PlatformIO itself splits them.
 */
export function splitMultiValue(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Options with one entry a line (custom_mm_slots): the non-blank lines, trimmed. */
export function splitLines(value: string): string[] {
  return value
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
}

// A PlatformIO project as the Memory Manager sees it: its environments, where a build of
// one leaves firmware.elf / firmware.map, and the `custom_mm_*` options (docs/design.md §3).
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_DEVICE_DIR, type Storage, STORAGE_KINDS, isStorage, outputFolder, splitLines, splitList } from '../conventions';
import { checkLibraryNames } from '../split/libraries';
import { type IniDocument, chooseEnv, envOption, parseIni, platformioOption } from './ini';
import { Esp32mmError } from '../errors';

/** The folder given is not a PlatformIO project (no platformio.ini there). */
export class ProjectError extends Esp32mmError {
  readonly code = 'PROJECT';
}

export const PLATFORMIO_INI = 'platformio.ini';

export interface PlatformioProject {
  dir: string;
  iniPath: string;
  doc: IniDocument;
}

export function loadProject(projectDir: string): PlatformioProject {
  const dir = resolve(projectDir);
  const iniPath = join(dir, PLATFORMIO_INI);
  let text: string;
  try {
    text = readFileSync(iniPath, 'utf8');
  } catch {
    throw new ProjectError(`${iniPath} not found: point to the folder that holds the PlatformIO project's platformio.ini`);
  }
  return { dir, iniPath, doc: parseIni(text) };
}

export interface BuildOutputs {
  buildDir: string;
  elf: string;
  /** The unsplit ELF the splitter keeps beside the stripped one. */
  fullElf: string;
  map: string;
  bin: string;
}

function projectPath(project: PlatformioProject, p: string): string {
  return isAbsolute(p) ? p : join(project.dir, p);
}

/** `<build_dir>/<env>/firmware.*`; build_dir defaults to `.pio/build`. */
export function buildOutputs(project: PlatformioProject, env: string, progName = 'firmware'): BuildOutputs {
  const buildDir = join(projectPath(project, platformioOption(project.doc, 'build_dir')!), env);
  const file = (ext: string) => join(buildDir, `${progName}${ext}`);
  return { buildDir, elf: file('.elf'), fullElf: file('.full.elf'), map: file('.map'), bin: file('.bin') };
}

export type { Storage };

export interface MmOptions {
  env: string;
  libs: string[];
  /** Raw `custom_mm_slots` entries, one per line (`ai: A B`). */
  slots: string[];
  code?: string;
  data?: string;
  /** custom_mm_ctors and custom_mm_psram_code_addr as written (validated by the link configuration). */
  ctors?: string;
  psramCodeAddr?: string;
  /** custom_mm_flash_code_addr as written: where flash slots start (docs/design.md §6a). */
  flashCodeAddr?: string;
  /** custom_mm_chip as written; the environment's chip is resolved by envChip (env-chip.ts). */
  chip?: string;
  storage?: Storage;
  /** Folder on the device filesystem (custom_mm_dir), default /mm. */
  deviceDir: string;
  /** Where the split writes <lib>_e/<lib>_d in the project (docs/design.md §5). */
  outDir?: string;
}

/** The Memory Manager options of an environment (`custom_mm_*`), with inheritance resolved. */
export function readMmOptions(project: PlatformioProject, requestedEnv?: string): MmOptions {
  const env = chooseEnv(project.doc, requestedEnv);
  const get = (name: string) => envOption(project.doc, env, `custom_mm_${name}`);
  const libs = splitList(get('libs') ?? '');
  // Names from a cloned project become file names and symbols: checked before anything uses them.
  checkLibraryNames(libs, `in custom_mm_libs of [env:${env}]`);
  const slots = splitLines(get('slots') ?? '');
  const storage = get('storage') || undefined;
  if (storage !== undefined && !isStorage(storage)) {
    throw new Error(`[env:${env}] custom_mm_storage = ${storage}: use ${STORAGE_KINDS.join(', ')}`);
  }
  const text = (name: string) => get(name) || undefined;
  return {
    env,
    libs,
    slots,
    code: text('code'),
    data: text('data'),
    ctors: text('ctors'),
    psramCodeAddr: text('psram_code_addr'),
    flashCodeAddr: text('flash_code_addr'),
    chip: text('chip'),
    storage,
    deviceDir: get('dir') || DEFAULT_DEVICE_DIR,
    outDir: storage ? libraryOutDir(project, storage) : undefined,
  };
}

/** The project folder the split writes into (src/core/conventions.ts outputFolder). */
export function libraryOutDir(project: PlatformioProject, storage: Storage): string {
  return outputFolder(storage, project.dir, projectPath(project, platformioOption(project.doc, 'data_dir')!));
}

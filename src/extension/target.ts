// The project and environment a command acts on (the "target"), and what follows from it
// with the VS Code settings applied: the build's files, the storage, the output folder, the
// serial port and baud rate. No 'vscode' here (the settings come in typed, config.ts), so it
// is unit-tested directly; the facts themselves are core's (src/core/platformio).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  type BuildOutputs,
  type MmOptions,
  type PlatformioProject,
  type Storage,
  buildOutputs,
  libraryOutDir,
  loadProject as loadPio,
  readMmOptions,
} from '../core/platformio/project';
import { defaultEnvs, envOption, listEnvs, platformioOption } from '../core/platformio/ini';
import { findPartitionTable } from '../core/platformio/artifacts';
import { DEFAULT_DEVICE_DIR, DEFAULT_STORAGE } from '../core/conventions';
import { envChip } from '../core/platformio/env-chip';
import { hookRuns, libDirOf, usesMemoryManager as projectUsesMemoryManager } from '../core/platformio/integration';
import type { Settings } from './config';
import type { SourceRoots } from './sources';

export interface Environment {
  name: string;
  board?: string;
  mm: MmOptions;
  outputs: BuildOutputs;
  /** A problem reading this env's custom_mm_* options (shown, not fatal). */
  problem?: string;
}

export interface Project {
  root: string;
  /** Short name for the UI: the folder name, workspace-relative when nested. */
  label: string;
  iniPath: string;
  pio: PlatformioProject;
  envs: Environment[];
  defaultEnvs: string[];
}

export interface Target {
  project: Project;
  env: Environment;
}

export function loadProject(root: string, label = path.basename(root)): Project {
  const pio = loadPio(root);
  const envs = listEnvs(pio.doc).map((name): Environment => {
    let mm: MmOptions;
    let problem: string | undefined;
    try {
      mm = readMmOptions(pio, name);
    } catch (e) {
      problem = (e as Error).message;
      mm = { env: name, libs: [], slots: [], deviceDir: DEFAULT_DEVICE_DIR };
    }
    return { name, board: envOption(pio.doc, name, 'board'), mm, outputs: buildOutputs(pio, name), problem };
  });
  return { root: pio.dir, iniPath: pio.iniPath, pio, envs, defaultEnvs: defaultEnvs(pio.doc), label };
}

/** One key per project and environment (state, storage, Problems). */
export const targetKey = (t: Target) => `${t.project.root}\0${t.env.name}`;
export const firmwareElf = (t: Target) => t.env.outputs.elf;
/** The original ELF the splitter keeps (docs/design.md §5). */
export const fullElf = (t: Target) => t.env.outputs.fullElf;
/**
 * The chip platformio.ini names for the environment, by core's one rule: custom_mm_chip (any
 * spelling), else board_build.mcu. The board itself goes to the memory map as the board (so
 * the model says the chip came from it); the build's own evidence decides when none is set.
 * A custom_mm_chip core does not know is passed on as written, so the map says what is wrong.
 */
export function chipOption(t: Target): string | undefined {
  try {
    const named = envChip(t.project.pio, t.env.name);
    return named && (named.source === 'custom_mm_chip' || named.source === 'board_build.mcu') ? named.chip : undefined;
  } catch {
    return envOption(t.project.pio.doc, t.env.name, 'custom_mm_chip');
  }
}
export const dynamicLibraryNames = (t: Target) => t.env.mm.libs;
/** Whether the env uses the Memory Manager: libraries chosen, the integration installed or the hook run. */
export const usesMemoryManager = (t: Target) => projectUsesMemoryManager(t.project.pio, t.env.name, t.env.mm.libs);
/** Whether the build hook runs for the env (it splits every build before firmware.bin). */
export const buildHookRuns = (t: Target) => hookRuns(t.project.pio.doc, t.env.name);
/** `lib_dir` of the project: the folders a library can be made dynamic from. */
export const libDir = (t: Target) => libDirOf(t.project.pio);

/** The `esp32mm.mapFile` setting as an absolute path, if set. */
export function mapSetting(t: Target, s: Settings): string | undefined {
  return s.mapFile ? path.resolve(t.project.root, s.mapFile) : undefined;
}

/**
 * The partition table when the build folder has no partitions.bin: the CSV named by
 * `board_build.partitions`, if it is a file of the project (PlatformIO's built-in tables
 * live in the framework and are not read).
 */
export function partitionCsv(t: Target): string | undefined {
  if (findPartitionTable(path.dirname(t.env.outputs.elf)).found) return undefined;
  const csv = envOption(t.project.pio.doc, t.env.name, 'board_build.partitions');
  if (!csv) return undefined;
  const p = path.resolve(t.project.root, csv);
  return fs.existsSync(p) ? p : undefined;
}

/** The folders whose files the memory map's rows open: src_dir, lib_dir and the env's libdeps (platformio.ini's [platformio] options). */
export function sourceRoots(t: Target): SourceRoots {
  // core's platformioOption gives PlatformIO's defaults (src, lib, .pio/libdeps) for options not set
  const dir = (option: string) => path.resolve(t.project.root, platformioOption(t.project.pio.doc, option)!);
  return { projectRoot: t.project.root, srcDir: dir('src_dir'), libDir: libDir(t), libdepsDir: path.join(dir('libdeps_dir'), t.env.name) };
}

export function storageOf(t: Target, s: Settings): Storage {
  return s.storage !== 'auto' ? s.storage : (t.env.mm.storage ?? DEFAULT_STORAGE);
}

/** Project folder holding the split files: sd/mm for SD cards, <data_dir>/mm for SPIFFS/LittleFS. */
export function outputDir(t: Target, s: Settings): string {
  return libraryOutDir(t.project.pio, storageOf(t, s));
}

export function deviceFolder(t: Target, s: Settings): string {
  return s.deviceFolder || t.env.mm.deviceDir;
}

/** Where the upload's serial port comes from: the machine's setting, else platformio.ini. */
export interface PortChoice {
  port: string;
  from: 'esp32mm.serialPort' | 'upload_port' | 'monitor_port';
}

/**
 * The board's port: the esp32mm.serialPort setting (machine-scoped: a path of this computer,
 * never read from a workspace), else the env's `upload_port`, else its `monitor_port` (a
 * PlatformIO wildcard such as `/dev/ttyUSB*` names no one port and is skipped).
 */
export function serialPortOf(t: Target, s: Settings): PortChoice | undefined {
  if (s.serialPort) return { port: s.serialPort, from: 'esp32mm.serialPort' };
  for (const option of ['upload_port', 'monitor_port'] as const) {
    const v = envOption(t.project.pio.doc, t.env.name, option)?.trim();
    if (v && !/[*?[]/.test(v)) return { port: v, from: option };
  }
  return undefined;
}

/**
 * The transfer's baud rate: the esp32mm.baudRate setting when the user set it, else the env's
 * `monitor_speed` (the rate the firmware opens its serial port at, so the agent's too), else the default.
 */
export function baudRateOf(t: Target, s: Settings): number {
  if (s.baudRate.explicit) return s.baudRate.explicit;
  const speed = Number(envOption(t.project.pio.doc, t.env.name, 'monitor_speed'));
  return Number.isInteger(speed) && speed > 0 ? speed : s.baudRate.default;
}

function mtime(f: string): number {
  try {
    return fs.statSync(f).mtimeMs;
  } catch {
    return 0;
  }
}

/** The environment to show by default: the most recently built, else default_envs, else the first. */
export function defaultEnv(p: Project): Environment | undefined {
  let best: Environment | undefined;
  let bestTime = 0;
  for (const env of p.envs) {
    const t = mtime(env.outputs.elf);
    if (t > bestTime) {
      best = env;
      bestTime = t;
    }
  }
  return best ?? p.envs.find((e) => p.defaultEnvs.includes(e.name)) ?? p.envs[0];
}

/** Which project + env a changed firmware.elf belongs to (watcher events). */
export function targetOfElf(projects: Project[], elf: string): Target | undefined {
  const wanted = path.resolve(elf);
  for (const project of projects) {
    const env = project.envs.find((e) => path.resolve(e.outputs.elf) === wanted);
    if (env) return { project, env };
  }
  return undefined;
}

// PlatformIO projects in the workspace (multi-root: any folder holding a platformio.ini) and
// their environments, read with src/core/platformio; plus the VS Code settings that override
// platformio.ini (storage, device folder).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  type BuildOutputs, type MmOptions, type PlatformioProject, type Storage, buildOutputs, libraryOutDir, loadProject as loadPio,
  readMmOptions,
} from '../core/platformio/project';
import { defaultEnvs, envOption, listEnvs, platformioOption } from '../core/platformio/ini';
import type { SourceRoots } from './sources';
import { findMapFile, findPartitionTable } from '../core/platformio/artifacts';
import { log } from './log';

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

const EXCLUDE = '{**/.pio/**,**/node_modules/**,**/.git/**}';

export async function discoverProjects(): Promise<Project[]> {
  const inis = await vscode.workspace.findFiles('**/platformio.ini', EXCLUDE, 100);
  const projects: Project[] = [];
  for (const uri of inis.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) {
    try {
      projects.push(loadProject(path.dirname(uri.fsPath)));
    } catch (e) {
      // One unreadable platformio.ini must not hide the other projects.
      log.warn(`Skipping ${uri.fsPath}: ${(e as Error).message}`);
    }
  }
  return projects;
}

export function loadProject(root: string): Project {
  const pio = loadPio(root);
  const envs = listEnvs(pio.doc).map((name): Environment => {
    let mm: MmOptions;
    let problem: string | undefined;
    try {
      mm = readMmOptions(pio, name);
    } catch (e) {
      problem = (e as Error).message;
      mm = { env: name, libs: [], slots: [], deviceDir: '/mm' };
    }
    return { name, board: envOption(pio.doc, name, 'board'), mm, outputs: buildOutputs(pio, name), problem };
  });
  return { root: pio.dir, iniPath: pio.iniPath, pio, envs, defaultEnvs: defaultEnvs(pio.doc), label: projectLabel(pio.dir) };
}

/** The workspace folder's name (as the Explorer shows it), plus the path below it if nested. */
function projectLabel(root: string): string {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(root));
  if (!folder) return path.basename(root);
  const rel = path.relative(folder.uri.fsPath, root).split(path.sep).join('/');
  if (!rel) return folder.name;
  return (vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? `${folder.name}/${rel}` : rel;
}

export const firmwareElf = (t: Target) => t.env.outputs.elf;
/** The original ELF the splitter keeps (docs/design.md §5). */
export const fullElf = (t: Target) => t.env.outputs.fullElf;
/**
 * The linker map of the target's build: the `esp32mm.mapFile` setting (relative to the
 * project folder), else what core finds beside firmware.elf (the build hook's record,
 * <project>.map of ESP-IDF builds, firmware.map). `problem` says why there is none.
 */
export function mapFile(t: Target): { path?: string; problem?: string } {
  const setting = mapSetting(t);
  if (setting) return fs.existsSync(setting) ? { path: setting } : { problem: `the map set in esp32mm.mapFile (${setting}) does not exist` };
  if (!fs.existsSync(path.dirname(t.env.outputs.elf))) return { problem: 'no build yet' };
  const found = findMapFile(t.env.outputs.elf);
  return found.found ? { path: found.found.path } : { problem: found.problem };
}

/** The `esp32mm.mapFile` setting as an absolute path, if set. */
export function mapSetting(t: Target): string | undefined {
  const setting = settings(t).get<string>('mapFile', '').trim();
  return setting ? path.resolve(t.project.root, setting) : undefined;
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
  const dir = (option: string, fallback: string) => path.resolve(t.project.root, platformioOption(t.project.pio.doc, option) ?? fallback);
  return {
    projectRoot: t.project.root, srcDir: dir('src_dir', 'src'), libDir: dir('lib_dir', 'lib'),
    libdepsDir: path.join(dir('libdeps_dir', '.pio/libdeps'), t.env.name),
  };
}

/** `custom_mm_chip` of the environment, which wins over the board and the build. */
export const chipOption = (t: Target) => envOption(t.project.pio.doc, t.env.name, 'custom_mm_chip');
export const dynamicLibraryNames = (t: Target) => t.env.mm.libs;

function settings(t: Target) {
  return vscode.workspace.getConfiguration('esp32mm', vscode.Uri.file(t.project.root));
}

export function storageOf(t: Target): Storage {
  const setting = settings(t).get<string>('storage', 'auto');
  if (setting === 'sd' || setting === 'spiffs' || setting === 'littlefs') return setting;
  return t.env.mm.storage ?? 'sd';
}

/** Project folder holding the split files: sd/mm for SD cards, <data_dir>/mm for SPIFFS/LittleFS. */
export function outputDir(t: Target): string {
  return libraryOutDir(t.project.pio, storageOf(t));
}

/** Where the upload's serial port comes from: the machine's setting, else platformio.ini. */
export interface PortChoice { port: string; from: 'esp32mm.serialPort' | 'upload_port' | 'monitor_port' }

/**
 * The board's port: the esp32mm.serialPort setting (machine-scoped: a path of this computer,
 * never read from a workspace), else the env's `upload_port`, else its `monitor_port` (a
 * PlatformIO wildcard such as `/dev/ttyUSB*` names no one port and is skipped).
 */
export function serialPortOf(t: Target): PortChoice | undefined {
  const setting = settings(t).get<string>('serialPort', '').trim();
  if (setting) return { port: setting, from: 'esp32mm.serialPort' };
  for (const option of ['upload_port', 'monitor_port'] as const) {
    const v = envOption(t.project.pio.doc, t.env.name, option)?.trim();
    if (v && !/[*?[]/.test(v)) return { port: v, from: option };
  }
  return undefined;
}

/**
 * The transfer's baud rate: the esp32mm.baudRate setting when the user set it, else the env's
 * `monitor_speed` (the rate the firmware opens its serial port at, so the agent's too), else 921600.
 */
export function baudRateOf(t: Target): number {
  const setting = settings(t).inspect<number>('baudRate');
  const explicit = setting?.workspaceFolderValue ?? setting?.workspaceValue ?? setting?.globalValue;
  if (explicit) return explicit;
  const speed = Number(envOption(t.project.pio.doc, t.env.name, 'monitor_speed'));
  return Number.isInteger(speed) && speed > 0 ? speed : setting?.defaultValue ?? 921600;
}

/** Whether the env uses the Memory Manager: dynamic libraries chosen, or the build hook installed. */
export function usesMemoryManager(t: Target): boolean {
  return t.env.mm.libs.length > 0 || /memory_manager\.py/.test(envOption(t.project.pio.doc, t.env.name, 'extra_scripts') ?? '');
}

export function deviceFolder(t: Target): string {
  return settings(t).get<string>('deviceFolder', '') || t.env.mm.deviceDir;
}

function mtime(f: string): number {
  try { return fs.statSync(f).mtimeMs; } catch { return 0; }
}

/** The environment to show by default: the most recently built, else default_envs, else the first. */
export function defaultEnv(p: Project): Environment | undefined {
  let best: Environment | undefined;
  let bestTime = 0;
  for (const env of p.envs) {
    const t = mtime(env.outputs.elf);
    if (t > bestTime) { best = env; bestTime = t; }
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

// PlatformIO projects in the workspace (multi-root: any folder holding a platformio.ini),
// their environments, and the build outputs the extension reads.
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { readPlatformioIni, type PioEnvironment } from './core';

export type Storage = 'sd' | 'spiffs' | 'littlefs';

export interface Project {
  root: string;
  /** Short name for the UI: the folder name (workspace-relative when nested). */
  label: string;
  iniPath: string;
  envs: PioEnvironment[];
  defaultEnvs: string[];
}

export interface Target {
  project: Project;
  env: PioEnvironment;
}

const EXCLUDE = '{**/.pio/**,**/node_modules/**,**/.git/**}';

export async function discoverProjects(): Promise<Project[]> {
  const inis = await vscode.workspace.findFiles('**/platformio.ini', EXCLUDE, 100);
  const projects: Project[] = [];
  for (const uri of inis.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) {
    try {
      projects.push(loadProject(uri.fsPath));
    } catch (e) {
      // An unreadable platformio.ini must not hide the others; the log says which one.
      const { log } = await import('./log');
      log.warn(`Skipping ${uri.fsPath}: ${(e as Error).message}`);
    }
  }
  return projects;
}

export function loadProject(iniPath: string): Project {
  const root = path.dirname(iniPath);
  const cfg = readPlatformioIni(iniPath);
  const rel = vscode.workspace.asRelativePath(root, true);
  return { root, iniPath, envs: cfg.envs, defaultEnvs: cfg.defaultEnvs, label: rel && rel !== root ? rel : path.basename(root) };
}

export function buildDir(t: Target): string {
  return path.join(t.project.root, '.pio', 'build', t.env.name);
}

export function firmwareElf(t: Target): string {
  return path.join(buildDir(t), 'firmware.elf');
}

/** The original ELF kept by the splitter (DESIGN §5). */
export function fullElf(t: Target): string {
  return path.join(buildDir(t), 'firmware.full.elf');
}

export function mapFile(t: Target): string | undefined {
  const f = path.join(buildDir(t), 'firmware.map');
  return fs.existsSync(f) ? f : undefined;
}

export function storageOf(t: Target): Storage {
  const setting = vscode.workspace.getConfiguration('esp32mm', vscode.Uri.file(t.project.root)).get<string>('storage', 'auto');
  const v = (setting !== 'auto' ? setting : t.env.options.custom_mm_storage ?? 'sd').trim().toLowerCase();
  return v === 'spiffs' || v === 'littlefs' ? v : 'sd';
}

/** Project folder holding the split files: sd/mm for SD cards, data/mm for SPIFFS/LittleFS. */
export function outputDir(t: Target): string {
  return path.join(t.project.root, storageOf(t) === 'sd' ? 'sd' : 'data', 'mm');
}

export function deviceFolder(t: Target): string {
  const setting = vscode.workspace.getConfiguration('esp32mm', vscode.Uri.file(t.project.root)).get<string>('deviceFolder', '');
  return setting || t.env.options.custom_mm_dir?.trim() || '/mm';
}

export function dynamicLibraryNames(t: Target): string[] {
  return (t.env.options.custom_mm_libs ?? '').split(/[\s,]+/).filter(Boolean);
}

function mtime(f: string): number {
  try { return fs.statSync(f).mtimeMs; } catch { return 0; }
}

/** The environment to show by default: the most recently built, else default_envs, else the first. */
export function defaultEnv(p: Project): PioEnvironment | undefined {
  let best: PioEnvironment | undefined;
  let bestTime = 0;
  for (const env of p.envs) {
    const t = mtime(firmwareElf({ project: p, env }));
    if (t > bestTime) { best = env; bestTime = t; }
  }
  return best ?? p.envs.find((e) => p.defaultEnvs.includes(e.name)) ?? p.envs[0];
}

/** Which project + env an ELF path belongs to (for watcher events). */
export function targetOfElf(projects: Project[], elf: string): Target | undefined {
  const m = /[\\/]\.pio[\\/]build[\\/]([^\\/]+)[\\/]firmware\.elf$/.exec(elf);
  if (!m) return undefined;
  const root = elf.slice(0, m.index);
  const project = projects.find((p) => path.resolve(p.root) === path.resolve(root));
  const env = project?.envs.find((e) => e.name === m[1]);
  return project && env ? { project, env } : undefined;
}

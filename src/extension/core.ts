// The one place where the extension calls into src/core. Everything here is a thin
// adaptation (paths, cancellation, progress callbacks); the logic lives in core.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readElf } from '../core/elf/reader';
import { SPLIT_MARKER_SECTION, fullElfPath, splitFile } from '../core/split/split';
import { writeFilesAtomically } from '../core/util/atomic';
import type { MemoryMapModel } from '../../webview-ui/model';

export interface PioEnvironment {
  name: string;
  /** Options of this [env:NAME] section after `extends` and [env] defaults. */
  options: Record<string, string>;
}

export interface PioProjectConfig {
  envs: PioEnvironment[];
  defaultEnvs: string[];
}

/** Reads platformio.ini. TEMPORARY until src/core/platformio lands: sections and key = value only. */
export function readPlatformioIni(iniPath: string): PioProjectConfig {
  const text = fs.readFileSync(iniPath, 'utf8');
  const sections = new Map<string, Record<string, string>>();
  let cur: Record<string, string> | null = null;
  let lastKey = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s[;#].*$/, '');
    if (/^\s*[;#]/.test(raw) || !line.trim()) continue;
    const sec = /^\[([^\]]+)\]/.exec(line);
    if (sec) { cur = {}; sections.set(sec[1].trim(), cur); continue; }
    if (!cur) continue;
    if (/^\s/.test(line) && lastKey) { cur[lastKey] += '\n' + line.trim(); continue; }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv) { lastKey = kv[1].trim(); cur[lastKey] = kv[2].trim(); }
  }
  const base = sections.get('env') ?? {};
  const envs = [...sections.keys()].filter((k) => k.startsWith('env:'))
    .map((k) => ({ name: k.slice(4), options: { ...base, ...sections.get(k) } }));
  const defaultEnvs = (sections.get('platformio')?.default_envs ?? '').split(/[\s,]+/).filter(Boolean);
  return { envs, defaultEnvs };
}

export class NotAvailableError extends Error {}

/** The memory-map model of `esp32mm map --json`. */
export async function memoryMap(_elf: string, _mapFile: string | undefined, _chipHint: string | undefined): Promise<MemoryMapModel> {
  throw new NotAvailableError('The memory-map analysis (src/core/memmap) is not part of this build yet.');
}

export interface SplitWarning { message: string; library?: string }
export interface SplitOutcome { files: string[]; warnings: SplitWarning[]; summary: string }
export interface Progress { report(message: string, fraction?: number): void }

/**
 * Splits the ELF with src/core/split. An ELF that was already split is split again from the
 * kept original (firmware.full.elf): the user may have changed the storage or the libraries.
 */
export async function splitFirmware(
  opts: { projectRoot: string; env: string; elf: string; mapFile?: string; libraries: string[]; outDir: string },
  progress: Progress, signal: AbortSignal,
): Promise<SplitOutcome> {
  const full = fullElfPath(opts.elf);
  if (fs.existsSync(full) && isSplitElf(opts.elf)) {
    progress.report('restoring the original firmware.full.elf', 0.1);
    throwIfAborted(signal);
    await writeFilesAtomically([{ path: opts.elf, data: fs.readFileSync(full) }]);
  }
  throwIfAborted(signal);
  progress.report(`cutting out ${opts.libraries.join(', ')}`, 0.3);
  const r = await splitFile(opts.elf, opts.outDir, opts.libraries);
  progress.report('done', 1);
  const files = r.libraries.flatMap((l) => l.files.map((f) => path.join(opts.outDir, f.file)));
  const saved = r.loadableBytesBefore - r.loadableBytesAfter;
  const warnings = r.warnings.map((message) => ({ message, library: r.libraries.find((l) => message.startsWith(l.name + ':'))?.name }));
  return { files, warnings, summary: `${files.length} files in ${path.basename(path.dirname(opts.outDir))}/${path.basename(opts.outDir)}, flash image ${r.loadableBytesBefore} → ${r.loadableBytesAfter} bytes (${saved} saved)` };
}

function isSplitElf(elf: string): boolean {
  try {
    return !!readElf(new Uint8Array(fs.readFileSync(elf))).section(SPLIT_MARKER_SECTION);
  } catch { return false; }
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) { const e = new Error('cancelled'); e.name = 'AbortError'; throw e; }
}

export interface UploadOutcome { uploaded: string[]; skipped: string[]; bytes: number }

export async function uploadFiles(
  _opts: { port: string; baudRate: number; deviceFolder: string; files: string[] },
  _progress: Progress, _signal: AbortSignal,
): Promise<UploadOutcome> {
  throw new NotAvailableError('The serial transfer client (src/core/transfer) is not part of this build yet.');
}

export async function installBuildIntegration(_projectRoot: string, _env: string): Promise<string> {
  throw new NotAvailableError('The build integration installer (src/core/platformio) is not part of this build yet.');
}

/** Serial ports the OS lists (ptys are not listed; the picker also accepts a typed path). */
export async function listSerialPorts(): Promise<{ path: string; description: string }[]> {
  const { SerialPort } = await import('serialport');
  const ports = await SerialPort.list();
  return ports.map((p) => ({ path: p.path, description: [p.manufacturer, p.serialNumber].filter(Boolean).join(' ') }));
}

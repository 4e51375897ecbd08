// The one place where the extension calls into src/core. Everything here is a thin
// adaptation (paths, cancellation, progress callbacks); the logic lives in core.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { loadMemoryMap, type MemoryMapRequest } from '../core/memmap/load';
import { MapFileError, decodeMapFile } from '../core/mapfile/parse';
import { checkLinkMap } from '../core/link/mapcheck';
import * as path from 'node:path';
import { readElf } from '../core/elf/reader';
import { SPLIT_MARKER_SECTION, fullElfPath, splitFile } from '../core/split/split';
import { writeFilesAtomically } from '../core/util/atomic';
import { INPUT_LIMITS, readInputFile, readInputFileSync } from '../core/util/input';
import { TransferError, type TransferErrorCode } from '../core/transfer/errors';
import type { MemoryMapModel } from '../../webview-ui/model';


/**
 * The memory-map model of `esp32mm map --json` (src/core/memmap/load): the same lookup of map,
 * partition table and sdkconfig as the CLI. For a split ELF with its firmware.full.elf beside
 * it, the model carries the original as `before`.
 */
export async function memoryMap(req: MemoryMapRequest): Promise<MemoryMapModel> {
  try {
    return await loadMemoryMap(req);
  } catch (e) {
    if (!(e instanceof MapFileError) || !req.elf) throw e;
    // A map core cannot read must not hide the whole view: show the symbol-based model and
    // say why, in the view's notes (the CLI stops with the same error).
    const model = await loadMemoryMap({ ...req, map: undefined, noMap: true });
    model.notes.unshift(`The linker map could not be read (${e.message}); bytes are attributed by symbols instead.`);
    return model;
  }
}

export interface SplitWarning { message: string; library?: string; severity?: 'error' | 'warning' | 'note' }
export interface SplitOutcome { files: string[]; warnings: SplitWarning[]; summary: string }
/**
 * The link check of `esp32mm fragment --check-map`: libraries not in their .mm sections,
 * parts left resident, ESP-IDF placements overridden, and (with the ELF) the reference audit
 * of resident code pointing into a slot.
 */
export async function linkWarnings(mapFile: string, libs: string[], elf?: string): Promise<SplitWarning[]> {
  const [mapBytes, elfBytes] = await Promise.all([
    readInputFile(mapFile, { what: 'map file', maxBytes: INPUT_LIMITS.map }),
    elf ? readInputFile(elf, { what: 'ELF file', maxBytes: INPUT_LIMITS.elf }) : undefined,
  ]);
  return checkLinkMap(decodeMapFile(mapBytes), libs, { elf: elfBytes && new Uint8Array(elfBytes) })
    .map((w) => ({ message: w.message, library: w.lib, severity: w.severity }));
}

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
    await writeFilesAtomically([{ path: opts.elf, data: readInputFileSync(full, { what: 'original ELF', maxBytes: INPUT_LIMITS.elf }) }]);
  }
  throwIfAborted(signal);
  progress.report(`cutting out ${opts.libraries.join(', ')}`, 0.3);
  const r = await splitFile(opts.elf, opts.outDir, opts.libraries);
  progress.report('done', 1);
  const files = r.libraries.flatMap((l) => l.files.map((f) => path.join(opts.outDir, f.file)));
  const saved = r.loadableBytesBefore - r.loadableBytesAfter;
  const warnings = r.warnings.map((w) => ({ message: w.message, library: w.library }));
  return { files, warnings, summary: `${files.length} files in ${path.basename(path.dirname(opts.outDir))}/${path.basename(opts.outDir)}, flash image ${r.loadableBytesBefore} → ${r.loadableBytesAfter} bytes (${saved} saved)` };
}

/** The splitter marks a stripped ELF with a section; a fresh link has none. */
export function isSplitElf(elf: string): boolean {
  try {
    return !!readElf(new Uint8Array(readInputFileSync(elf, { what: 'ELF file', maxBytes: INPUT_LIMITS.elf }))).section(SPLIT_MARKER_SECTION);
  } catch { return false; }
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) { const e = new Error('cancelled'); e.name = 'AbortError'; throw e; }
}

/**
 * The transfer client, loaded on first use: it loads `serialport` and its native binding,
 * which a failed load must not take activation (and the memory map) down with it.
 */
function transfer() {
  return import('../core/transfer');
}

export interface UploadOutcome { uploaded: string[]; skipped: string[]; bytes: number; warnings: string[] }

/** Uploads a split's output folder (files listed in manifest.json, then the manifest) to the agent. */
export async function uploadFolder(
  opts: { port: string; baudRate: number; deviceFolder: string; folder: string; ignoreBuildId?: boolean; onLog?: (text: string) => void },
  progress: Progress, signal: AbortSignal,
): Promise<UploadOutcome> {
  const { collectFiles, connectAgent, uploadFiles } = await transfer();
  const set = collectFiles([opts.folder]);
  const total = set.files.reduce((s, f) => s + f.data.length, 0) || 1;
  progress.report(`connecting to ${opts.port}`, 0);
  const client = await connectAgent(opts.port, opts.baudRate, { onLog: opts.onLog });
  const warnings: string[] = [];
  let doneBefore = 0;
  try {
    const summary = await uploadFiles(client, set, {
      dest: opts.deviceFolder, signal, ignoreBuildId: opts.ignoreBuildId,
      onEvent: (e) => {
        if (e.kind === 'warning') warnings.push(e.message);
        else if (e.kind === 'progress') progress.report(`${e.name} ${Math.round((100 * e.done) / Math.max(1, e.total))}%`, (doneBefore + e.done) / total);
        else if (e.kind === 'done' || e.kind === 'skip') {
          doneBefore += set.files.find((f) => f.name === e.name)?.data.length ?? 0;
          progress.report(`${e.name} ${e.kind === 'skip' ? 'unchanged' : 'done'}`, doneBefore / total);
        }
      },
    });
    return { ...summary, warnings };
  } finally {
    await client.close();
  }
}

/** PlatformIO's own `uploadfs` (the whole data/ image), the path for boards without the agent. */
export async function uploadFilesystemImage(opts: { projectRoot: string; env: string; port?: string }, progress: Progress, signal: AbortSignal): Promise<void> {
  const { runUploadFs } = await transfer();
  await runUploadFs({
    project: opts.projectRoot, env: opts.env, port: opts.port, signal,
    onEvent: (e) => {
      if (e.kind === 'phase') progress.report(e.text);
      else if (e.kind === 'progress') progress.report(`writing ${e.percent}%`, e.percent / 100);
    },
  });
}

export function isTransferError(e: unknown, code?: TransferErrorCode): e is TransferError {
  return e instanceof TransferError && (!code || e.code === code);
}

/**
 * `esp32mm init` from the CLI bundled in the extension (dist/cli.js), run as a child
 * process so the hook script records that CLI's path for the build to call.
 */
export function installBuildIntegration(
  cli: string, opts: { projectRoot: string; env: string; libs: string[]; storage: string },
): Promise<string> {
  const args = [cli, 'init', opts.projectRoot, '--env', opts.env, '--libs', opts.libs.join(','), '--storage', opts.storage];
  return new Promise((resolve, reject) => {
    // In VS Code desktop the extension host runs in Electron: make it behave as node.
    execFile(process.execPath, args, { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error((stderr || err.message).trim().replace(/^esp32mm init: /, '')));
      else resolve(stdout.trim());
    });
  });
}

/** Serial ports the OS lists, known ESP32 USB bridges first (ptys are not listed). */
export async function listSerialPorts(): Promise<{ path: string; description: string }[]> {
  return (await (await transfer()).listEsp32Ports()).map((p) => ({ path: p.path, description: p.description }));
}

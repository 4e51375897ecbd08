// The serial transfer to the board's agent (src/core/transfer), loaded on first use: it loads
// `serialport` and its native binding, and a failed load must not take activation (and the
// memory map) down with it. Only the adaptation lives here: core's byte counts as the
// fraction of the whole upload, and events as log lines.
import type { FileSet } from '../core/transfer/upload';
import { TransferError, type TransferErrorCode } from '../core/transfer/errors';
import type { Report } from './progressSteps';

function transfer() {
  return import('../core/transfer');
}

export interface UploadOutcome {
  uploaded: string[];
  skipped: string[];
  bytes: number;
  warnings: string[];
}

/** Uploads a collected file set (a split's files, then its manifest) to the agent's folder. */
export async function uploadFileSet(
  opts: { port: string; baudRate: number; deviceFolder: string; set: FileSet; ignoreBuildId?: boolean; onLog?: (text: string) => void },
  report: Report,
  signal: AbortSignal,
): Promise<UploadOutcome> {
  const { connectAgent, uploadFiles } = await transfer();
  const { set } = opts;
  const total = set.files.reduce((s, f) => s + f.data.length, 0) || 1;
  report(`connecting to ${opts.port}`, 0);
  const client = await connectAgent(opts.port, opts.baudRate, { onLog: opts.onLog });
  const warnings: string[] = [];
  let doneBefore = 0;
  try {
    const summary = await uploadFiles(client, set, {
      dest: opts.deviceFolder,
      signal,
      ignoreBuildId: opts.ignoreBuildId,
      onEvent: (e) => {
        if (e.kind === 'warning') warnings.push(e.message);
        else if (e.kind === 'progress')
          report(`${e.name} ${Math.round((100 * e.done) / Math.max(1, e.total))}%`, (doneBefore + e.done) / total);
        else if (e.kind === 'done' || e.kind === 'skip') {
          doneBefore += set.files.find((f) => f.name === e.name)?.data.length ?? 0;
          report(`${e.name} ${e.kind === 'skip' ? 'unchanged' : 'done'}`, doneBefore / total);
        }
      },
    });
    return { ...summary, warnings };
  } finally {
    await client.close();
  }
}

/** PlatformIO's own `uploadfs` (the whole data/ image), the path for boards without the agent. */
export async function uploadFilesystemImage(
  opts: { projectRoot: string; env: string; port?: string },
  report: Report,
  signal: AbortSignal,
): Promise<void> {
  const { runUploadFs } = await transfer();
  await runUploadFs({
    project: opts.projectRoot,
    env: opts.env,
    port: opts.port,
    signal,
    onEvent: (e) => {
      if (e.kind === 'phase') report(e.text);
      else if (e.kind === 'progress') report(`writing ${e.percent}%`, e.percent / 100);
    },
  });
}

export function isTransferError(e: unknown, code?: TransferErrorCode): e is TransferError {
  return e instanceof TransferError && (!code || e.code === code);
}

/** Cancelled by the user (the progress notification's Cancel): not an error to report. */
export function isCancel(e: unknown): boolean {
  return isTransferError(e, 'CANCELLED') || (e instanceof Error && (e.name === 'AbortError' || /cancel|abort/i.test(e.name)));
}

/** Serial ports the OS lists, known ESP32 USB bridges first (ptys are not listed). */
export async function listSerialPorts(): Promise<{ path: string; description: string }[]> {
  return (await (await transfer()).listEsp32Ports()).map((p) => ({ path: p.path, description: p.description }));
}

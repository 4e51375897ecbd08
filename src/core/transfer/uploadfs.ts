// Bootstrap without the agent (protocol §9): PlatformIO's own `uploadfs` target builds the
// filesystem image of data/ (mkspiffs/mklittlefs) and writes it with esptool. We run it and
// turn its output into the same progress events as an agent upload.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TransferError } from './errors';

export interface UploadFsOptions {
  project: string;
  env: string;
  port?: string;
  /** The pio executable; default: `pio` on PATH, else PlatformIO IDE's ~/.platformio/penv. */
  pio?: string;
  signal?: AbortSignal;
  onEvent?: (e: UploadFsEvent) => void;
}

export type UploadFsEvent =
  | { kind: 'phase'; phase: 'build-image' | 'connect' | 'write' | 'verify' | 'done'; text: string }
  | { kind: 'progress'; percent: number; address?: number }
  | { kind: 'output'; text: string };

export function uploadFsArgs(o: Pick<UploadFsOptions, 'project' | 'env' | 'port'>): string[] {
  const args = ['run', '--target', 'uploadfs', '--environment', o.env, '--project-dir', o.project];
  if (o.port) args.push('--upload-port', o.port);
  return args;
}

/** One line of pio/esptool output → an event (esptool v3/v4 and v5 progress formats). */
export function parseUploadFsLine(line: string): UploadFsEvent | undefined {
  const t = line.trim();
  if (!t) return undefined;
  // v3/v4: "Writing at 0x00290000... (12 %)"; v5: "Writing at 0x00290000 [====>    ]  12.5% 16384/131072 bytes..."
  const w = /^Writing at (0x[0-9a-f]+)\S*\s+(?:\((\d+(?:\.\d+)?) ?%\)|\[[^\]]*\]\s+(\d+(?:\.\d+)?)%)/i.exec(t);
  if (w) return { kind: 'progress', percent: Number(w[2] ?? w[3]), address: parseInt(w[1], 16) };
  if (/^Building (FS|SPIFFS|LittleFS) image|^\[\w+\] Building FS image|mk(spiffs|littlefs)/i.test(t))
    return { kind: 'phase', phase: 'build-image', text: t };
  if (/^(Connecting|Serial port|Chip is|Detecting chip type)/i.test(t)) return { kind: 'phase', phase: 'connect', text: t };
  if (/^Wrote \d+ bytes/i.test(t)) return { kind: 'phase', phase: 'write', text: t };
  if (/^Hash of data verified/i.test(t)) return { kind: 'phase', phase: 'verify', text: t };
  if (/^Hard resetting/i.test(t)) return { kind: 'phase', phase: 'done', text: t };
  return { kind: 'output', text: t };
}

export function findPio(explicit?: string, path = process.env.PATH ?? ''): string | undefined {
  if (explicit) return explicit;
  const exe = process.platform === 'win32' ? 'pio.exe' : 'pio';
  for (const dir of path.split(process.platform === 'win32' ? ';' : ':')) {
    if (dir && existsSync(join(dir, exe))) return join(dir, exe);
  }
  const ide = join(homedir(), '.platformio', 'penv', process.platform === 'win32' ? 'Scripts' : 'bin', exe);
  return existsSync(ide) ? ide : undefined;
}

const INSTALL_PIO =
  'PlatformIO Core (`pio`) is not installed or not on PATH. Install it with ' +
  '`python3 -m pip install --user -U platformio` (or the PlatformIO IDE extension for VS Code, which puts it in ~/.platformio/penv/bin), ' +
  'then run again; or give its location with --pio <path>.';

/** Turns a failed run's last lines into the advice the user needs. */
export function explainUploadFsFailure(code: number | null, tail: string[]): TransferError {
  const text = tail.join('\n');
  if (/port is busy|Could not exclusively lock|Resource busy|could not open port/i.test(text)) {
    return new TransferError(
      'PORT_BUSY',
      `esptool could not open the serial port: it is in use (PlatformIO's serial monitor?). Close it and try again.\n${text}`,
    );
  }
  if (/UnknownEnvNames|Unknown environment/i.test(text)) {
    return new TransferError('PIO_FAILED', `platformio.ini has no such environment.\n${text}`);
  }
  return new TransferError('PIO_FAILED', `pio run -t uploadfs failed (exit code ${code}).\n${text}`);
}

export function runUploadFs(o: UploadFsOptions): Promise<void> {
  const pio = findPio(o.pio);
  if (!pio) return Promise.reject(new TransferError('PIO_MISSING', INSTALL_PIO));
  return new Promise((resolve, reject) => {
    const child = spawn(pio, uploadFsArgs(o), { cwd: o.project, signal: o.signal, env: { ...process.env, PLATFORMIO_NO_ANSI: '1' } });
    const tail: string[] = [];
    let buf = '';
    const onText = (chunk: Buffer) => {
      // esptool v3/v4 rewrite progress with \r; split on both.
      buf += chunk.toString('utf8');
      const lines = buf.split(/\r\n|\r|\n/);
      buf = lines.pop() ?? '';
      for (const line of lines) {
        const e = parseUploadFsLine(line);
        if (!e) continue;
        tail.push(line.trim());
        if (tail.length > 15) tail.shift();
        o.onEvent?.(e);
      }
    };
    child.stdout.on('data', onText);
    child.stderr.on('data', onText);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new TransferError('PIO_MISSING', INSTALL_PIO));
      else if (err.name === 'AbortError')
        reject(new TransferError('CANCELLED', 'uploadfs cancelled; the filesystem partition may be incomplete: run it again'));
      else reject(new TransferError('PIO_FAILED', `cannot run ${pio}: ${err.message}`));
    });
    child.on('close', (code) => {
      if (buf) onText(Buffer.from('\n'));
      if (code === 0) resolve();
      else if (!o.signal?.aborted) reject(explainUploadFsFailure(code, tail));
    });
  });
}

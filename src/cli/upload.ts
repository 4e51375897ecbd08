import { DEFAULT_DEVICE_DIR } from '../core/conventions';
import {
  type AgentClient,
  type PortCandidate,
  type UploadEvent,
  collectFiles,
  connectAgent,
  listEsp32Ports,
  runUploadFs,
  uploadFiles,
} from '../core/transfer';
import { type Command, UsageError, formatBytes } from './command';

/** Options every agent command takes: --port, --baud. */
export const PORT_OPTIONS = { port: { type: 'string', short: 'p' }, baud: { type: 'string', short: 'b' } } as const;
export const PORT_USAGE = `  -p, --port <path>   serial port of the board (default: the only ESP32 USB-serial port found)
  -b, --baud <n>      baud rate of the agent (default 921600)`;

/** The port named with --port, or the single known ESP32 bridge that is plugged in. */
export async function choosePort(port: unknown, find: () => Promise<PortCandidate[]> = listEsp32Ports): Promise<string> {
  if (typeof port === 'string' && port) return port;
  const known = (await find()).filter((p) => p.known);
  if (known.length === 1) return known[0].path;
  if (known.length === 0)
    throw new UsageError('no ESP32 USB-serial port found (Espressif, CP210x, CH34x, FTDI): plug the board in or give --port');
  throw new UsageError(`several ESP32 ports found (${known.map((p) => `${p.path} ${p.description}`).join(', ')}): choose one with --port`);
}

function baudOf(v: unknown): number {
  if (v === undefined) return 921600;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--baud must be a positive integer, got ${String(v)}`);
  return n;
}

/** Opens a session, runs `fn`, always says BYE. Device log lines go to stderr. */
export async function withAgent<T>(values: Record<string, unknown>, fn: (c: AgentClient) => Promise<T>): Promise<T> {
  const port = await choosePort(values.port);
  const client = await connectAgent(port, baudOf(values.baud), {
    onLog: (t) => {
      const s = printable(t).trim();
      if (s) process.stderr.write(`device: ${s}\n`);
    },
  });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Progress on one rewritten line when stdout is a terminal, one line per file otherwise. */
function printer() {
  const tty = process.stdout.isTTY;
  let lastPct = -1;
  return (e: UploadEvent) => {
    switch (e.kind) {
      case 'skip':
        console.log(`  = ${e.remote}  ${e.reason}`);
        break;
      case 'start':
        lastPct = -1;
        if (!tty) console.log(`  > ${e.remote}  ${formatBytes(e.size)}`);
        break;
      case 'progress': {
        const pct = e.total ? Math.floor((100 * e.done) / e.total) : 100;
        if (tty && pct !== lastPct)
          process.stdout.write(`\r  > ${e.path}  ${pct}%${e.resumedFrom ? ` (resumed at ${e.resumedFrom})` : ''}   `);
        lastPct = pct;
        break;
      }
      case 'done': {
        const kbs = e.ms > 0 ? ((e.size - e.resumedFrom) / 1024 / (e.ms / 1000)).toFixed(1) : '-';
        console.log(
          `${tty ? '\r' : ''}  ✓ ${e.remote}  ${formatBytes(e.size)} in ${(e.ms / 1000).toFixed(2)} s (${kbs} KiB/s)${e.resumedFrom ? `, resumed at ${e.resumedFrom}` : ''}      `,
        );
        break;
      }
      case 'warning':
        console.error(`warning: ${e.message}`);
        break;
    }
  };
}

async function bootstrap(values: Record<string, unknown>, signal: AbortSignal): Promise<number> {
  if (typeof values.env !== 'string') throw new UsageError('--uploadfs needs --env <platformio environment>');
  const project = typeof values.project === 'string' ? values.project : process.cwd();
  let last = -1;
  await runUploadFs({
    project,
    env: values.env,
    port: typeof values.port === 'string' ? values.port : undefined,
    pio: typeof values.pio === 'string' ? values.pio : undefined,
    signal,
    onEvent: (e) => {
      if (e.kind === 'progress') {
        if (Math.floor(e.percent) !== last) process.stdout.write(`\r  writing filesystem image ${Math.floor(e.percent)}%   `);
        last = Math.floor(e.percent);
      } else if (e.kind === 'phase') console.log(`${last >= 0 ? '\n' : ''}  ${e.text}`);
    },
  });
  console.log('\nfilesystem image written (the whole data/ folder replaced the partition)');
  return 0;
}

export const uploadCommand: Command = {
  name: 'upload',
  summary: 'upload _e/_d files (or a split folder with manifest.json) to the board over serial',
  usage: `Usage: esp32mm upload [--port <path>] [--baud <n>] [--dest /mm] <files or folders…>
       esp32mm upload --uploadfs --env <env> [--project <dir>] [--port <path>]

Sends files to the Memory Manager agent running on the board (docs/protocol.md). A folder
with manifest.json uploads the files it lists and the manifest; files the board already
has (same size and CRC) are skipped; an interrupted upload resumes; the previous file on
the board stays intact until the new one is complete and verified.

Options:
${PORT_USAGE}
  --dest <dir>        folder on the device (default /mm; must be inside the agent's folder)
  --force             upload even unchanged files
  --ignore-build-id   upload although the board runs other firmware than the manifest's
  --uploadfs          without the agent: run PlatformIO's \`pio run -t uploadfs\` (rewrites
                      the whole SPIFFS/LittleFS partition from data/)
  --env <env>         PlatformIO environment (with --uploadfs)
  --project <dir>     PlatformIO project folder (with --uploadfs; default: current folder)
  --pio <path>        the pio executable (with --uploadfs; default: found on PATH)
  -h, --help          show this help`,
  options: {
    ...PORT_OPTIONS,
    dest: { type: 'string' },
    force: { type: 'boolean' },
    'ignore-build-id': { type: 'boolean' },
    uploadfs: { type: 'boolean' },
    env: { type: 'string' },
    project: { type: 'string' },
    pio: { type: 'string' },
  },
  async run(positionals, values) {
    const ac = new AbortController();
    const onSigint = () => ac.abort();
    process.once('SIGINT', onSigint);
    try {
      if (values.uploadfs) return await bootstrap(values, ac.signal);
      if (positionals.length === 0) throw new UsageError(`no files to upload\n\n${this.usage}`);
      const set = collectFiles(positionals);
      const summary = await withAgent(values, (c) => {
        console.log(`agent: ${c.caps.chip}, ${c.caps.filesystems.join('/') || '?'} ${c.caps.root}, ${formatBytes(c.caps.free)} free`);
        return uploadFiles(c, set, {
          dest: typeof values.dest === 'string' ? values.dest : DEFAULT_DEVICE_DIR,
          signal: ac.signal,
          onEvent: printer(),
          force: !!values.force,
          ignoreBuildId: !!values['ignore-build-id'],
        });
      });
      console.log(`${summary.uploaded.length} uploaded (${formatBytes(summary.bytes)} sent), ${summary.skipped.length} unchanged`);
      return 0;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  },
};

/** The board's log as printable ASCII, tabs and line breaks (no terminal escapes from the device). */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- the control characters are what is removed
  return text.replace(/[^\x09\x0a\x0d\x20-\x7e]/g, '');
}

// Reading an input file the user (or a cloned project) names: only a regular file, only up
// to a size that file kind can plausibly have. A symlink to /dev/zero called firmware.elf
// or a FIFO would otherwise be read forever; a directory would give a raw EISDIR.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { Esp32mmError } from '../errors';

const MiB = 1024 * 1024;

/**
 * The largest file of each kind we read. Generous: ESP-IDF ELFs with full debug info reach
 * tens of MiB and `--cref` maps of 100k-symbol firmware 25+ MiB; the limits only stop
 * files that cannot be what they are named.
 */
export const INPUT_LIMITS = {
  elf: 512 * MiB,
  map: 512 * MiB,
  manifest: 16 * MiB,
  partitionTable: 1 * MiB,
  sdkconfig: 16 * MiB,
  ini: 16 * MiB,
  json: 16 * MiB,
} as const;

export type InputProblem = 'missing' | 'not-regular' | 'too-large' | 'unreadable';

/** An input that cannot be read; the message names the file, what is wrong and what to do. */
export class InputFileError extends Esp32mmError {
  readonly code = 'INPUT_FILE';
  constructor(
    readonly path: string,
    readonly problem: InputProblem,
    message: string,
  ) {
    super(message);
  }
}

export interface InputOptions {
  /** What the file is, for messages: 'ELF file', 'map file', … */
  what: string;
  maxBytes: number;
  /** Added to the "no such file" message, e.g. 'build the project first'. */
  missingHint?: string;
}

// O_NONBLOCK: opening a FIFO for reading must not wait for a writer before we can refuse it.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** What a file that is not a regular one is, for messages ("a FIFO (named pipe)"). */
export function kindOf(st: Pick<Stats, 'isDirectory' | 'isFIFO' | 'isCharacterDevice' | 'isBlockDevice' | 'isSocket'>): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function sizeText(n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${n} bytes`;
}

/** Refuses what is not a regular file of at most `maxBytes`; returns its size. */
function checkOpened(path: string, st: Stats, o: InputOptions): number {
  if (!st.isFile()) {
    throw new InputFileError(
      path,
      'not-regular',
      `the ${o.what} ${path} is ${kindOf(st)}, not a regular file: give the path of the ${o.what} itself`,
    );
  }
  if (st.size > o.maxBytes) {
    throw new InputFileError(
      path,
      'too-large',
      `the ${o.what} ${path} is ${sizeText(st.size)}, more than the ${sizeText(o.maxBytes)} such a file can plausibly be: check that it is the right file`,
    );
  }
  return st.size;
}

function openError(path: string, e: unknown, o: InputOptions): InputFileError {
  if (e instanceof InputFileError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new InputFileError(
      path,
      'missing',
      `cannot read the ${o.what} ${path}: no such file${o.missingHint ? ` (${o.missingHint})` : ''}`,
    );
  }
  if (code === 'ELOOP') return new InputFileError(path, 'unreadable', `cannot read the ${o.what} ${path}: a loop of symbolic links`);
  const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (e as Error).message;
  return new InputFileError(path, 'unreadable', `cannot read the ${o.what} ${path}: ${reason}`);
}

/** A file that changed size while we read it is refused rather than returned half old, half new. */
function checkComplete(path: string, got: number, size: number, o: InputOptions): void {
  if (got !== size) {
    throw new InputFileError(
      path,
      'unreadable',
      `the ${o.what} ${path} changed while it was read (${got} of ${size} bytes): wait until the build has finished, then try again`,
    );
  }
}

/** The whole file at `path` (symlinks followed) if it is a regular file of at most `maxBytes`. */
export async function readInputFile(path: string, o: InputOptions): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, OPEN_FLAGS);
    const size = checkOpened(path, await handle.stat(), o);
    // One byte more than the size: a file that grew since stat() is noticed.
    const buffer = Buffer.alloc(size + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, got, buffer.length - got, got);
      if (bytesRead === 0 || got + bytesRead === buffer.length) {
        got += bytesRead;
        break;
      }
      got += bytesRead;
    }
    checkComplete(path, got, size, o);
    return buffer.subarray(0, size);
  } catch (e) {
    throw openError(path, e, o);
  } finally {
    await handle?.close();
  }
}

/** `readInputFile` for synchronous callers. */
export function readInputFileSync(path: string, o: InputOptions): Buffer {
  let fd: number | undefined;
  try {
    fd = openSync(path, OPEN_FLAGS);
    const size = checkOpened(path, fstatSync(fd), o);
    const buffer = Buffer.alloc(size + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buffer, got, buffer.length - got, got);
      got += n;
      if (n === 0 || got === buffer.length) break;
    }
    checkComplete(path, got, size, o);
    return buffer.subarray(0, size);
  } catch (e) {
    throw openError(path, e, o);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

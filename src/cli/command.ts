// What every `esp32mm` sub-command provides. Each lives in its own file under src/cli/
// and is listed once in src/cli.ts.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Esp32mmError } from '../core/errors';

export interface Command {
  name: string;
  summary: string;
  /** Full help text printed by `esp32mm <name> --help`. */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(positionals: string[], values: Record<string, string | boolean | string[] | undefined>): Promise<number>;
}

/**
 * Exit codes, one table for every command (README, CLI reference): the same fault gives the
 * same code whichever command meets it.
 */
export const EXIT = {
  ok: 0,
  /** Bad input or a failure: a file missing, unreadable or damaged, the board refused, stdout not writable. */
  badInput: 1,
  /** Bad usage: an unknown option, a missing or malformed argument. */
  badUsage: 2,
} as const;

/** A mistake in the command line itself (EXIT.badUsage): printed without a stack trace. */
export class UsageError extends Esp32mmError {
  readonly code = 'USAGE';
}

/** Bad input found by the CLI itself (EXIT.badInput), e.g. a project folder without platformio.ini. */
export class InputError extends Esp32mmError {
  readonly code = 'INPUT';
}

export function exitCodeOf(e: unknown): number {
  return e instanceof UsageError ? EXIT.badUsage : EXIT.badInput;
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'a loop of symbolic links',
  ENOSPC: 'no space left on the device',
  EROFS: 'the filesystem is read-only',
  EMFILE: 'too many open files',
};

/** The message for an error: Node's own file errors (a raw "ENOENT: …, open 'x'") in words. */
export function errorMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const words = typeof err?.code === 'string' ? FILE_ERRORS[err.code] : undefined;
  if (words && typeof err.path === 'string') return `${err.path}: ${words}`;
  return err instanceof Error ? err.message : String(e);
}

export function parseCommandArgs(cmd: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${cmd.usage}`);
  }
}

/** Human-readable byte count as used in all CLI tables: exact bytes plus KiB. */
export function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : `${n} B (${(n / 1024).toFixed(1)} KiB)`;
}

export function hex(n: number, width = 8): string {
  return '0x' + n.toString(16).padStart(width, '0');
}

// What every `esp32mm` sub-command provides. Each lives in its own file under src/cli/
// and is listed once in src/cli.ts.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  name: string;
  summary: string;
  /** Full help text printed by `esp32mm <name> --help`. */
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(positionals: string[], values: Record<string, string | boolean | string[] | undefined>): Promise<number>;
}

/** A user mistake or bad input: printed as `esp32mm: <message>` without a stack trace. */
export class UsageError extends Error {}

export function parseCommandArgs(cmd: Command, argv: string[]) {
  try {
    return parseArgs({ args: argv, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
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

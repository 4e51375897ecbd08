// `esp32mm`: the command line front of the Memory Manager. The sub-commands are thin
// wrappers over src/core; everything they print comes from core results.
import { type Command, UsageError, parseCommandArgs } from './cli/command';
import { splitCommand } from './cli/split';
import { inspectCommand } from './cli/inspect';
import { fragmentCommand } from './cli/fragment';
import { initCommand } from './cli/init';
import { mapCommand } from './cli/map';
import { uploadCommand } from './cli/upload';
import { lsCommand } from './cli/ls';
import { rmCommand } from './cli/rm';
import { dfCommand } from './cli/df';

const COMMANDS: Command[] = [splitCommand, inspectCommand, fragmentCommand, initCommand, mapCommand, uploadCommand, lsCommand, rmCommand, dfCommand];

function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'esp32mm — ESP32 Memory Manager command line',
    '',
    'Usage: esp32mm <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `esp32mm <command> --help` for the options of one command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(mainUsage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    console.log(process.env.ESP32MM_VERSION ?? '0.1.0');
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    console.error(`esp32mm: unknown command '${name}'\n\n${mainUsage()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseCommandArgs(cmd, rest);
    if (values.help) {
      console.log(cmd.usage);
      return 0;
    }
    return await cmd.run(positionals, values);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`esp32mm ${name}: ${e.message}`);
      return 2;
    }
    const err = e as Error & { userFacing?: boolean };
    // Errors from core carry a clear message; a stack trace only helps for real bugs.
    console.error(`esp32mm ${name}: ${err.message}`);
    if (process.env.ESP32MM_DEBUG) console.error(err.stack);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));

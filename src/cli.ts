// `esp32mm`: the command line front of the Memory Manager. The sub-commands are thin
// wrappers over src/core; everything they print comes from core results.
import { type Command, EXIT, errorMessage, exitCodeOf, parseCommandArgs } from './cli/command';
import { splitCommand } from './cli/split';
import { inspectCommand } from './cli/inspect';
import { fragmentCommand } from './cli/fragment';
import { initCommand } from './cli/init';
import { mapCommand } from './cli/map';
import { uploadCommand } from './cli/upload';
import { lsCommand } from './cli/ls';
import { rmCommand } from './cli/rm';
import { dfCommand } from './cli/df';
import { flashSlotsCommand } from './cli/flash-slots';
import { doctorCommand } from './cli/doctor';
import { configCommand } from './cli/config';

const COMMANDS: Command[] = [
  splitCommand,
  inspectCommand,
  fragmentCommand,
  initCommand,
  mapCommand,
  uploadCommand,
  lsCommand,
  rmCommand,
  dfCommand,
  flashSlotsCommand,
  doctorCommand,
  configCommand,
];

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
  const stdout = watchStdout();
  const [name, ...rest] = argv;
  const code = await runCommand(name, rest);
  // Output that did not reach its destination is a failure, not a success with less output.
  const failed = await stdout.failure();
  // A reader that stops early (`esp32mm map | head`) chose to: quiet, as Unix tools are.
  if (!failed || failed === STDOUT_ERRORS.EPIPE) return code;
  console.error(`esp32mm${name ? ` ${name}` : ''}: cannot write the output to stdout (${failed}): it is incomplete`);
  return code === EXIT.ok ? EXIT.badInput : code;
}

async function runCommand(name: string | undefined, rest: string[]): Promise<number> {
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(mainUsage());
    return name ? EXIT.ok : EXIT.badUsage;
  }
  if (name === '--version' || name === '-V') {
    console.log(process.env.ESP32MM_VERSION ?? '0.1.0');
    return EXIT.ok;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    console.error(`esp32mm: unknown command '${name}'\n\n${mainUsage()}`);
    return EXIT.badUsage;
  }
  try {
    const { values, positionals } = parseCommandArgs(cmd, rest);
    if (values.help) {
      console.log(cmd.usage);
      return EXIT.ok;
    }
    return await cmd.run(positionals, values);
  } catch (e) {
    // Errors from core carry a clear message; a stack trace only helps for real bugs.
    console.error(`esp32mm ${name}: ${errorMessage(e)}`);
    if (process.env.ESP32MM_DEBUG) console.error((e as Error).stack);
    return exitCodeOf(e);
  }
}

const STDOUT_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EPIPE: 'the program reading it closed the pipe',
  EBADF: 'stdout is closed',
  EIO: 'input/output error',
};

/**
 * Records the first write error on stdout. Without a listener Node dies of a failed
 * process.stdout.write with a stack trace, and console.log drops its errors silently.
 */
function watchStdout(): { failure(): Promise<string | undefined> } {
  let error: NodeJS.ErrnoException | undefined;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    error ??= e;
  });
  return {
    async failure() {
      if (!error && process.stdout.writableLength > 0 && !process.stdout.destroyed) {
        await new Promise<void>((done) => {
          process.stdout.once('drain', done);
          process.stdout.once('close', done);
          process.stdout.once('error', () => done());
        });
      }
      await new Promise<void>((done) => setImmediate(done)); // errors are reported on the next tick
      return error && (STDOUT_ERRORS[error.code ?? ''] ?? error.message);
    },
  };
}

main(process.argv.slice(2)).then((code) => process.exit(code));

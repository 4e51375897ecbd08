import { type Command, UsageError } from './command';
import { PORT_OPTIONS, PORT_USAGE, withAgent } from './upload';

export const rmCommand: Command = {
  name: 'rm',
  summary: 'remove a file (or empty folder) on the board',
  usage: `Usage: esp32mm rm [--port <path>] <path…>

Options:
${PORT_USAGE}
  -h, --help          show this help`,
  options: { ...PORT_OPTIONS },
  async run(positionals, values) {
    if (positionals.length === 0) throw new UsageError(`expected a path to remove\n\n${this.usage}`);
    return withAgent(values, async (c) => {
      for (const p of positionals) {
        await c.remove(p);
        console.log(`removed ${p}`);
      }
      return 0;
    });
  },
};

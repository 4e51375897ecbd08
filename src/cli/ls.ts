import { type Command, UsageError, formatBytes } from './command';
import { PORT_OPTIONS, PORT_USAGE, withAgent } from './upload';

export const lsCommand: Command = {
  name: 'ls',
  summary: 'list a folder on the board (through the agent)',
  usage: `Usage: esp32mm ls [--port <path>] [--json] [<dir>]

Lists <dir> on the board (default: the agent's folder, e.g. /mm).

Options:
${PORT_USAGE}
  --json              machine-readable output
  -h, --help          show this help`,
  options: { ...PORT_OPTIONS, json: { type: 'boolean' } },
  async run(positionals, values) {
    if (positionals.length > 1) throw new UsageError(`expected at most one folder\n\n${this.usage}`);
    return withAgent(values, async (c) => {
      const dir = positionals[0] ?? c.caps.root;
      const entries = (await c.list(dir)).sort((a, b) => a.name.localeCompare(b.name));
      if (values.json) {
        console.log(JSON.stringify(entries, null, 2));
        return 0;
      }
      for (const e of entries)
        console.log(
          `${e.kind === 'dir' ? 'd' : '-'} ${String(e.size).padStart(10)}  ${e.name}${e.kind === 'dir' ? '/' : ''}${e.name.endsWith('.part') ? '   (unfinished upload)' : ''}`,
        );
      console.log(`${entries.length} entries, ${formatBytes(entries.reduce((n, e) => n + (e.kind === 'file' ? e.size : 0), 0))}`);
      return 0;
    });
  },
};

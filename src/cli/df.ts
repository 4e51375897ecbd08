import { type Command, UsageError, formatBytes } from './command';
import { PORT_OPTIONS, PORT_USAGE, withAgent } from './upload';

export const dfCommand: Command = {
  name: 'df',
  summary: "show size and free space of the board's card / filesystem",
  usage: `Usage: esp32mm df [--port <path>] [--json]

Options:
${PORT_USAGE}
  --json              machine-readable output
  -h, --help          show this help`,
  options: { ...PORT_OPTIONS, json: { type: 'boolean' } },
  async run(positionals, values) {
    if (positionals.length) throw new UsageError(`df takes no arguments\n\n${this.usage}`);
    return withAgent(values, async (c) => {
      const d = await c.df();
      const info = { ...d, chip: c.caps.chip, filesystems: c.caps.filesystems, root: c.caps.root, buildId: c.caps.buildId };
      if (values.json) {
        console.log(JSON.stringify(info, null, 2));
        return 0;
      }
      console.log(
        `${c.caps.filesystems.join('/') || 'filesystem'} on ${c.caps.chip}: ${formatBytes(d.total)} total, ${formatBytes(d.used)} used, ${formatBytes(d.free)} free (${d.total ? ((100 * d.used) / d.total).toFixed(1) : '0'} % used)`,
      );
      console.log(`agent folder ${c.caps.root}; firmware build id ${c.caps.buildId.slice(0, 16)}…`);
      return 0;
    });
  },
};

import { type FlashImage, nearWriteLimit } from '../core/transfer';
import { type Command, UsageError, hex } from './command';
import { PORT_OPTIONS, PORT_USAGE, withAgent } from './upload';

export const flashSlotsCommand: Command = {
  name: 'flash-slots',
  summary: "show the flash slots' images on the board and how often each was rewritten",
  usage: `Usage: esp32mm flash-slots [--port <path>] [--json]

Lists the images in the board's library partition (flash slots that execute in place):
their offset, size, rewrites so far against the limit, and whether each is valid and
mapped. Warns when an image is above 80 % of its write limit.

Options:
${PORT_USAGE}
  --json              machine-readable output
  -h, --help          show this help`,
  options: { ...PORT_OPTIONS, json: { type: 'boolean' } },
  async run(positionals, values) {
    if (positionals.length) throw new UsageError(`flash-slots takes no arguments\n\n${this.usage}`);
    return withAgent(values, async (c) => {
      const images = await c.flashSlots();
      if (values.json) {
        console.log(JSON.stringify(images, null, 2));
        return 0;
      }
      if (images.length === 0) {
        console.log(`no flash slots: the firmware on ${c.caps.chip} reports no flash-slot images`);
        return 0;
      }
      for (const line of flashSlotsTable(images)) console.log(line);
      return 0;
    });
  },
};

function state(i: FlashImage): string {
  if (!i.valid) return 'not written';
  return [i.current ? 'valid' : 'valid (older build)', ...(i.mapped ? ['mapped'] : [])].join(', ');
}

export function flashSlotsTable(images: FlashImage[]): string[] {
  const width = Math.max(7, ...images.map((i) => i.library.length));
  const lines = [`idx  ${'library'.padEnd(width)}  offset      size        writes / limit  state`];
  for (const i of images) {
    lines.push(
      `${String(i.index).padStart(3)}  ${i.library.padEnd(width)}  ${hex(i.offset)}  ${String(i.size).padStart(10)}  ${`${i.writes} / ${i.limit}`.padStart(14)}  ${state(i)}`,
    );
  }
  for (const i of images.filter(nearWriteLimit)) {
    lines.push(
      `warning: ${i.library} has used ${i.writes} of its ${i.limit} rewrites (${((100 * i.writes) / i.limit).toFixed(1)} %): the flash under it wears out; rewrite it less often or raise MM_FLASH_WRITE_LIMIT only if the chip's flash endures it`,
    );
  }
  return lines;
}

import { basename } from 'node:path';
import { type BuildInput, type MemoryMapModel } from '../core/memmap/model';
import { loadMemoryMap, MemoryMapInputError } from '../core/memmap/load';
import { type Command, UsageError, hex } from './command';

const n = (v: number) => v.toLocaleString('en-US');
const pct = (used: number, size: number) => (size > 0 ? `${((100 * used) / size).toFixed(1)}%` : '');

function table(rows: string[][], rightFrom = 1): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c < rightFrom ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n');
}

/** The readable report, in the spirit of `idf.py size-components`. */
export function formatMemoryMap(m: MemoryMapModel): string {
  const out: string[] = [];
  const shown = m.regions.filter((r) => r.used > 0 || !r.flash);
  // Flash regions are address windows, not memory: their use is measured against the app partition.
  const app = m.appPartition;
  out.push(table([
    ['Region', 'Start', 'Used', 'Free', 'Size', 'Use%', 'Fill', 'Slots'],
    ...shown.map((r) => [r.name + (r.pool ? ` (${r.pool.name} ${n(r.pool.size)})` : ''), hex(r.start), n(r.used), r.flash ? '-' : n(r.free), r.flash ? '-' : n(r.size), r.flash ? '' : pct(r.used, r.size), n(r.fill), r.slotReserved ? n(r.slotReserved) : '']),
    ...(app ? [[`App partition ${app.name}`, hex(app.offset), n(app.used), n(app.free), n(app.size), pct(app.used, app.size), '', '']] : []),
  ], 2));
  const used = m.regions.filter((r) => r.used > 0).map((r) => r.name);
  out.push('');
  out.push(table([
    ['Library', 'Archive', 'Total', ...used],
    ...m.libraries.map((l) => [l.name + (l.dynamic ? ' *' : ''), l.archive, n(l.total), ...used.map((r) => n(l.byRegion[r] ?? 0))]),
    ['*fill*', '', n(m.fill), ...used.map((r) => n(m.regions.find((g) => g.name === r)!.fill))],
  ], 2));
  if (m.slots.length) {
    out.push('', '* dynamic library (moved out of the firmware image by the split)');
    out.push(table([
      ['Slot', 'Libraries', 'Reserved', 'Where', 'Flash saved'],
      ...m.slots.map((s) => [s.name, s.libraries.join(', '), n(s.size), s.ranges.map((r) => `${r.kind} ${r.region} ${hex(r.start)}+${r.size}`).join('; '), n(s.flashSaved)]),
    ], 2));
  }
  out.push('', `Image (loadable bytes): ${n(m.imageBytes)}` + (m.slots.length ? `; dynamic libraries: ${n(m.flashSaved)} bytes ${m.split ? 'saved by the split' : 'would be saved by a split'}` : ''));
  for (const note of m.notes) out.push(`note: ${note}`);
  return out.join('\n');
}

function formatComparison(after: MemoryMapModel, before: MemoryMapModel): string {
  const names = before.regions.filter((r) => r.used > 0 || after.regions.find((a) => a.name === r.name)?.used).map((r) => r.name);
  return table([
    ['Before / after split', 'Before', 'After', 'Change'],
    ...names.map((name) => {
      const b = before.regions.find((r) => r.name === name)?.used ?? 0;
      const a = after.regions.find((r) => r.name === name)?.used ?? 0;
      return [name, n(b), n(a), n(a - b)];
    }),
    ['Image (loadable bytes)', n(before.imageBytes), n(after.imageBytes), n(after.imageBytes - before.imageBytes)],
  ]);
}

/** One line per build input: which file, how it was found, or why there is none. */
function formatInputs(m: MemoryMapModel): string[] {
  if (!m.inputs) return [];
  const line = (what: string, i: BuildInput | undefined) => {
    if (!i) return [];
    return ['path' in i ? `${what}: ${i.path} (${i.how})` : `${what}: none — ${i.problem}`];
  };
  return [...line('ELF', m.inputs.elf), ...line('Map', m.inputs.map), ...line('Partition table', m.inputs.partitionTable), ...line('sdkconfig', m.inputs.sdkconfig)];
}

const SIZE_SOURCES = (m: MemoryMapModel) =>
  `Sizes: ${m.regions.map((r) => `${r.name} ${r.sizeSource}`).join(', ')}${m.appPartition ? `, app partition ${m.appPartition.sizeSource}` : ''}`;

export const mapCommand: Command = {
  name: 'map',
  summary: 'memory map of a firmware: regions x libraries, dynamic libraries, before/after split',
  usage: `Usage: esp32mm map [<firmware.elf>] [--map <file>] [--partitions <file>] [--sdkconfig <file>]
                   [--chip <id>] [--board <id>] [--json]

Shows IRAM, DRAM, RTC, flash and PSRAM use per library, linker fill as its own line,
dynamic libraries in their slots with the flash they save, and the image against the
app partition. Region sizes are the link's own (the map's memory regions). For a split
ELF with its <name>.full.elf beside it, shows both and the difference. With --map and no
ELF, the map alone is analysed (as esp-idf-size does).

Options:
  --map <file>         GNU ld map file (default: recorded by the build hook, <name>.map or
                       firmware.map beside the ELF, or the only .map there; without one,
                       bytes are attributed by symbols, which is coarser)
  --partitions <file>  partition table, .bin or .csv (default: partitions.bin in the build folder)
  --sdkconfig <file>   the build's sdkconfig (default: sdkconfig.<env> / sdkconfig of the project)
  --chip <id>          esp32 | esp32s2 | esp32s3 | esp32c2 | esp32c3 | esp32c6 | esp32h2
                       (default: detected from the build)
  --board <id>         PlatformIO board id (esp32dev, esp32-s3-devkitc-1, ...) to choose the chip
  --json               print the model as JSON (see docs/memmap-json.md)
  -h, --help           show this help`,
  options: { map: { type: 'string' }, partitions: { type: 'string' }, sdkconfig: { type: 'string' }, chip: { type: 'string' }, board: { type: 'string' }, json: { type: 'boolean' } },
  async run(positionals, values) {
    if (positionals.length > 1) throw new UsageError(`expected one ELF file, got ${positionals.length}\n\n${this.usage}`);
    if (positionals.length === 0 && typeof values.map !== 'string') throw new UsageError(`give the firmware ELF, or a map file with --map\n\n${this.usage}`);
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    let model: MemoryMapModel;
    try {
      model = await loadMemoryMap({ elf: positionals[0], map: str(values.map), partitions: str(values.partitions), sdkconfig: str(values.sdkconfig), chip: str(values.chip), board: str(values.board) });
    } catch (e) {
      if (e instanceof MemoryMapInputError) throw new UsageError(e.message);
      throw e;
    }
    if (values.json) {
      console.log(JSON.stringify(model, null, 2));
      return 0;
    }
    const subject = positionals[0] ?? `${str(values.map)} (map only)`;
    console.log(`${model.chipName} (${model.chipSource === 'elf' || model.chipSource === 'map' ? 'detected' : `from ${model.chipSource}`}) — ${subject}${model.split ? ' [split]' : ''}`);
    for (const line of formatInputs(model)) console.log(line);
    console.log('');
    console.log(formatMemoryMap(model));
    console.log(SIZE_SOURCES(model));
    if (model.before) {
      console.log(`\n${formatComparison(model, model.before)}`);
      console.log(`Flash saved by the split: ${n(model.flashSaved)} bytes (original kept as ${basename(model.inputs?.elf && 'path' in model.inputs.elf ? model.inputs.elf.path.replace(/\.elf$/, '.full.elf') : 'the .full.elf')})`);
    }
    return 0;
  },
};

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { buildMemoryMap, type MemoryMapModel } from '../core/memmap/model';
import { decodeMapFile } from '../core/mapfile/parse';
import { fullElfPath } from '../core/split/split';
import { type Command, UsageError, hex } from './command';

/** `firmware.elf` → `firmware.map` beside it; `firmware.full.elf` → `firmware.map` as well. */
export function defaultMapPath(elfPath: string): string | undefined {
  const stem = basename(elfPath).replace(/\.elf$/, '');
  const candidates = [stem, stem.replace(/\.full$/, '')].map((s) => join(dirname(elfPath), `${s}.map`));
  return candidates.find((p) => existsSync(p));
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

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
  out.push(table([
    ['Region', 'Start', 'Used', 'Free', 'Size', 'Use%', 'Fill', 'Slots'],
    ...shown.map((r) => [r.name + (r.pool ? ` (${r.pool.name} ${n(r.pool.size)})` : ''), hex(r.start), n(r.used), r.flash ? '-' : n(r.free), n(r.size), pct(r.used, r.size), n(r.fill), r.slotReserved ? n(r.slotReserved) : '']),
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

export const mapCommand: Command = {
  name: 'map',
  summary: 'memory map of a firmware: regions x libraries, dynamic libraries, before/after split',
  usage: `Usage: esp32mm map <firmware.elf> [--map <file>] [--chip <id>] [--board <id>] [--json]

Shows IRAM, DRAM, RTC, flash and PSRAM use per library, linker fill as its own line,
dynamic libraries in their slots with the flash they save. For a split ELF with its
<name>.full.elf beside it, shows both and the difference.

Options:
  --map <file>   GNU ld map file (default: <name>.map beside the ELF, if present;
                 without one, bytes are attributed by symbols, which is coarser)
  --chip <id>    esp32 | esp32s2 | esp32s3 | esp32c3 | esp32c6 (default: detected from the ELF)
  --board <id>   PlatformIO board id (esp32dev, esp32-s3-devkitc-1, ...) to choose the chip
  --json         print the model as JSON (see docs/memmap-json.md)
  -h, --help     show this help`,
  options: { map: { type: 'string' }, chip: { type: 'string' }, board: { type: 'string' }, json: { type: 'boolean' } },
  async run(positionals, values) {
    if (positionals.length !== 1) throw new UsageError(`expected one ELF file, got ${positionals.length}\n\n${this.usage}`);
    const elfPath = resolve(positionals[0]);
    const mapPath = typeof values.map === 'string' ? resolve(values.map) : defaultMapPath(elfPath);
    const elf = new Uint8Array(await readInput(elfPath, 'ELF file'));
    const mapText = mapPath ? decodeMapFile(await readInput(mapPath, 'map file')) : undefined;
    const fullPath = fullElfPath(elfPath);
    const fullElf = fullPath !== elfPath && existsSync(fullPath) ? new Uint8Array(await readInput(fullPath, 'original ELF')) : undefined;
    const model = buildMemoryMap({
      elf, mapText, fullElf,
      chip: typeof values.chip === 'string' ? values.chip : undefined,
      board: typeof values.board === 'string' ? values.board : undefined,
    });
    if (values.json) {
      console.log(JSON.stringify(model, null, 2));
      return 0;
    }
    const source = mapPath ? `map ${basename(mapPath)}` : 'no map file (attribution by symbols)';
    console.log(`${model.chipName} (${model.chipSource === 'elf' ? 'detected' : `from ${model.chipSource}`}) — ${positionals[0]}${model.split ? ' [split]' : ''} — ${source}\n`);
    console.log(formatMemoryMap(model));
    if (model.before) {
      console.log(`\n${formatComparison(model, model.before)}`);
      console.log(`Flash saved by the split: ${n(model.flashSaved)} bytes (original kept as ${basename(fullPath)})`);
    }
    return 0;
  },
};

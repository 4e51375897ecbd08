import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { CHIP_IDS } from '../core/chips/chips';
import { readElf } from '../core/elf/reader';
import { decodeMapFile } from '../core/mapfile/parse';
import { type BuildInput, type MemoryMapModel } from '../core/memmap/model';
import { MemoryMapInputError, type MemoryMapRequest } from '../core/memmap/load';
import { analyseBuild } from '../core/memmap/analyse';
import {
  archiveSymbolsView,
  archivesView,
  diffView,
  filesView,
  findArchive,
  memoryTypeHeaders,
  viewCsv,
  ViewInputError,
  type ArchiveSymbolsView,
  type ArchivesView,
  type DiffView,
  type FilesView,
  type MemoryTypeBytes,
  type MemoryTypeColumn,
} from '../core/memmap/views';
import { type Command, InputError, UsageError, hex } from './command';

const n = (v: number) => v.toLocaleString('en-US');
const pct = (used: number, size: number) => (size > 0 ? `${((100 * used) / size).toFixed(1)}%` : '');

function table(rows: string[][], rightFrom = 1): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c < rightFrom ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The readable report, in the spirit of `idf.py size-components`. */
export function formatMemoryMap(m: MemoryMapModel): string {
  const out: string[] = [];
  const shown = m.regions.filter((r) => r.used > 0 || !r.flash);
  // Flash regions are address windows, not memory: their use is measured against the app partition.
  const app = m.appPartition;
  out.push(
    table(
      [
        ['Region', 'Start', 'Used', 'Free', 'Size', 'Use%', 'Fill', 'Slots'],
        ...shown.map((r) => [
          r.name + (r.pool ? ` (${r.pool.name} ${n(r.pool.size)})` : ''),
          hex(r.start),
          n(r.used),
          r.flash ? '-' : n(r.free),
          r.flash ? '-' : n(r.size),
          r.flash ? '' : pct(r.used, r.size),
          n(r.fill),
          r.slotReserved ? n(r.slotReserved) : '',
        ]),
        ...(app
          ? [[`App partition ${app.name}`, hex(app.offset), n(app.used), n(app.free), n(app.size), pct(app.used, app.size), '', '']]
          : []),
      ],
      2,
    ),
  );
  out.push('');
  out.push(formatArchives(archivesView(m)));
  if (m.slots.length) {
    out.push('', '* dynamic library (moved out of the firmware image by the split)');
    out.push(
      table(
        [
          ['Slot', 'Libraries', 'Reserved', 'Where', 'Flash saved'],
          ...m.slots.map((s) => [
            s.name,
            s.libraries.join(', '),
            n(s.size),
            s.ranges.map((r) => `${r.kind} ${r.region} ${hex(r.start)}+${r.size}`).join('; '),
            n(s.flashSaved),
          ]),
        ],
        2,
      ),
    );
  }
  if (m.flashSlots) out.push('', ...formatFlashSlots(m.flashSlots));
  out.push(
    '',
    `Image (loadable bytes): ${n(m.imageBytes)}` +
      (m.slots.length
        ? `; dynamic libraries: ${n(m.flashSaved)} bytes ${m.split ? 'saved by the split' : 'would be saved by a split'}`
        : ''),
  );
  for (const note of m.notes) out.push(`note: ${note}`);
  return out.join('\n');
}

/** The instruction window with its flash slots, and the mmlib partition's use (docs/design.md §6a). */
function formatFlashSlots(f: NonNullable<MemoryMapModel['flashSlots']>): string[] {
  const p = f.partition;
  return [
    `Flash window ${hex(f.window.start)}..${hex(f.window.end)}${f.appReach !== undefined ? `; the app's own flash code reaches at most ${hex(f.appReach)}` : ''}`,
    table(
      [
        ['Flash slot', 'Libraries', 'Address', 'Code', 'Reserved'],
        ...f.slots.map((s) => [s.name, s.libraries.join(', '), hex(s.start), n(s.size), n(s.reserved)]),
        ...(p
          ? [
              [
                `Partition ${p.name}`,
                `${f.images.length} image${f.images.length === 1 ? '' : 's'} + 64 KB directory`,
                hex(p.offset),
                n(p.used),
                `${n(p.size)} (${pct(p.used, p.size)})`,
              ],
            ]
          : []),
      ],
      2,
    ),
  ];
}

/**
 * Before and after a split. RAM the slots reserve stays taken after the split (the libraries
 * load there), so RAM rows count it in both columns and do not read as RAM saved; what the
 * split saves is flash.
 */
function formatComparison(after: MemoryMapModel, before: MemoryMapModel): string {
  const names = before.regions.filter((r) => r.used > 0 || after.regions.find((a) => a.name === r.name)?.used).map((r) => r.name);
  const inUse = (r: MemoryMapModel['regions'][number] | undefined, split: boolean) =>
    (r?.used ?? 0) + (split && r && !r.flash ? (r.slotReserved ?? 0) : 0);
  const rows = names.map((name) => {
    const b = inUse(
      before.regions.find((r) => r.name === name),
      false,
    );
    const region = after.regions.find((r) => r.name === name);
    const a = inUse(region, true);
    const note = region && !region.flash && region.slotReserved ? ` (${n(region.slotReserved)} reserved for slots)` : '';
    return [name, n(b), n(a), n(a - b) + note];
  });
  return (
    table([
      ['Before / after split', 'Before', 'After', 'Change'],
      ...rows,
      ['Image (loadable bytes)', n(before.imageBytes), n(after.imageBytes), n(after.imageBytes - before.imageBytes)],
    ]) + `\nRAM is unchanged by a split: the slots stay reserved for the libraries; the image (flash) is what shrinks.`
  );
}

/** One line per build input: which file, how it was found, or why there is none. */
function formatInputs(m: MemoryMapModel): string[] {
  if (!m.inputs) return [];
  const line = (what: string, i: BuildInput | undefined) => {
    if (!i) return [];
    return ['path' in i ? `${what}: ${i.path} (${i.how})` : `${what}: none — ${i.problem}`];
  };
  return [
    ...line('ELF', m.inputs.elf),
    ...line('Map', m.inputs.map),
    ...line('Partition table', m.inputs.partitionTable),
    ...line('sdkconfig', m.inputs.sdkconfig),
  ];
}

const SIZE_SOURCES = (m: MemoryMapModel) =>
  `Sizes: ${m.regions.map((r) => `${r.name} ${r.sizeSource}`).join(', ')}${m.appPartition ? `, app partition ${m.appPartition.sizeSource}` : ''}`;

/** Header cells and values per row for bytes per memory type and part (a type with one part: no part column). */
function partColumns(columns: MemoryTypeColumn[]): { header: string[]; cells: (m: Record<string, MemoryTypeBytes>) => string[] } {
  const csv = memoryTypeHeaders(columns);
  // As esp-idf-size's tables: the memory type's total, then its parts by their short names.
  const header = csv.header.map((h) => (columns.some((c) => c.memoryType === h) ? h : h.slice(h.lastIndexOf(' ') + 1)));
  return { header, cells: (m) => csv.values(m).map(n) };
}

function formatPlaceholders(p: ArchivesView['placeholders']): string[] {
  return p.length
    ? [`Placeholders (skip addresses an alias uses; in fill, not in used): ${p.map((x) => `${x.section} ${n(x.bytes)}`).join(', ')}`]
    : [];
}

/** Per archive the parts per memory type, as `idf.py size-components`. */
export function formatArchives(v: ArchivesView): string {
  const cols = partColumns(v.memoryTypes);
  return [
    table([
      ['Archive', 'Total', ...cols.header],
      ...v.archives.map((a) => [a.archive + (a.dynamic ? ' *' : ''), n(a.total), ...cols.cells(a.memoryTypes)]),
      ['*fill*', n(v.fill.total), ...cols.cells(v.fill.memoryTypes)],
    ]),
    ...formatPlaceholders(v.placeholders),
  ].join('\n');
}

/** Per object file, as `idf.py size-files`. */
export function formatFiles(v: FilesView): string {
  const cols = partColumns(v.memoryTypes);
  return [
    table([
      ['Object file', 'Total', ...cols.header],
      ...v.objects.map((o) => [o.object, n(o.total), ...cols.cells(o.memoryTypes)]),
      ['*fill*', n(v.fill.total), ...cols.cells(v.fill.memoryTypes)],
    ]),
    ...formatPlaceholders(v.placeholders),
  ].join('\n');
}

export function formatArchiveSymbols(v: ArchiveSymbolsView): string {
  const from =
    v.source === 'elf'
      ? "the ELF's symbol table (FUNC and OBJECT symbols inside the archive's input sections of the map)"
      : "the map's input sections (a function or variable per section with -ffunction-sections / -fdata-sections)";
  const rest = v.total - v.listed;
  return [
    `${v.archive}: ${n(v.symbols.length)} symbols from ${from}`,
    table(
      [
        ['Name', 'Section', 'Object', 'Address', 'Size'],
        ...v.symbols.map((s) => [
          s.name + (s.aliases?.length ? ` (= ${s.aliases.join(', ')})` : '') + (s.inner?.length ? ` (+${s.inner.length} inside)` : ''),
          s.section,
          s.object,
          hex(s.address),
          n(s.size),
        ]),
      ],
      3,
    ),
    `Listed ${n(v.listed)} of the archive's ${n(v.total)} bytes` +
      (rest > 0 ? `; ${n(rest)} bytes lie in no symbol (literal pools, merged strings, padding inside input sections)` : ''),
  ].join('\n');
}

const signed = (v: number) => (v > 0 ? `+${n(v)}` : n(v));

export function formatDiff(v: DiffView, currentName: string, referenceName: string): string {
  const changed = v.archives.filter((a) => a.change !== 0);
  const out = [
    `Current: ${currentName} (${v.current.chipName}); reference: ${referenceName} (${v.reference.chipName}); change = current - reference`,
    '',
    table([
      ['Region', 'Current', 'Reference', 'Change'],
      ...v.regions.map((r) => [r.name, n(r.current), n(r.reference), signed(r.change)]),
      ['Image (loadable bytes)', n(v.imageBytes.current), n(v.imageBytes.reference), signed(v.imageBytes.change)],
    ]),
    '',
    table([
      ['Archive', 'Current', 'Reference', 'Change'],
      ...changed.map((a) => [a.archive, n(a.current), n(a.reference), signed(a.change)]),
      ['*fill*', n(v.fill.current), n(v.fill.reference), signed(v.fill.change)],
      ['Total', n(v.total.current), n(v.total.reference), signed(v.total.change)],
    ]),
  ];
  const same = v.archives.length - changed.length;
  if (same > 0) out.push(`${n(same)} archive${same === 1 ? '' : 's'} unchanged (all are in --format json / csv)`);
  return out.join('\n');
}

type Format = 'table' | 'json' | 'csv';

function formatOf(values: Record<string, unknown>, usage: string): Format {
  const f = values.format;
  if (f !== undefined && f !== 'table' && f !== 'json' && f !== 'csv')
    throw new UsageError(`--format must be table, json or csv, not '${String(f)}'\n\n${usage}`);
  if (values.json && f !== undefined && f !== 'json')
    throw new UsageError(`--json means --format json; it cannot be combined with --format ${String(f)}`);
  return values.json ? 'json' : ((f as Format | undefined) ?? 'table');
}

async function load(req: MemoryMapRequest): Promise<MemoryMapModel> {
  try {
    return await analyseBuild(req);
  } catch (e) {
    // A missing or unreadable input is bad input (exit 1), as in every other command.
    if (e instanceof MemoryMapInputError) throw new InputError(e.message);
    throw e;
  }
}

/** The text of the map the model was made from (the views that need its records read it again). */
async function mapTextOf(m: MemoryMapModel, what: string): Promise<string> {
  const map = m.inputs?.map;
  if (m.attribution !== 'map' || !map || !('path' in map)) {
    throw new ViewInputError(
      `${what} needs the linker map file, and there is none${map && 'problem' in map ? ` (${map.problem})` : ''}: pass --map <firmware.map>`,
    );
  }
  return decodeMapFile(await readFile(map.path));
}

export const mapCommand: Command = {
  name: 'map',
  summary: 'memory map of a firmware: regions x archives, per object file, symbols, diff of two builds',
  usage: `Usage: esp32mm map [<firmware.elf>] [--map <file>] [--partitions <file>] [--sdkconfig <file>]
                   [--chip <id>] [--board <id>]
                   [--archives | --files | --archive <name> | --diff <other.elf|other.map>]
                   [--format table|json|csv] [--json]

Shows IRAM, DRAM, RTC, flash and PSRAM use per archive and its parts (.text, .data, .bss,
.rodata, ... as idf.py size-components), linker fill as its own line, dynamic libraries in
their slots with the flash they save, and the image against the app partition. Region sizes
are the link's own (the map's memory regions). For a split ELF with its <name>.full.elf
beside it, shows both and the difference. With --map and no ELF, the map alone is analysed
(as esp-idf-size does).

Views (one at a time; the default is the summary above):
  --archives           per archive the parts per memory type (the default table's second part)
  --files              per object file (libfoo.a(bar.o), main.o), as idf.py size-files; needs the map
  --archive <name>     the symbols of one archive (libfoo.a or foo): name, section, address,
                       size; from the ELF's symbol table when the ELF is given, else from the
                       map's input sections; needs the map
  --diff <file>        this build against another (an ELF, or a .map for map-only), regions and
                       archives sorted by absolute change; change = this build - the other

Options:
  --map <file>         GNU ld map file (default: recorded by the build hook, <name>.map or
                       firmware.map beside the ELF, or the only .map there; without one,
                       bytes are attributed by symbols, which is coarser)
  --partitions <file>  partition table, .bin or .csv (default: partitions.bin in the build folder)
  --sdkconfig <file>   the build's sdkconfig (default: sdkconfig.<env> / sdkconfig of the project)
  --chip <id>          ${CHIP_IDS.join(' | ')}
                       (default: detected from the build; with --diff, for both builds)
  --board <id>         PlatformIO board id (esp32dev, esp32-s3-devkitc-1, ...) to choose the chip
  --format <f>         table (default), json (the summary: the model of docs/memmap-json.md;
                       each view: its own JSON, same document) or csv (RFC 4180, header row)
  --json               the same as --format json
  -h, --help           show this help`,
  options: {
    map: { type: 'string' },
    partitions: { type: 'string' },
    sdkconfig: { type: 'string' },
    chip: { type: 'string' },
    board: { type: 'string' },
    json: { type: 'boolean' },
    format: { type: 'string' },
    archives: { type: 'boolean' },
    files: { type: 'boolean' },
    archive: { type: 'string' },
    diff: { type: 'string' },
  },
  async run(positionals, values) {
    if (positionals.length > 1) throw new UsageError(`expected one ELF file, got ${positionals.length}\n\n${this.usage}`);
    if (positionals.length === 0 && typeof values.map !== 'string')
      throw new UsageError(`give the firmware ELF, or a map file with --map\n\n${this.usage}`);
    const format = formatOf(values, this.usage);
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const views = (['archives', 'files', 'archive', 'diff'] as const).filter((k) => values[k] !== undefined && values[k] !== false);
    if (views.length > 1) throw new UsageError(`choose one view: ${views.map((v) => `--${v}`).join(' and ')} cannot be combined`);
    const view = views[0];
    const model = await load({
      elf: positionals[0],
      map: str(values.map),
      partitions: str(values.partitions),
      sdkconfig: str(values.sdkconfig),
      chip: str(values.chip),
      board: str(values.board),
    });
    const subject = positionals[0] ?? `${str(values.map)} (map only)`;
    const print = (json: unknown, csv: () => string, text: () => string) => {
      if (format === 'json') console.log(JSON.stringify(json, null, 2));
      else if (format === 'csv') process.stdout.write(csv());
      else {
        console.log(
          `${model.chipName} (${model.chipSource === 'elf' || model.chipSource === 'map' ? 'detected' : `from ${model.chipSource}`}) — ${subject}${model.split ? ' [split]' : ''}`,
        );
        for (const line of formatInputs(model)) console.log(line);
        console.log('');
        console.log(text());
      }
    };

    if (view === 'archives') {
      const v = archivesView(model);
      print(
        v,
        () => viewCsv(v),
        () => formatArchives(v),
      );
    } else if (view === 'files') {
      const v = filesView(model, await mapTextOf(model, '--files'));
      print(
        v,
        () => viewCsv(v),
        () => formatFiles(v),
      );
    } else if (view === 'archive') {
      const wanted = String(values.archive);
      const lib = findArchive(model, wanted);
      if (!lib) {
        const largest = model.libraries
          .filter((l) => l.archive)
          .slice(0, 5)
          .map((l) => l.archive);
        throw new InputError(`no archive '${wanted}' in this build${largest.length ? ` (the largest: ${largest.join(', ')})` : ''}`);
      }
      const mapText = await mapTextOf(model, '--archive');
      const elfInput = model.inputs?.elf;
      const elf = elfInput && 'path' in elfInput ? readElf(new Uint8Array(await readFile(elfInput.path))) : undefined;
      const v = archiveSymbolsView(model, mapText, lib, elf);
      print(
        v,
        () => viewCsv(v),
        () => formatArchiveSymbols(v),
      );
    } else if (view === 'diff') {
      const other = String(values.diff);
      const reference = await load({
        ...(other.endsWith('.map') ? { map: other } : { elf: other }),
        chip: str(values.chip),
        board: str(values.board),
      });
      const v = diffView(model, reference);
      print(
        v,
        () => viewCsv(v),
        () => formatDiff(v, subject, other),
      );
    } else {
      // The summary: the model itself as JSON; its archives table as CSV.
      print(
        model,
        () => viewCsv(archivesView(model)),
        () => {
          const lines = [formatMemoryMap(model), SIZE_SOURCES(model)];
          if (model.before) {
            lines.push(`\n${formatComparison(model, model.before)}`);
            lines.push(
              `Flash saved by the split: ${n(model.flashSaved)} bytes (original kept as ${basename(model.inputs?.elf && 'path' in model.inputs.elf ? model.inputs.elf.path.replace(/\.elf$/, '.full.elf') : 'the .full.elf')})`,
            );
          }
          return lines.join('\n');
        },
      );
    }
    return 0;
  },
};

// The Memory Map view's exports: the libraries of a build (or a comparison of two builds) as
// CSV, JSON or Markdown. CSV is `esp32mm map --archives --format csv` (or `--diff … --format
// csv`) byte for byte; JSON is the model without the machine's file paths and the nested
// unsplit model (EXPORTED_FIELDS), or the diff view as `--diff --json` prints it; Markdown is
// the same numbers as tables a reader can paste into an issue or a pull request.
import type { MemoryMapModel } from './model';
import { archivesView, viewCsv, type DiffView } from './views';

export type ExportFormat = 'csv' | 'json' | 'md';

/**
 * The model's fields a JSON export keeps: every number of the build. Left out: `inputs` (the
 * paths of this machine's ELF, map and partition table) and `before` (the unsplit model,
 * which the comparison with the unsplit firmware exports itself).
 */
export const EXPORTED_FIELDS = [
  'chip',
  'chipName',
  'chipSource',
  'sectionsFrom',
  'attribution',
  'split',
  'regions',
  'sections',
  'libraries',
  'fill',
  'fillDetail',
  'slots',
  'imageBytes',
  'appPartition',
  'flashSaved',
  'notes',
] as const satisfies readonly (keyof MemoryMapModel)[];

export function exportedModel(model: MemoryMapModel): Partial<MemoryMapModel> {
  const out: Record<string, unknown> = {};
  for (const k of EXPORTED_FIELDS) if (model[k] !== undefined) out[k] = model[k];
  return out as Partial<MemoryMapModel>;
}

/** The libraries (archives view) or a comparison (diff view) as a file's text. */
export function exportText(model: MemoryMapModel, format: ExportFormat, diff?: DiffView): string {
  if (format === 'csv') return viewCsv(diff ?? archivesView(model));
  if (format === 'json') return JSON.stringify(diff ?? exportedModel(model), null, 2) + '\n';
  return diff ? diffMarkdown(diff) : librariesMarkdown(model);
}

/** A Markdown table cell: a pipe would end the cell (escaped), a line break the row (a space). */
const cell = (v: string | number) => String(v).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function table(header: string[], rows: (string | number)[][], numericFrom: number): string {
  const align = header.map((_, i) => (i >= numericFrom ? '---:' : '---'));
  return [header, align, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n') + '\n';
}

/** Regions (in use counts the slots after a split: they stay reserved), the app partition, libraries with linker fill. */
function librariesMarkdown(model: MemoryMapModel): string {
  const regions = model.regions.filter((r) => r.used > 0);
  const head =
    `# Memory map (${model.chipName})\n\n` +
    table(
      ['Region', 'In use', 'Size', 'Free'],
      model.regions.map((r) => [r.name, r.used + (model.split && !r.flash ? (r.slotReserved ?? 0) : 0), r.size, r.flash ? '' : r.free]),
      1,
    );
  const p = model.appPartition;
  const partition = p ? `\nApp partition ${p.name}: ${p.used} of ${p.size} bytes (${p.free} free).\n` : '';
  const libs = table(
    ['Library', 'Archive', 'Dynamic', 'Total', ...regions.map((r) => r.name)],
    [
      ...model.libraries.map((l) => [l.name, l.archive, l.dynamic ? 'yes' : '', l.total, ...regions.map((r) => l.byRegion[r.name] ?? 0)]),
      ['linker fill', '', '', model.fill, ...regions.map((r) => r.fill)],
    ],
    3,
  );
  return `${head}${partition}\n## Libraries\n\n${libs}`;
}

function diffMarkdown(d: DiffView): string {
  const rows = [
    ...d.regions.map((r) => ['region', r.name, '', r.current, r.reference, r.change]),
    ...d.archives.map((a) => ['archive', a.name, a.archive, a.current, a.reference, a.change]),
    ['fill', 'linker fill', '', d.fill.current, d.fill.reference, d.fill.change],
    ['image', 'image', '', d.imageBytes.current, d.imageBytes.reference, d.imageBytes.change],
  ];
  return (
    `# Memory map changes (${d.current.chipName})\n\n` + table(['Kind', 'Name', 'Archive', 'This build', 'Reference', 'Change'], rows, 3)
  );
}

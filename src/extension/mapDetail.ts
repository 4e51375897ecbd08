// What the full Memory Map view asks for beyond the model: the object files and symbols of an
// archive (core's filesView / archiveSymbolsView, the rows of `esp32mm map --files` and
// `--archive`), the exports (CSV as the CLI writes it, JSON, Markdown) and the build kept for
// "changes against the previous build". The map is read once per model. No 'vscode' here.
import * as fs from 'node:fs';
import { readElf } from '../core/elf/reader';
import { decodeMapFile } from '../core/mapfile/parse';
import { INPUT_LIMITS, readInputFileSync } from '../core/util/input';
import type { MemoryMapModel } from '../core/memmap/model';
import {
  archiveSymbolsView, archivesView, diffView, filesView, findArchive, viewCsv,
  type ArchiveSymbolsView, type DiffView, type FilesView, type ObjectRow, type SymbolRow,
} from '../core/memmap/views';

export class BuildDetail {
  private mapText?: string;
  private files?: FilesView;
  private readonly symbols = new Map<string, ArchiveSymbolsView>();

  constructor(readonly model: MemoryMapModel) {}

  /** Why drill-down cannot work for this model, or undefined when it can. */
  unavailable(): string | undefined {
    const map = this.model.inputs?.map;
    if (this.model.attribution !== 'map' || !map || !('path' in map)) {
      return 'Object files and symbols need the linker map of this build: build with a map (Memory Manager: Install Build Integration adds one) or set esp32mm.mapFile.';
    }
    return undefined;
  }

  private text(): string {
    const map = this.model.inputs!.map as { path: string };
    return (this.mapText ??= decodeMapFile(readInputFileSync(map.path, { what: 'map file', maxBytes: INPUT_LIMITS.map })));
  }

  /** The `esp32mm map --files` rows of one library (archive members, or the loose object itself). */
  objectsOf(library: string): ObjectRow[] {
    const lib = this.model.libraries.find((l) => l.name === library);
    if (!lib) return [];
    this.files ??= filesView(this.model, this.text());
    if (lib.archive.endsWith('.a')) return this.files.objects.filter((o) => o.archive === lib.archive);
    return this.files.objects.filter((o) => !o.archive && o.object === (lib.archive || lib.name));
  }

  /** The `esp32mm map --archive <library>` rows of one of its objects (the ELF's symbols when the ELF is there). */
  symbolsOf(library: string, object: string): SymbolRow[] {
    let view = this.symbols.get(library);
    if (!view) {
      const lib = findArchive(this.model, this.model.libraries.find((l) => l.name === library)?.archive || library);
      if (!lib) return [];
      const elfInput = this.model.inputs?.elf;
      const elf = elfInput && 'path' in elfInput && fs.existsSync(elfInput.path) ? readElf(new Uint8Array(readInputFileSync(elfInput.path, { what: 'ELF file', maxBytes: INPUT_LIMITS.elf }))) : undefined;
      view = archiveSymbolsView(this.model, this.text(), lib, elf);
      this.symbols.set(library, view);
    }
    return view.symbols.filter((s) => s.object === object);
  }
}

export type ExportFormat = 'csv' | 'json' | 'md';

/** The libraries (archives view) or a comparison (diff view) as a file's text. */
export function exportText(model: MemoryMapModel, format: ExportFormat, diff?: DiffView): string {
  const view = diff ?? archivesView(model);
  if (format === 'csv') return viewCsv(view);
  if (format === 'json') return JSON.stringify(diff ?? model, null, 2) + '\n';
  return diff ? diffMarkdown(diff) : librariesMarkdown(model);
}

/** A Markdown table cell: pipes and line breaks would end the cell. */
const cell = (v: string | number) => String(v).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function table(header: string[], rows: (string | number)[][], numeric: number): string {
  const align = header.map((_, i) => (i >= numeric ? '---:' : '---'));
  return [header, align, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n') + '\n';
}

function librariesMarkdown(model: MemoryMapModel): string {
  const regions = model.regions.filter((r) => r.used > 0);
  const head = `# Memory map (${model.chipName})\n\n` + table(['Region', 'In use', 'Size', 'Free'],
    model.regions.map((r) => [r.name, r.used + (model.split && !r.flash ? r.slotReserved ?? 0 : 0), r.size, r.flash ? '' : r.free]), 1);
  const p = model.appPartition;
  const partition = p ? `\nApp partition ${p.name}: ${p.used} of ${p.size} bytes (${p.free} free).\n` : '';
  const libs = table(['Library', 'Archive', 'Dynamic', 'Total', ...regions.map((r) => r.name)],
    [...model.libraries.map((l) => [l.name, l.archive, l.dynamic ? 'yes' : '', l.total, ...regions.map((r) => l.byRegion[r.name] ?? 0)]),
      ['linker fill', '', '', model.fill, ...regions.map((r) => r.fill)]], 3);
  return `${head}${partition}\n## Libraries\n\n${libs}`;
}

function diffMarkdown(d: DiffView): string {
  const rows = [
    ...d.regions.map((r) => ['region', r.name, '', r.current, r.reference, r.change]),
    ...d.archives.map((a) => ['archive', a.name, a.archive, a.current, a.reference, a.change]),
    ['fill', 'linker fill', '', d.fill.current, d.fill.reference, d.fill.change],
    ['image', 'image', '', d.imageBytes.current, d.imageBytes.reference, d.imageBytes.change],
  ];
  return `# Memory map changes (${d.current.chipName})\n\n` + table(['Kind', 'Name', 'Archive', 'This build', 'Reference', 'Change'], rows, 3);
}

export { diffView };

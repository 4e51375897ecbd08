// What the full Memory Map view asks for beyond the model: the object files and symbols of an
// archive (core's filesView / archiveSymbolsView, the rows of `esp32mm map --files` and
// `--archive`), with the map read once per model. No 'vscode' here.
import * as fs from 'node:fs';
import { readElf } from '../core/elf/reader';
import { decodeMapFile } from '../core/mapfile/parse';
import { INPUT_LIMITS, readInputFileSync } from '../core/util/input';
import type { MemoryMapModel } from '../core/memmap/model';
import {
  archiveSymbolsView, diffView, filesView, findArchive,
  type ArchiveSymbolsView, type FilesView, type ObjectRow, type SymbolRow,
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

// The exports live in core (src/core/memmap/export.ts); the extension imports them from here.
export { exportText, type ExportFormat } from '../core/memmap/export';
export { diffView };

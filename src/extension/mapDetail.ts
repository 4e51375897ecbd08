// What the full Memory Map view asks for beyond the model: the object files and symbols of an
// archive (core's filesView / archiveSymbolsView, the rows of `esp32mm map --files` and
// `--archive`), with the map read once per model, for the firmware to be flashed and for the
// unsplit one; and where each row opens (an object's source file, a symbol's definition line
// in it). No 'vscode' here.
import * as fs from 'node:fs';
import { readElf } from '../core/elf/reader';
import { decodeMapFile } from '../core/mapfile/parse';
import { INPUT_LIMITS, readInputFileSync } from '../core/util/input';
import type { MemoryMapModel } from '../core/memmap/model';
import { definitionLine } from '../core/memmap/definitions';
import { fullElfPath } from '../core/split/split';
import type { DrillBuild, DrillRows } from '../../webview-ui/model';
import { librarySources } from './sources';
import {
  archiveSymbolsView,
  diffView,
  filesView,
  findArchive,
  type ArchiveSymbolsView,
  type FilesView,
  type ObjectRow,
  type SymbolRow,
} from '../core/memmap/views';

/** The ELF and map a model's object files and symbols are read from. */
export interface DetailInputs {
  map?: string;
  elf?: string;
}

/** The inputs of a model as loadMemoryMap found them (the shown build). */
export function inputsOf(model: MemoryMapModel): DetailInputs {
  const map = model.inputs?.map;
  const elf = model.inputs?.elf;
  return { map: map && 'path' in map ? map.path : undefined, elf: elf && 'path' in elf ? elf.path : undefined };
}

export class BuildDetail {
  private mapText?: string;
  private files?: FilesView;
  private readonly symbols = new Map<string, ArchiveSymbolsView>();

  /** `inputs`: the map this model was made from and its ELF (for the unsplit model: the same map and firmware.full.elf). */
  constructor(
    readonly model: MemoryMapModel,
    private readonly inputs: DetailInputs = inputsOf(model),
  ) {}

  /** Why drill-down cannot work for this model, or undefined when it can. */
  unavailable(): string | undefined {
    if (this.model.attribution !== 'map' || !this.inputs.map) {
      return 'Object files and symbols need the linker map of this build: build with a map (Memory Manager: Install Build Integration adds one) or set esp32mm.mapFile.';
    }
    return undefined;
  }

  private text(): string {
    return (this.mapText ??= decodeMapFile(readInputFileSync(this.inputs.map!, { what: 'map file', maxBytes: INPUT_LIMITS.map })));
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
      const elfPath = this.inputs.elf;
      const elf =
        elfPath && fs.existsSync(elfPath)
          ? readElf(new Uint8Array(readInputFileSync(elfPath, { what: 'ELF file', maxBytes: INPUT_LIMITS.elf })))
          : undefined;
      view = archiveSymbolsView(this.model, this.text(), lib, elf);
      this.symbols.set(library, view);
    }
    return view.symbols.filter((s) => s.object === object);
  }
}

/**
 * Drill-down for both firmwares the full view shows: the one to be flashed (`after`) and,
 * after a split, the unsplit one (`before`, from firmware.full.elf and the same map), each
 * with where its rows open: an object's source file, a symbol's definition line in it.
 */
export class MapDetails {
  private readonly builds: Record<DrillBuild, BuildDetail | undefined>;
  private readonly texts = new Map<string, string | undefined>();

  /** `sources`: library name → the project file or folder its row opens (librarySources). */
  constructor(
    after: MemoryMapModel,
    before: MemoryMapModel | null,
    private readonly sources: Record<string, string>,
  ) {
    const inputs = inputsOf(after);
    this.builds = {
      after: new BuildDetail(after, inputs),
      before: before ? new BuildDetail(before, { map: inputs.map, elf: inputs.elf && fullElfPath(inputs.elf) }) : undefined,
    };
  }

  /** The object files of a library, or the symbols of one of its objects, in the firmware `build`. */
  drill(library: string, object: string | undefined, build: DrillBuild = 'after'): DrillRows {
    const detail = this.builds[build];
    const tag = { library, build, ...(object !== undefined ? { object } : {}) };
    const why = detail ? detail.unavailable() : 'The unsplit firmware (firmware.full.elf) is not there any more.';
    if (!detail || why) return { type: 'unavailable', ...tag, reason: why! };
    try {
      if (object === undefined) {
        const objects = detail.objectsOf(library);
        if (!objects.length)
          return {
            type: 'unavailable',
            ...tag,
            reason: `${library} has no bytes in this firmware (a dynamic library is in its files after the split).`,
          };
        const sources: Record<string, string> = {};
        for (const o of objects) {
          const source = this.objectSource(library, o.member ?? o.object);
          if (source) sources[o.member ?? o.object] = source;
        }
        return { type: 'objects', library, build, objects, sources };
      }
      const symbols = detail.symbolsOf(library, object);
      const source = this.objectSource(library, object);
      const lines = source ? this.definitionLines(source, symbols) : {};
      return { type: 'symbols', library, build, object, symbols, ...(source ? { source } : {}), lines };
    } catch (e) {
      return { type: 'unavailable', ...tag, reason: e instanceof Error ? e.message : String(e) };
    }
  }

  /**
   * The source of one object of a library: a member of a project library is looked up in that
   * library's own folder only (a framework archive's `main.cpp.o` is not the project's
   * src/main.cpp); a loose object is the library row's own source file.
   */
  private objectSource(library: string, object: string): string | undefined {
    const own = this.sources[library];
    if (!own) return undefined;
    if (!fs.statSync(own).isDirectory()) return own;
    const roots = { projectRoot: own, srcDir: own, libDir: own, libdepsDir: own };
    return librarySources([{ name: object, archive: /\.(o|obj)$/.test(object) ? object : `${object}.o` }], roots)[object];
  }

  /** Symbol name → the line of `file` that defines it (core's definitionLine); symbols it cannot place are absent. */
  private definitionLines(file: string, symbols: SymbolRow[]): Record<string, number> {
    if (!this.texts.has(file)) {
      let text: string | undefined;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        text = undefined;
      }
      this.texts.set(file, text);
    }
    const text = this.texts.get(file);
    const lines: Record<string, number> = {};
    if (text === undefined) return lines;
    for (const s of symbols) {
      const line = definitionLine(text, s.name, symbolKind(s));
      if (line !== undefined) lines[s.name] = line;
    }
    return lines;
  }
}

/** A function or a variable: the ELF's symbol type, else the kind of input section it lies in. */
function symbolKind(s: SymbolRow): 'function' | 'variable' {
  if (s.type) return s.type === 'FUNC' ? 'function' : 'variable';
  return /^\.(text|literal|iram|init|fini)/.test(s.inputSection) ? 'function' : 'variable';
}

// The exports live in core (src/core/memmap/export.ts); the extension imports them from here.
export { exportText, type ExportFormat } from '../core/memmap/export';
export { diffView };

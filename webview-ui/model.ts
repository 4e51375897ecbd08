// The messages between the extension host and the Memory Map webview. The memory-map model
// is src/core/memmap's, the object `esp32mm map --json` prints (docs/memmap-json.md); the
// webview renders it as it is: every number on screen comes from the model.

export type {
  MemoryMapModel,
  RegionEntry as MapRegion,
  SectionEntry as MapSection,
  LibraryEntry as MapLibrary,
  SlotEntry as MapSlot,
} from '../src/core/memmap/model';
import type { MemoryMapModel } from '../src/core/memmap/model';
import type { DiffView, ObjectRow, SymbolRow } from '../src/core/memmap/views';
export type { DiffView, ObjectRow, SymbolRow } from '../src/core/memmap/views';

/** A diff of the shown build against a reference build (core's diffView, `esp32mm map --diff`). */
export interface Comparison {
  against: 'previous' | 'unsplit';
  /** What the reference is, in words ("the build of 21:04:12", "firmware.full.elf"). */
  label: string;
  diff: DiffView;
}

/** What the host sends for one project + environment. */
export interface ViewState {
  project: string;
  env: string;
  elf: string;
  /** The model of the firmware as it will be flashed (after the split, if split). */
  after: MemoryMapModel | null;
  /** The model of the original firmware (firmware.full.elf) when the ELF was split. */
  before: MemoryMapModel | null;
  /** Shown instead of the map when there is nothing to show (no build yet, errors). */
  message?: { text: string; actions?: { title: string; command: string }[] };
  busy?: string;
  updatedAt: number;
  /** Library name → the project path (file or folder) its row opens; a library without one is not a link. */
  sources?: Record<string, string>;
  /** The full view only: the build against the previous build of the env and against the unsplit ELF. */
  comparisons?: Comparison[];
}

/** Which firmware a drill-down is of: the one to be flashed, or (after a split) the unsplit one. */
export type DrillBuild = 'after' | 'before';

/**
 * The object files of one archive (`esp32mm map --files`), or the symbols of one
 * (`--archive`). `sources`: object → the project file it opens; `source` + `lines`: a
 * symbol opens `source` at `lines[name]`, and a symbol without a line opens nothing.
 */
export type DrillRows =
  | { type: 'objects'; library: string; build?: DrillBuild; objects: ObjectRow[]; sources: Record<string, string> }
  | {
      type: 'symbols';
      library: string;
      build?: DrillBuild;
      object: string;
      symbols: SymbolRow[];
      source?: string;
      lines?: Record<string, number>;
    }
  | { type: 'unavailable'; library: string; build?: DrillBuild; object?: string; reason: string };

export type HostToWebview =
  { type: 'state'; state: ViewState } | { type: 'busy'; text: string | null } | { type: 'drill'; rows: DrillRows };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'reveal'; library: string; archive: string }
  | { type: 'command'; command: string }
  | { type: 'rendered'; ms: number; libraries: number; regions: number }
  | { type: 'drill'; library: string; object?: string; build?: DrillBuild }
  /** A project file or folder the view was given; `line` (1-based) where a symbol is defined. */
  | { type: 'open'; path: string; line?: number }
  | { type: 'export'; format: 'csv' | 'json' | 'md'; what: 'libraries' | 'diff'; against?: Comparison['against'] };

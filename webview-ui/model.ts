// The messages between the extension host and the Memory Map webview. The memory-map model
// is src/core/memmap's, the object `esp32mm map --json` prints (docs/memmap-json.md); the
// webview renders it as it is: every number on screen comes from the model.

export type {
  MemoryMapModel, RegionEntry as MapRegion, SectionEntry as MapSection, LibraryEntry as MapLibrary, SlotEntry as MapSlot,
} from '../src/core/memmap/model';
import type { MemoryMapModel } from '../src/core/memmap/model';

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
}

export type HostToWebview =
  | { type: 'state'; state: ViewState }
  | { type: 'busy'; text: string | null };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'reveal'; library: string; archive: string }
  | { type: 'command'; command: string }
  | { type: 'rendered'; ms: number; libraries: number; regions: number };

// The messages between the extension host and the Memory Map webview, and the memory-map
// model as printed by `esp32mm map --json` (issue 3 / src/core/memmap). The webview renders
// these objects as they are: every number on screen comes from the model, none is derived
// here except percentages for bar widths.

export interface MapRegion {
  name: string;
  start: number;
  size: number;
  used: number;
  /** Bytes not usable by the program (e.g. reserved by the framework); optional. */
  [extra: string]: unknown;
}

export interface MapSection {
  name: string;
  region: string;
  address: number;
  size: number;
}

export interface MapLibrary {
  name: string;
  archive: string;
  dynamic: boolean;
  total: number;
  byRegion: Record<string, number>;
  slot?: string;
  [extra: string]: unknown;
}

export interface MapSlot {
  name: string;
  libraries?: string[];
  members?: string[];
  region?: string;
  size?: number;
  flashSaved?: number;
  [extra: string]: unknown;
}

export interface MemoryMapModel {
  chip: string;
  regions: MapRegion[];
  sections: MapSection[];
  libraries: MapLibrary[];
  fill: number;
  slots?: MapSlot[];
  flashSaved?: number;
  notes?: string[];
  [extra: string]: unknown;
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
}

export type HostToWebview =
  | { type: 'state'; state: ViewState }
  | { type: 'busy'; text: string | null };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'reveal'; library: string; archive: string }
  | { type: 'command'; command: string }
  | { type: 'rendered'; ms: number; libraries: number; regions: number };

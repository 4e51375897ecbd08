// DOM rendering of the memory-map model. Pure functions from model (+ UI state) to DOM nodes,
// built with createElement (no innerHTML: nothing from the model is ever parsed as HTML) and
// with widths set through CSSOM, which the strict CSP allows (style attributes would not be).
import type { MapLibrary, MapRegion, MapSlot, MemoryMapModel } from './model';
import { bytes, kib, percent } from './format';

export type SortKey = { column: string; descending: boolean };

/** Libraries drawn as their own bar segment; the rest of a region is one "other" segment. */
const SEGMENTS_PER_BAR = 8;
const COLOR_COUNT = 8;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

/**
 * One colour per library in every bar, legend and table row: by the library's rank in the
 * whole build (the model lists libraries by total), so a library keeps its colour from
 * region to region and between builds of similar shape.
 */
export function libraryColours(model: MemoryMapModel): Map<string, string> {
  const colours = new Map<string, string>();
  // Dynamic libraries are drawn as their slot: leaving them out keeps every other library's
  // colour the same before and after the split.
  for (const l of model.libraries) if (!l.dynamic) colours.set(l.name, `c${colours.size % COLOR_COUNT}`);
  return colours;
}

/** One piece of a region's bar; the legend and the screen-reader label list the same pieces. */
export interface Segment {
  kind: 'library' | 'other' | 'slot' | 'fill' | 'reserved' | 'free';
  name: string;
  bytes: number;
  cls: string;
  label: string;
}

/** The bytes of `slot` in `region`: its text, data and bss ranges there (an overlay's largest member). */
export function slotBytesIn(slot: MapSlot, region: string): number {
  return slot.ranges.reduce((s, r) => s + (r.region === region ? r.size : 0), 0);
}

/** What the slots of `region` hold there, in words: "text 652 B" or "data 30,120 B + bss 2,276 B". */
function slotParts(slot: MapSlot, region: string): string {
  return slot.ranges
    .filter((r) => r.region === region)
    .map((r) => `${r.kind} ${bytes(r.size)} B`)
    .join(' + ');
}

/**
 * Bytes of the region the firmware occupies: its sections, plus after a split the slots,
 * which are no longer sections but stay reserved. Before the split `used` already counts
 * each slot once (overlay members share addresses).
 */
export function occupied(model: MemoryMapModel, region: MapRegion): number {
  return region.used + (model.split && !region.flash ? (region.slotReserved ?? 0) : 0);
}

/**
 * The region's bar: the static libraries, each slot once at its reserved size (never its
 * members stacked), linker fill, reserved and free space — adding up to the region's size.
 */
export function regionSegments(model: MemoryMapModel, region: MapRegion, colours: Map<string, string>): Segment[] {
  const inSlot = (l: MapLibrary) => l.dynamic && model.slots.some((s) => s.libraries.includes(l.name) && slotBytesIn(s, region.name) > 0);
  const libs = model.libraries
    .filter((l) => (l.byRegion[region.name] ?? 0) > 0 && !(!region.flash && inSlot(l)))
    .sort((a, b) => b.byRegion[region.name] - a.byRegion[region.name]);
  const segments: Segment[] = [];
  for (const l of libs.slice(0, SEGMENTS_PER_BAR)) {
    const n = l.byRegion[region.name];
    segments.push({
      kind: 'library',
      name: l.name,
      bytes: n,
      cls: `${colours.get(l.name)}${l.dynamic ? ' dynamic' : ''}`,
      label: `${l.name}${l.dynamic ? ' (dynamic)' : ''}: ${bytes(n)} B`,
    });
  }
  const others = libs.slice(SEGMENTS_PER_BAR);
  const othersBytes = others.reduce((s, l) => s + l.byRegion[region.name], 0);
  if (othersBytes > 0)
    segments.push({
      kind: 'other',
      name: 'other',
      bytes: othersBytes,
      cls: 'other',
      label: `${others.length} other libraries: ${bytes(othersBytes)} B`,
    });
  let slots = 0;
  if (!region.flash) {
    for (const s of model.slots) {
      const n = slotBytesIn(s, region.name);
      if (n <= 0) continue;
      slots += n;
      segments.push({
        kind: 'slot',
        name: s.name,
        bytes: n,
        cls: 'slotres',
        label: `slot ${s.name} (${s.libraries.join(', ')}; one loaded at a time): ${slotParts(s, region.name)} reserved`,
      });
    }
  }
  const libBytes = segments.reduce((s, x) => s + x.bytes, 0) - slots;
  const inUse = occupied(model, region);
  // The rest of what the region's sections cover: linker fill (padding, data statements).
  const fill = Math.max(0, inUse - libBytes - slots);
  if (fill > 0) segments.push({ kind: 'fill', name: 'fill', bytes: fill, cls: 'fill', label: `linker fill: ${bytes(fill)} B` });
  if (!region.flash) {
    // Between the last section and the free space: alignment, framework use.
    const reserved = region.size - inUse - region.free;
    if (reserved > 0)
      segments.push({
        kind: 'reserved',
        name: 'reserved',
        bytes: reserved,
        cls: 'reserved',
        label: `reserved (alignment, framework): ${bytes(reserved)} B`,
      });
    // Flash windows are address space, not memory to fill: no "free" for them.
    if (region.free > 0)
      segments.push({ kind: 'free', name: 'free', bytes: region.free, cls: 'free', label: `free: ${bytes(region.free)} B` });
  }
  return segments;
}

const LEGEND_NAME: Record<Segment['kind'], (s: Segment) => string> = {
  library: (s) => s.name,
  other: () => 'other',
  slot: (s) => `slot ${s.name}`,
  fill: () => 'linker fill',
  reserved: () => 'reserved',
  free: () => 'free',
};

export function renderRegion(model: MemoryMapModel, region: MapRegion, colours = libraryColours(model)): HTMLElement {
  const segments = regionSegments(model, region, colours);
  const capacity = Math.max(region.size, occupied(model, region), 1);
  const bar = h('div', { class: 'bar', role: 'img' });
  const legend = h('div', { class: 'legend' });
  for (const s of segments) {
    const seg = h('span', {
      class: `seg ${s.cls}`,
      title: s.label,
      'data-kind': s.kind,
      'data-name': s.name,
      'data-bytes': String(s.bytes),
    });
    seg.style.width = `${(100 * s.bytes) / capacity}%`;
    bar.append(seg);
    legend.append(
      h(
        'span',
        { class: 'legend-item', 'data-kind': s.kind, 'data-name': s.name, 'data-bytes': String(s.bytes), title: s.label },
        h('span', { class: `swatch ${s.cls}`, 'aria-hidden': 'true' }),
        `${LEGEND_NAME[s.kind](s)} ${kib(s.bytes)}`,
      ),
    );
  }
  const pool = region.pool ? ` (shares ${region.pool.name}, ${kib(region.pool.size)})` : '';
  const inUse = occupied(model, region);
  bar.setAttribute(
    'aria-label',
    `${region.name}: ${kib(inUse)} in use of ${kib(region.size)}${pool}. ${segments.map((s) => `${LEGEND_NAME[s.kind](s)} ${kib(s.bytes)}`).join(', ')}`,
  );
  const slotNote = !region.flash && region.slotReserved ? ` · ${bytes(region.slotReserved)} B in slots` : '';
  const head = h(
    'div',
    { class: 'region-head' },
    h('span', { class: 'region-name', title: region.boundary ? `static use ends at ${region.boundary.symbol}` : '' }, region.name),
    h(
      'span',
      { class: 'region-numbers' },
      h('span', { class: 'used', 'data-bytes': String(inUse) }, bytes(inUse)),
      ' / ',
      h('span', { class: 'size', 'data-bytes': String(region.size) }, bytes(region.size)),
      ` B · ${percent(inUse, region.size)}${slotNote}`,
    ),
  );
  const level = region.flash ? 'ok' : partitionLevel(inUse, region.size);
  head.lastElementChild!.classList.add(`level-${level}`);
  return h(
    'div',
    {
      class: `${region.used ? 'region' : 'region unused'} level-${level}`,
      'data-level': level,
      'data-region': region.name,
      'data-used': String(region.used),
      'data-occupied': String(inUse),
      'data-size': String(region.size),
      ...(region.slotReserved ? { 'data-slots': String(region.slotReserved) } : {}),
    },
    head,
    bar,
    legend,
  );
}

/** Bytes the firmware holds in RAM (every non-flash region, slots included). */
function ramInUse(model: MemoryMapModel): number {
  return model.regions.filter((r) => !r.flash).reduce((s, r) => s + occupied(model, r), 0);
}

/**
 * After a split the headline says what changed: the image shrank, RAM did not (the slots
 * stay reserved for the libraries loaded at run time) — so nobody reads it as RAM saved.
 */
function splitHeadline(model: MemoryMapModel, before: MemoryMapModel): HTMLElement {
  const flash = model.imageBytes - before.imageBytes;
  const ram = ramInUse(model) - ramInUse(before);
  const reserved = model.slots.reduce((s, x) => s + x.size, 0);
  const ramText =
    ram === 0 ? `RAM unchanged (${kib(reserved)} stays reserved for slots)` : `RAM ${ram > 0 ? '+' : '−'}${bytes(Math.abs(ram))} B`;
  return h(
    'p',
    { class: 'headline', 'data-flash-change': String(flash), 'data-ram-change': String(ram) },
    `After the split: flash ${flash > 0 ? '+' : '−'}${bytes(Math.abs(flash))} B, ${ramText}.`,
  );
}

/** The app partition's headroom, with the thresholds of the full view (warning ≥ 80 %, error ≥ 95 %). */
export function partitionLevel(used: number, size: number): 'ok' | 'warning' | 'error' {
  const share = size > 0 ? used / size : 1;
  return share >= 0.95 ? 'error' : share >= 0.8 ? 'warning' : 'ok';
}

export function renderSummary(model: MemoryMapModel, before: MemoryMapModel | null = null): HTMLElement {
  const box = h('div', { class: 'summary' });
  if (model.split && before) box.append(splitHeadline(model, before));
  const dynamic = model.libraries.filter((l) => l.dynamic);
  const facts: (Node | string)[] = [
    h('span', { class: 'fact', title: `chip from ${model.chipSource}` }, model.chipName),
    h('span', { class: 'fact', 'data-bytes': String(model.imageBytes) }, `image ${kib(model.imageBytes)}`),
    h('span', { class: 'fact' }, `${model.libraries.length} libraries`),
  ];
  if (dynamic.length) facts.push(h('span', { class: 'fact' }, `${dynamic.length} dynamic`));
  if (model.slots.length) {
    facts.push(
      h(
        'span',
        { class: 'fact saved', 'data-bytes': String(model.flashSaved) },
        model.split ? `flash saved ${kib(model.flashSaved)}` : `a split would save ${kib(model.flashSaved)} flash`,
      ),
    );
  }
  if (model.appPartition) {
    const p = model.appPartition;
    facts.push(
      h(
        'span',
        {
          class: `fact level-${partitionLevel(p.used, p.size)}`,
          'data-app-partition': p.name,
          'data-used': String(p.used),
          'data-size': String(p.size),
          'data-free': String(p.free),
          title: "the firmware image in its app partition (from the build's partition table)",
        },
        `app partition ${p.name}: ${kib(p.used)} of ${kib(p.size)} (${percent(p.used, p.size)}), ${kib(p.free)} headroom`,
      ),
    );
  }
  box.append(h('div', { class: 'facts' }, ...facts));
  if (model.inputs) {
    // Which map the numbers come from, or why there is none: never a silent fallback.
    const map = model.inputs.map;
    box.append(
      h(
        'p',
        { class: 'inputs', 'data-map': 'path' in map ? map.path : '' },
        'path' in map ? `Map: ${baseName(map.path)} (${map.how})` : `No map: ${map.problem}`,
      ),
    );
  }
  if (model.slots.length) {
    const list = h('ul', { class: 'slots', 'aria-label': 'Slots' });
    for (const s of model.slots) {
      const where = [...new Set(s.ranges.map((r) => r.region))]
        .map((r) => `${r} ${bytes(slotBytesIn(s, r))} B (${slotParts(s, r)})`)
        .join(', ');
      const li = h(
        'li',
        { class: 'slot', 'data-slot': s.name, 'data-size': String(s.size) },
        h('strong', {}, `slot ${s.name}`),
        `: ${s.libraries.join(', ')} — reserves ${where}`,
      );
      if (s.flashSaved) li.append(`; saves ${kib(s.flashSaved)} flash`);
      list.append(li);
    }
    box.append(list);
  }
  for (const note of model.notes) box.append(h('p', { class: 'note' }, note));
  return box;
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/** Names in the order VS Code's own lists use (locale-aware, case-insensitive: `mm_agent_arduino` before `mm_agent.c`). */
const byName = new Intl.Collator(undefined, { sensitivity: 'base' });

export function sortLibraries(libs: MapLibrary[], key: SortKey): MapLibrary[] {
  const bytes = (l: MapLibrary): number => (key.column === 'total' ? l.total : (l.byRegion[key.column] ?? 0));
  const sign = key.descending ? -1 : 1;
  return [...libs].sort((a, b) => {
    const c = key.column === 'name' ? byName.compare(a.name, b.name) : bytes(a) - bytes(b);
    return sign * (c || a.name.localeCompare(b.name));
  });
}

export interface TableOptions {
  key: SortKey;
  /** Library name → the project path that opens it (file or folder); no entry, no link. */
  sources?: Record<string, string>;
  /** Only rows whose library or archive name contains this (case-insensitive). */
  filter?: string;
  /** Rows get a drill-down button (the full view). */
  drill?: boolean;
  colours?: Map<string, string>;
}

export function matchesFilter(l: { name: string; archive: string }, filter: string | undefined): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return l.name.toLowerCase().includes(f) || l.archive.toLowerCase().includes(f);
}

/** The library's name: a button that opens its source where the project has one, else plain text. */
export function libraryName(l: MapLibrary, sources: Record<string, string> | undefined, colour: string | undefined): HTMLElement {
  const source = sources?.[l.name];
  const swatch = h('span', { class: `swatch ${l.dynamic ? 'slotres' : (colour ?? 'other')}`, 'aria-hidden': 'true' });
  const name = source
    ? h('button', { class: 'lib', 'data-library': l.name, 'data-archive': l.archive, title: `${l.archive} — open ${source}` }, l.name)
    : h(
        'span',
        { class: 'lib-plain', title: l.archive ? `${l.archive} (from the framework or a package: nothing in this project to open)` : '' },
        l.name,
      );
  return h('span', { class: 'lib-name' }, swatch, name);
}

/** How many libraries the sidebar lists: a glance, the full view has the rest. */
export const SIDEBAR_TOP = 5;

/**
 * The sidebar's table: the largest libraries by total, name and total only, so it fits a
 * 200 px sidebar with nothing cut off (each row's title has its bytes per region), and a
 * link to the full view that says how many it leaves out.
 */
export function renderTopLibraries(
  model: MemoryMapModel,
  sources: Record<string, string> | undefined,
  colours: Map<string, string>,
  top = SIDEBAR_TOP,
): DocumentFragment {
  const regions = model.regions.filter((r) => r.used > 0);
  const shown = sortLibraries(model.libraries, { column: 'total', descending: true }).slice(0, top);
  const body = h('tbody');
  for (const l of shown) {
    const where = regions
      .filter((r) => (l.byRegion[r.name] ?? 0) > 0)
      .map((r) => `${r.name} ${bytes(l.byRegion[r.name])} B`)
      .join(', ');
    const name = h('th', { scope: 'row', class: 'name' }, libraryName(l, sources, colours.get(l.name)));
    if (l.dynamic)
      name.append(
        h('span', { class: 'tag', title: l.slot ? `dynamic, slot ${l.slot}` : 'dynamic library' }, l.slot ? `dyn·${l.slot}` : 'dyn'),
      );
    body.append(
      h(
        'tr',
        {
          'data-library': l.name,
          'data-archive': l.archive,
          class: l.dynamic ? 'dynamic' : '',
          title: `${l.name}: ${where || 'no bytes'}`,
        },
        name,
        h('td', { class: 'num', 'data-bytes': String(l.total) }, bytes(l.total)),
      ),
    );
  }
  const table = h(
    'table',
    { class: 'libs top', 'aria-label': `The ${shown.length} largest libraries (bytes)` },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col', class: 'name', 'data-column': 'name' }, 'Library'),
        h('th', { scope: 'col', class: 'num', 'data-column': 'total' }, 'Total'),
      ),
    ),
    body,
  );
  const frag = document.createDocumentFragment();
  frag.append(table);
  const rest = model.libraries.length - shown.length;
  if (rest > 0) {
    frag.append(
      h(
        'p',
        { class: 'more', 'data-more': String(rest) },
        h(
          'button',
          {
            class: 'link',
            'data-command': 'esp32mm.openMemoryMap',
            title: 'Memory Manager: Open Memory Map (every library, filter, drill-down, compare, export)',
          },
          `${rest} more — Open Memory Map`,
        ),
      ),
    );
  }
  return frag;
}

export function renderTable(model: MemoryMapModel, opts: TableOptions | SortKey): HTMLTableElement {
  const o: TableOptions = 'column' in opts ? { key: opts } : opts;
  const key = o.key;
  const colours = o.colours ?? libraryColours(model);
  // Regions nothing lives in get a bar (so their free space shows) but no column.
  const regions = model.regions.filter((r) => r.used > 0);
  const columns = [
    { id: 'name', label: 'Library' },
    { id: 'total', label: 'Total' },
    ...regions.map((r) => ({ id: r.name, label: r.name })),
  ];
  const headRow = h('tr');
  for (const c of columns) {
    const active = key.column === c.id;
    const th = h('th', { scope: 'col', 'data-column': c.id, class: c.id === 'name' ? 'name' : 'num' });
    if (active) th.setAttribute('aria-sort', key.descending ? 'descending' : 'ascending');
    th.append(
      h(
        'button',
        { class: 'sort', 'data-sort': c.id, title: `Sort by ${c.label}` },
        c.label,
        h('span', { class: 'arrow', 'aria-hidden': 'true' }, active ? (key.descending ? ' ▼' : ' ▲') : ''),
      ),
    );
    headRow.append(th);
  }
  const body = h('tbody');
  for (const l of sortLibraries(
    model.libraries.filter((x) => matchesFilter(x, o.filter)),
    key,
  )) {
    const tr = h('tr', { 'data-library': l.name, 'data-archive': l.archive, class: l.dynamic ? 'dynamic' : '' });
    const name = h('th', { scope: 'row', class: 'name' });
    if (o.drill) {
      name.append(
        h(
          'button',
          {
            class: 'drill',
            'data-drill': l.name,
            'aria-expanded': 'false',
            'aria-label': `Object files of ${l.name}`,
            title: 'Show its object files and symbols',
          },
          '▸',
        ),
      );
    }
    name.append(libraryName(l, o.sources, colours.get(l.name)));
    if (l.dynamic)
      name.append(
        h('span', { class: 'tag', title: l.slot ? `dynamic, slot ${l.slot}` : 'dynamic library' }, l.slot ? `dyn·${l.slot}` : 'dyn'),
      );
    tr.append(name, h('td', { class: 'num', 'data-bytes': String(l.total) }, bytes(l.total)));
    for (const r of regions) {
      const n = l.byRegion[r.name] ?? 0;
      tr.append(h('td', { class: n ? 'num' : 'num zero', 'data-bytes': String(n) }, n ? bytes(n) : '·'));
    }
    body.append(tr);
  }
  const foot = h(
    'tfoot',
    {},
    h(
      'tr',
      {},
      h('th', { scope: 'row', class: 'name' }, 'linker fill'),
      h('td', { class: 'num', 'data-bytes': String(model.fill) }, bytes(model.fill)),
      ...regions.map((r) => h('td', { class: 'num', 'data-bytes': String(r.fill) }, bytes(r.fill))),
    ),
  );
  return h('table', { class: 'libs', 'aria-label': 'Libraries by region (bytes)' }, h('thead', {}, headRow), body, foot);
}

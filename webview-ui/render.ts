// DOM rendering of the memory-map model. Pure functions from model (+ UI state) to DOM nodes,
// built with createElement (no innerHTML: nothing from the model is ever parsed as HTML) and
// with widths set through CSSOM, which the strict CSP allows (style attributes would not be).
import type { MapLibrary, MapRegion, MemoryMapModel } from './model';
import { bytes, kib, percent } from './format';

export type SortKey = { column: string; descending: boolean };

/** Libraries drawn as their own bar segment; the rest of a region is one "other" segment. */
const SEGMENTS_PER_BAR = 8;
const COLOR_COUNT = 6;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

/** Colours go by position in the bar, so neighbouring segments always differ; the legend
 *  under each bar and the segment tooltips name them. */
function colorClass(position: number): string {
  return `c${position % COLOR_COUNT}`;
}

function librariesIn(model: MemoryMapModel, region: string): MapLibrary[] {
  return model.libraries
    .filter((l) => (l.byRegion[region] ?? 0) > 0)
    .sort((a, b) => b.byRegion[region] - a.byRegion[region]);
}

function segment(cls: string, width: number, total: number, label: string): HTMLElement {
  const s = h('span', { class: `seg ${cls}`, title: label });
  s.style.width = `${Math.max(0, (100 * width) / total)}%`;
  return s;
}

export function renderRegion(model: MemoryMapModel, region: MapRegion): HTMLElement {
  const libs = librariesIn(model, region.name);
  const shown = libs.slice(0, SEGMENTS_PER_BAR);
  const others = libs.slice(SEGMENTS_PER_BAR);
  const capacity = Math.max(region.size, region.used, 1);
  const attributed = libs.reduce((s, l) => s + l.byRegion[region.name], 0);

  const bar = h('div', { class: 'bar', role: 'img' });
  const described: string[] = [];
  for (const [i, l] of shown.entries()) {
    const n = l.byRegion[region.name];
    const cls = `${colorClass(i)}${l.dynamic ? ' dynamic' : ''}`;
    bar.append(segment(cls, n, capacity, `${l.name}${l.dynamic ? ` (dynamic${l.slot ? `, slot ${l.slot}` : ''})` : ''}: ${bytes(n)} B`));
    described.push(`${l.name} ${kib(n)}`);
  }
  const othersBytes = others.reduce((s, l) => s + l.byRegion[region.name], 0);
  if (othersBytes > 0) {
    bar.append(segment('other', othersBytes, capacity, `${others.length} other libraries: ${bytes(othersBytes)} B`));
    described.push(`${others.length} other libraries ${kib(othersBytes)}`);
  }
  // The model's linker fill of this region; bytes used but in no library (e.g. overlay
  // members counted once) are drawn with it.
  const fill = Math.max(region.fill, region.used - attributed);
  if (fill > 0) bar.append(segment('fill', fill, capacity, `linker fill: ${bytes(region.fill)} B`));
  // Flash windows are address space, not memory to fill: no "free" for them.
  const free = region.flash ? 0 : region.free;
  // After a split the slots' bytes are no longer sections but stay reserved; before it they
  // are the dynamic libraries' own segments above.
  const slots = model.split && !region.flash ? region.slotReserved ?? 0 : 0;
  if (slots > 0) bar.append(segment('slotres', slots, capacity, `reserved for slots: ${bytes(slots)} B`));
  // Between the last section and the free space: alignment, framework use.
  const reserved = region.flash ? 0 : region.size - region.used - region.free - slots;
  if (reserved > 0) bar.append(segment('reserved', reserved, capacity, `reserved (alignment, framework): ${bytes(reserved)} B`));
  if (free > 0) bar.append(segment('free', free, capacity, `free: ${bytes(free)} B`));
  const pool = region.pool ? ` (shares ${region.pool.name}, ${kib(region.pool.size)})` : '';
  bar.setAttribute('aria-label',
    `${region.name}: ${kib(region.used)} used of ${kib(region.size)}${slots ? `, ${kib(slots)} reserved for slots` : ''}${region.flash ? '' : `, ${kib(free)} free${pool}`}. ${described.join(', ')}`);

  const head = h('div', { class: 'region-head' },
    h('span', { class: 'region-name', title: region.boundary ? `static use ends at ${region.boundary.symbol}` : '' }, region.name),
    h('span', { class: 'region-numbers' },
      h('span', { class: 'used', 'data-bytes': String(region.used) }, bytes(region.used)),
      ' / ',
      h('span', { class: 'size', 'data-bytes': String(region.size) }, bytes(region.size)),
      ` B · ${percent(region.used, region.size)}`));
  const legend = h('div', { class: 'legend' });
  for (const [i, l] of shown.slice(0, 3).entries()) {
    legend.append(h('span', { class: 'legend-item' },
      h('span', { class: `swatch ${colorClass(i)}${l.dynamic ? ' dynamic' : ''}`, 'aria-hidden': 'true' }),
      `${l.name} ${kib(l.byRegion[region.name])}`));
  }
  if (slots > 0) {
    legend.append(h('span', { class: 'legend-item', 'data-slots': String(slots) }, h('span', { class: 'swatch slotres', 'aria-hidden': 'true' }), `slots ${kib(slots)}`));
  }
  if (reserved > 0) {
    legend.append(h('span', { class: 'legend-item' }, h('span', { class: 'swatch reserved', 'aria-hidden': 'true' }), `reserved ${kib(reserved)}`));
  }
  if (!region.flash) {
    legend.append(h('span', { class: 'legend-item', 'data-free': String(region.free) },
      h('span', { class: 'swatch free', 'aria-hidden': 'true' }), `free ${kib(region.free)}${pool}`));
  }
  return h('div', { class: region.used ? 'region' : 'region unused', 'data-region': region.name, 'data-used': String(region.used), 'data-size': String(region.size) },
    head, bar, legend);
}

export function renderSummary(model: MemoryMapModel): HTMLElement {
  const box = h('div', { class: 'summary' });
  const dynamic = model.libraries.filter((l) => l.dynamic);
  const facts: (Node | string)[] = [
    h('span', { class: 'fact', title: `chip from ${model.chipSource}` }, model.chipName),
    h('span', { class: 'fact', 'data-bytes': String(model.imageBytes) }, `image ${kib(model.imageBytes)}`),
    h('span', { class: 'fact' }, `${model.libraries.length} libraries`),
  ];
  if (dynamic.length) facts.push(h('span', { class: 'fact' }, `${dynamic.length} dynamic`));
  if (model.slots.length) {
    facts.push(h('span', { class: 'fact saved', 'data-bytes': String(model.flashSaved) },
      model.split ? `flash saved ${kib(model.flashSaved)}` : `a split would save ${kib(model.flashSaved)}`));
  }
  if (model.appPartition) {
    const p = model.appPartition;
    facts.push(h('span', { class: 'fact', 'data-app-partition': p.name, 'data-used': String(p.used), 'data-size': String(p.size), title: 'the firmware image in its app partition (from the build\'s partition table)' },
      `app partition ${p.name}: ${kib(p.used)} of ${kib(p.size)} (${percent(p.used, p.size)})`));
  }
  box.append(h('div', { class: 'facts' }, ...facts));
  if (model.inputs) {
    // Which map the numbers come from, or why there is none: never a silent fallback.
    const map = model.inputs.map;
    box.append(h('p', { class: 'inputs', 'data-map': 'path' in map ? map.path : '' },
      'path' in map ? `Map: ${baseName(map.path)} (${map.how})` : `No map: ${map.problem}`));
  }
  if (model.slots.length) {
    const list = h('ul', { class: 'slots', 'aria-label': 'Slots' });
    for (const s of model.slots) {
      const li = h('li', { class: 'slot', 'data-slot': s.name },
        h('strong', {}, `slot ${s.name}`), ` · ${s.region} · ${kib(s.size)}: ${s.libraries.join(', ')}`);
      if (s.flashSaved) li.append(` — saves ${kib(s.flashSaved)} flash`);
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

export function sortLibraries(libs: MapLibrary[], key: SortKey): MapLibrary[] {
  const value = (l: MapLibrary): number | string =>
    key.column === 'name' ? l.name.toLowerCase() : key.column === 'total' ? l.total : l.byRegion[key.column] ?? 0;
  const sign = key.descending ? -1 : 1;
  return [...libs].sort((a, b) => {
    const va = value(a), vb = value(b);
    const c = va < vb ? -1 : va > vb ? 1 : a.name.localeCompare(b.name);
    return sign * c;
  });
}

export function renderTable(model: MemoryMapModel, key: SortKey): HTMLTableElement {
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
    th.append(h('button', { class: 'sort', 'data-sort': c.id, title: `Sort by ${c.label}` },
      c.label, h('span', { class: 'arrow', 'aria-hidden': 'true' }, active ? (key.descending ? ' ▼' : ' ▲') : '')));
    headRow.append(th);
  }
  const body = h('tbody');
  for (const l of sortLibraries(model.libraries, key)) {
    const tr = h('tr', { 'data-library': l.name, class: l.dynamic ? 'dynamic' : '' });
    const name = h('th', { scope: 'row', class: 'name' },
      h('button', { class: 'lib', 'data-library': l.name, 'data-archive': l.archive, title: `${l.archive} — reveal in Explorer` }, l.name));
    if (l.dynamic) name.append(h('span', { class: 'tag', title: l.slot ? `dynamic, slot ${l.slot}` : 'dynamic library' }, l.slot ? `dyn·${l.slot}` : 'dyn'));
    tr.append(name, h('td', { class: 'num', 'data-bytes': String(l.total) }, bytes(l.total)));
    for (const r of regions) {
      const n = l.byRegion[r.name] ?? 0;
      tr.append(h('td', { class: n ? 'num' : 'num zero', 'data-bytes': String(n) }, n ? bytes(n) : '·'));
    }
    body.append(tr);
  }
  const foot = h('tfoot', {}, h('tr', {},
    h('th', { scope: 'row', class: 'name' }, 'linker fill'),
    h('td', { class: 'num', 'data-bytes': String(model.fill) }, bytes(model.fill)),
    ...regions.map((r) => h('td', { class: 'num', 'data-bytes': String(r.fill) }, bytes(r.fill)))));
  return h('table', { class: 'libs', 'aria-label': 'Libraries by region (bytes)' },
    h('thead', {}, headRow), body, foot);
}

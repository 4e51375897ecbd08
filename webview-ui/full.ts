// The parts of the Memory Map only the editor-tab view has ("Memory Manager: Open Memory
// Map"): app-partition headroom, the filter, drill-down rows (archive → object files →
// symbols, the rows of `esp32mm map --files` / `--archive`), the comparison with the previous
// build or the unsplit ELF (`--diff`), and the export buttons. Pure DOM builders like render.ts.
import type { Comparison, DrillRows, MapRegion, MemoryMapModel, ObjectRow, SymbolRow } from './model';
import { bytes, kib, percent } from './format';
import { h, partitionLevel } from './render';

export function renderHeadroom(model: MemoryMapModel): HTMLElement {
  const p = model.appPartition;
  if (!p)
    return h('p', { class: 'headroom none' }, 'No partition table for this build: flash use cannot be shown against the app partition.');
  const level = partitionLevel(p.used, p.size);
  const bar = h('div', {
    class: 'bar',
    role: 'img',
    'aria-label': `app partition ${p.name}: ${kib(p.used)} of ${kib(p.size)} used, ${kib(p.free)} free`,
  });
  const used = h('span', { class: `seg headroom-used level-${level}` });
  used.style.width = `${Math.min(100, (100 * p.used) / Math.max(1, p.size))}%`;
  bar.append(used);
  const words = level === 'error' ? ' — nearly full (≥ 95 %)' : level === 'warning' ? ' — getting full (≥ 80 %)' : '';
  return h(
    'div',
    {
      class: `headroom level-${level}`,
      'data-partition': p.name,
      'data-used': String(p.used),
      'data-size': String(p.size),
      'data-free': String(p.free),
      'data-level': level,
    },
    h(
      'div',
      { class: 'region-head' },
      h('span', { class: 'region-name' }, `App partition ${p.name}`),
      h(
        'span',
        { class: 'region-numbers' },
        `${bytes(p.used)} / ${bytes(p.size)} B · ${percent(p.used, p.size)} · ${bytes(p.free)} B headroom${words}`,
      ),
    ),
    bar,
  );
}

/** Warning ≥ 80 %, error ≥ 95 % of a RAM region in use (flash windows are address space, see the headroom). */
export function regionLevel(region: MapRegion, inUse: number): string {
  return region.flash ? 'ok' : partitionLevel(inUse, region.size);
}

function numberCells(total: number, byRegion: Record<string, number>, regions: string[]): HTMLElement[] {
  return [
    h('td', { class: 'num', 'data-bytes': String(total) }, bytes(total)),
    ...regions.map((r) => {
      const n = byRegion[r] ?? 0;
      return h('td', { class: n ? 'num' : 'num zero', 'data-bytes': String(n) }, n ? bytes(n) : '·');
    }),
  ];
}

function openable(label: string, source: string | undefined, cls: string): HTMLElement {
  return source
    ? h('button', { class: `open ${cls}`, 'data-open': source, title: `open ${source}` }, label)
    : h('span', { class: `lib-plain ${cls}` }, label);
}

/** Rows under a library row: its object files, each with a button to its symbols. */
export function objectRows(rows: Extract<DrillRows, { type: 'objects' }>, regions: string[]): HTMLTableRowElement[] {
  return rows.objects.map((o: ObjectRow) => {
    const key = o.member ?? o.object;
    const name = h(
      'th',
      { scope: 'row', class: 'name drill-1' },
      h(
        'button',
        {
          class: 'drill',
          'data-drill': rows.library,
          'data-object': key,
          'aria-expanded': 'false',
          'aria-label': `Symbols of ${o.object}`,
          title: 'Show its symbols',
        },
        '▸',
      ),
      openable(o.object, rows.sources[key], 'object'),
    );
    const byRegion: Record<string, number> = {};
    for (const [r, m] of Object.entries(o.memoryTypes)) byRegion[r] = m.total;
    return h(
      'tr',
      { class: 'drill-row objects', 'data-parent': rows.library, 'data-object': key, 'data-bytes': String(o.total) },
      name,
      ...numberCells(o.total, byRegion, regions),
    );
  });
}

/**
 * Rows under an object row: its functions and variables. An archive can hold thousands: each
 * row is a clone of one prototype row with its texts filled in (far cheaper than building
 * every cell), so 2,000 symbols stay within a render's budget. A symbol whose definition
 * line the host found opens the object's source there; the others are plain text.
 */
export function symbolRows(rows: Extract<DrillRows, { type: 'symbols' }>, regions: string[]): HTMLTableRowElement[] {
  const proto = (name: HTMLElement) =>
    h(
      'tr',
      { class: 'drill-row symbols', 'data-parent': rows.library, 'data-object': rows.object },
      h('th', { scope: 'row', class: 'name drill-2' }, name),
      h('td', { class: 'num' }),
      ...regions.map(() => h('td', { class: 'num zero' }, '·')),
    );
  const plain = proto(h('span', { class: 'lib-plain symbol' }));
  const linked = rows.source ? proto(h('button', { class: 'open symbol', 'data-open': rows.source })) : plain;
  const column = new Map(regions.map((r, i) => [r, i + 2]));
  const lines = rows.lines ?? {};
  return rows.symbols.map((s: SymbolRow) => {
    const line = lines[s.name];
    const tr = (line !== undefined ? linked : plain).cloneNode(true) as HTMLTableRowElement;
    tr.dataset.symbol = s.name;
    tr.dataset.bytes = String(s.size);
    const th = tr.firstElementChild as HTMLElement;
    th.title = `${s.inputSection} in ${s.section} at 0x${s.address.toString(16)}`;
    const name = th.firstElementChild as HTMLElement;
    name.textContent = s.name;
    if (line !== undefined && rows.source) {
      name.dataset.line = String(line);
      name.title = `open ${rows.source}:${line}`;
    }
    const size = bytes(s.size);
    tr.cells[1].textContent = size;
    const at = column.get(s.memoryType);
    if (at !== undefined) {
      tr.cells[at].textContent = size;
      tr.cells[at].className = 'num';
    }
    return tr;
  });
}

export function unavailableRow(rows: Extract<DrillRows, { type: 'unavailable' }>, columns: number): HTMLTableRowElement {
  const td = h('td', { colspan: String(columns), class: 'note' }, rows.reason);
  return h(
    'tr',
    { class: 'drill-row unavailable', 'data-parent': rows.library, ...(rows.object ? { 'data-object': rows.object } : {}) },
    td,
  );
}

/** The comparison as a table: regions, then archives by size of change (core's order), then fill and totals. */
export function renderComparison(c: Comparison, model: MemoryMapModel): HTMLElement {
  const d = c.diff;
  // A region's change counts its sections; after a split the slots still reserve their bytes,
  // which the row says, so a smaller number is not read as RAM freed.
  const reserved = (name: string) => {
    const r = model.split ? model.regions.find((x) => x.name === name && !x.flash) : undefined;
    return r?.slotReserved ? `region: sections only, ${bytes(r.slotReserved)} B stay reserved for slots` : 'region';
  };
  const signed = (n: number) => (n > 0 ? `+${bytes(n)}` : n < 0 ? `−${bytes(-n)}` : '0');
  const row = (kind: string, name: string, archive: string, x: { current: number; reference: number; change: number }) =>
    h(
      'tr',
      {
        'data-kind': kind,
        'data-name': name,
        'data-archive': archive,
        'data-change': String(x.change),
        class: x.change > 0 ? 'grew' : x.change < 0 ? 'shrank' : '',
      },
      h('th', { scope: 'row', class: 'name' }, name),
      h('td', {}, kind === 'archive' ? archive : kind === 'region' ? reserved(name) : kind),
      h('td', { class: 'num' }, bytes(x.current)),
      h('td', { class: 'num' }, bytes(x.reference)),
      h('td', { class: 'num change' }, signed(x.change)),
    );
  const body = h('tbody');
  for (const r of d.regions) body.append(row('region', r.name, '', r));
  for (const a of d.archives) if (a.change !== 0) body.append(row('archive', a.name, a.archive, a));
  body.append(row('fill', 'linker fill', '', d.fill), row('image', 'image', '', d.imageBytes));
  const unchanged = d.archives.filter((a) => a.change === 0).length;
  return h(
    'div',
    { class: 'comparison', 'data-against': c.against },
    h(
      'p',
      { class: 'compare-label' },
      `Against ${c.label}: image ${signed(d.imageBytes.change)} B${unchanged ? `; ${unchanged} archives unchanged` : ''}.`,
    ),
    h(
      'div',
      { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': `Changes against ${c.label}` },
      h(
        'table',
        { class: 'libs diff' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Name', 'Kind / archive', 'This build', 'Reference', 'Change'].map((t, i) =>
              h('th', { scope: 'col', class: i >= 2 ? 'num' : 'name' }, t),
            ),
          ),
        ),
        body,
      ),
    ),
  );
}

// The Memory Map webview, in the sidebar and in an editor tab (body[data-layout="full"]).
// Receives one ViewState from the extension host and renders it; it computes nothing about
// memory. UI state (sort order, before/after, filter, comparison) survives reloads through
// the webview state API, and a new model replaces the content in place: the old and new
// nodes swap within one task, so the browser keeps the scroll position (reading or
// restoring scrollTop here would force a synchronous layout of the whole table).
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { DrillBuild, DrillRows, HostToWebview, ViewState, WebviewToHost, MemoryMapModel } from './model';
import { h, libraryColours, matchesFilter, renderRegion, renderSummary, renderTable, renderTopLibraries, type SortKey } from './render';
import { objectRows, renderComparison, renderHeadroom, symbolRows, unavailableRow } from './full';

interface VsCodeApi {
  postMessage(msg: WebviewToHost): void;
  getState(): UiState | undefined;
  setState(s: UiState): void;
}
interface UiState {
  mode: 'after' | 'before';
  sort: SortKey;
  filter?: string;
  compare?: string;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let ui: UiState = { mode: 'after', sort: { column: 'total', descending: true }, ...vscode.getState() };
let current: ViewState | null = null;
const full = document.body.dataset.layout === 'full';

const $ = (id: string) => document.getElementById(id)!;

function modelToShow(state: ViewState): MemoryMapModel | null {
  if (ui.mode === 'before' && state.before) return state.before;
  return state.after ?? state.before;
}

function renderHeader(state: ViewState): void {
  $('project').textContent = state.project;
  const env = $('env');
  env.textContent = state.env;
  env.title = `PlatformIO environment ${state.env} — ${state.elf}`;
  const mode = $('mode') as HTMLElement & { value?: string };
  const hasBefore = !!state.before && !!state.after;
  mode.hidden = !hasBefore;
  for (const r of mode.querySelectorAll('vscode-radio')) {
    (r as HTMLElement & { checked: boolean }).checked = r.getAttribute('value') === (hasBefore ? ui.mode : 'after');
  }
}

function renderMessage(state: ViewState): void {
  const box = $('message');
  box.replaceChildren();
  box.hidden = !state.message;
  if (!state.message) return;
  box.append(h('p', {}, state.message.text));
  for (const a of state.message.actions ?? []) {
    const b = h('vscode-button' as 'button', { 'data-command': a.command }, a.title);
    box.append(b);
  }
}

function render(): void {
  if (!current) return;
  const t0 = performance.now();
  renderHeader(current);
  renderMessage(current);
  const model = modelToShow(current);
  $('content').hidden = !model;
  if (model) {
    const colours = libraryColours(model);
    const showingBefore = model === current.before;
    $('summary').replaceChildren(renderSummary(model, showingBefore ? null : current.before));
    const regions = $('regions');
    regions.replaceChildren(...model.regions.map((r) => renderRegion(model, r, colours)));
    // The sidebar is the glance (the largest libraries); the editor tab has every row.
    $('table').replaceChildren(
      full
        ? renderTable(model, { key: ui.sort, sources: current.sources, colours, drill: true, filter: ui.filter })
        : renderTopLibraries(model, current.sources, colours),
    );
    if (full) renderFull(model);
    document.body.dataset.mode = showingBefore ? 'before' : 'after';
  }
  document.body.dataset.updated = String(current.updatedAt);
  const ms = performance.now() - t0;
  vscode.postMessage({ type: 'rendered', ms, libraries: model?.libraries.length ?? 0, regions: model?.regions.length ?? 0 });
}

function renderFull(model: MemoryMapModel): void {
  $('headroom').replaceChildren(renderHeadroom(model));
  const filter = $('filter') as HTMLInputElement;
  if (filter.value !== (ui.filter ?? '')) filter.value = ui.filter ?? '';
  const select = $('compare') as HTMLSelectElement;
  const comparisons = current?.comparisons ?? [];
  select.replaceChildren(
    h('option', { value: '' }, 'libraries'),
    ...comparisons.map((c) => h('option', { value: c.against }, `changes against ${c.label}`)),
  );
  const chosen = comparisons.find((c) => c.against === ui.compare);
  select.value = chosen ? chosen.against : '';
  const box = $('comparison');
  box.hidden = !chosen;
  box.replaceChildren(...(chosen ? [renderComparison(chosen, model)] : []));
  $('table').hidden = !!chosen;
  $('libraries-title').textContent = chosen ? 'Changes' : 'Libraries';
}

/** Filters the rows in place (no rebuild): one pass that only flips `hidden`, within a keystroke's budget. */
function applyFilter(text: string): void {
  const rows = $('table').querySelectorAll<HTMLTableRowElement>('tbody tr');
  let parentHidden = false;
  for (const tr of rows) {
    if (tr.classList.contains('drill-row')) {
      tr.hidden = parentHidden;
      continue;
    }
    parentHidden = !matchesFilter({ name: tr.dataset.library ?? '', archive: tr.dataset.archive ?? '' }, text);
    tr.hidden = parentHidden;
  }
}

function regionColumns(): string[] {
  return [...$('table').querySelectorAll<HTMLElement>('thead th[data-column]')]
    .map((th) => th.dataset.column!)
    .filter((c) => c !== 'name' && c !== 'total');
}

/** Removes the drill-down rows under a row (all of a library's, or one object's symbols). */
function collapse(library: string, object?: string): void {
  for (const tr of $('table').querySelectorAll<HTMLElement>('tr.drill-row')) {
    if (tr.dataset.parent === library && (object === undefined || (tr.dataset.object === object && tr.classList.contains('symbols'))))
      tr.remove();
  }
}

/** The firmware the table shows: drill-down asks for that one's rows. */
const shownBuild = (): DrillBuild => (document.body.dataset.mode === 'before' ? 'before' : 'after');

function showDrill(rows: DrillRows): void {
  if ((rows.build ?? 'after') !== shownBuild()) return; // the answer for a table no longer shown
  const table = $('table');
  const columns = 2 + regionColumns().length;
  const anchor =
    rows.type === 'objects' || (rows.type === 'unavailable' && !rows.object)
      ? table.querySelector<HTMLElement>(`tbody tr[data-library="${CSS.escape(rows.library)}"]`)
      : table.querySelector<HTMLElement>(
          `tbody tr.objects[data-parent="${CSS.escape(rows.library)}"][data-object="${CSS.escape(rows.type === 'symbols' ? rows.object : (rows.object ?? ''))}"]`,
        );
  if (!anchor) return;
  collapse(rows.library, rows.type === 'symbols' || rows.type === 'unavailable' ? (rows as { object?: string }).object : undefined);
  const made =
    rows.type === 'objects'
      ? objectRows(rows, regionColumns())
      : rows.type === 'symbols'
        ? symbolRows(rows, regionColumns())
        : [unavailableRow(rows, columns)];
  anchor.after(...made);
  anchor.querySelector('button.drill')?.setAttribute('aria-expanded', 'true');
  anchor.dataset.expanded = 'true';
}

function setBusy(text: string | null): void {
  const b = $('busy');
  b.hidden = !text;
  $('busy-text').textContent = text ?? '';
}

window.addEventListener('message', (e: MessageEvent<HostToWebview>) => {
  const msg = e.data;
  if (msg.type === 'state') {
    current = msg.state;
    setBusy(msg.state.busy ?? null);
    render();
  } else if (msg.type === 'busy') {
    setBusy(msg.text);
  } else if (msg.type === 'drill') {
    showDrill(msg.rows);
  }
});

document.addEventListener('click', (e) => {
  const target = e.target as HTMLElement;
  const sort = target.closest<HTMLElement>('button.sort');
  if (sort) {
    const column = sort.dataset.sort!;
    const descending = ui.sort.column === column ? !ui.sort.descending : column !== 'name';
    ui = { ...ui, sort: { column, descending } };
    vscode.setState(ui);
    render();
    // keep keyboard focus on the header that was activated (the table was rebuilt)
    document.querySelector<HTMLElement>(`button.sort[data-sort="${CSS.escape(column)}"]`)?.focus();
    return;
  }
  const drill = target.closest<HTMLElement>('button.drill');
  if (drill) {
    const library = drill.dataset.drill!;
    const object = drill.dataset.object;
    if (drill.getAttribute('aria-expanded') === 'true') {
      collapse(library, object);
      drill.setAttribute('aria-expanded', 'false');
    } else {
      vscode.postMessage({ type: 'drill', library, ...(object !== undefined ? { object } : {}), build: shownBuild() });
    }
    return;
  }
  const open = target.closest<HTMLElement>('button.open');
  if (open) {
    vscode.postMessage({ type: 'open', path: open.dataset.open!, ...(open.dataset.line ? { line: Number(open.dataset.line) } : {}) });
    return;
  }
  const lib = target.closest<HTMLElement>('button.lib');
  if (lib) {
    vscode.postMessage({ type: 'reveal', library: lib.dataset.library!, archive: lib.dataset.archive ?? '' });
    return;
  }
  const exp = target.closest<HTMLElement>('button[data-export]');
  if (exp) {
    const format = exp.dataset.export as 'csv' | 'json' | 'md';
    const against = ui.compare as 'previous' | 'unsplit' | undefined;
    vscode.postMessage({ type: 'export', format, what: against ? 'diff' : 'libraries', ...(against ? { against } : {}) });
    return;
  }
  const cmd = target.closest<HTMLElement>('[data-command]');
  if (cmd) vscode.postMessage({ type: 'command', command: cmd.dataset.command! });
});

$('mode').addEventListener('change', (e) => {
  const v = (e.target as HTMLElement).getAttribute('value');
  if (v !== 'after' && v !== 'before') return;
  ui = { ...ui, mode: v };
  vscode.setState(ui);
  render();
});

if (full) {
  $('filter').addEventListener('input', (e) => {
    const text = (e.target as HTMLInputElement).value;
    ui = { ...ui, filter: text };
    vscode.setState(ui);
    applyFilter(text);
    document.body.dataset.filtered = text;
  });
  $('compare').addEventListener('change', (e) => {
    ui = { ...ui, compare: (e.target as HTMLSelectElement).value || undefined };
    vscode.setState(ui);
    render();
  });
}

vscode.postMessage({ type: 'ready' });

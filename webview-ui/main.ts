// The Memory Map webview. Receives one ViewState from the extension host and renders it;
// it computes nothing about memory. UI state (sort order, before/after) survives reloads
// through the webview state API, and a new model replaces the content in place: the old
// and new nodes swap within one task, so the browser keeps the scroll position (reading or
// restoring scrollTop here would force a synchronous layout of the whole table).
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { HostToWebview, ViewState, WebviewToHost, MemoryMapModel } from './model';
import { h, libraryColours, renderRegion, renderSummary, renderTable, type SortKey } from './render';

interface VsCodeApi {
  postMessage(msg: WebviewToHost): void;
  getState(): UiState | undefined;
  setState(s: UiState): void;
}
interface UiState { mode: 'after' | 'before'; sort: SortKey }
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let ui: UiState = { mode: 'after', sort: { column: 'total', descending: true }, ...vscode.getState() };
let current: ViewState | null = null;

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
    $('table').replaceChildren(renderTable(model, { key: ui.sort, sources: current.sources, colours }));
    document.body.dataset.mode = showingBefore ? 'before' : 'after';
  }
  document.body.dataset.updated = String(current.updatedAt);
  const ms = performance.now() - t0;
  vscode.postMessage({ type: 'rendered', ms, libraries: model?.libraries.length ?? 0, regions: model?.regions.length ?? 0 });
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
  const lib = target.closest<HTMLElement>('button.lib');
  if (lib) {
    vscode.postMessage({ type: 'reveal', library: lib.dataset.library!, archive: lib.dataset.archive ?? '' });
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

vscode.postMessage({ type: 'ready' });

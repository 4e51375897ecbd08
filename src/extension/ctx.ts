// The extension's state, in one place: the PlatformIO projects of the workspace, the target
// (project + environment) the views show and the commands act on, the views themselves, the
// status bar, Problems, the build history and the disposables. Commands (commands/*.ts) get
// this object; nothing else holds state.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MemoryMapModel, ViewState, WebviewToHost } from '../../webview-ui/model';
import { settingsFor, type Settings } from './config';
import { Diagnostics } from './diagnostics';
import { BuildHistory } from './history';
import { collectLibraries } from './libraries';
import { LibraryTree } from './libraryTree';
import { log, showError } from './log';
import { MemoryMapView } from './mapView';
import { MemoryMapPanel } from './fullView';
import type { MapDetails } from './mapDetail';
import { discoverProjects } from './projects';
import { StatusItems, type LastUpload } from './status';
import { type Project, type Target, defaultEnv, deviceFolder, dynamicLibraryNames, outputDir, serialPortOf } from './target';

const SELECTED_KEY = 'esp32mm.selected';
const UPLOADED_KEY = 'esp32mm.uploaded';

export class Ctx implements vscode.Disposable {
  projects: Project[] = [];
  target?: Target;
  /** The shown build's model, its drill-down source and the view state last sent. */
  model: MemoryMapModel | null = null;
  detail?: MapDetails;
  lastState?: ViewState;
  /** Library name → the project file or folder its map row opens (sources.ts). */
  sources: Record<string, string> = {};
  lastUpload?: LastUpload;
  /** Counts refreshes: a slower, older one does not overwrite what a newer one showed. */
  refreshSeq = 0;
  /** Keys of long operations running (one split per environment at a time). */
  readonly busy = new Set<string>();
  /** mtime of ELFs this extension itself wrote (split): their watcher events are not builds. */
  readonly ownWrites = new Map<string, number>();

  readonly view: MemoryMapView;
  readonly panel: MemoryMapPanel;
  readonly tree = new LibraryTree();
  readonly status = new StatusItems();
  readonly diagnostics = new Diagnostics();
  readonly history: BuildHistory;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly projectListeners: (() => void)[] = [];

  constructor(
    readonly extension: vscode.ExtensionContext,
    onWebviewMessage: (ctx: Ctx, msg: WebviewToHost) => void,
    private readonly onRefresh: (ctx: Ctx) => Promise<void>,
  ) {
    this.view = new MemoryMapView(
      extension.extensionUri,
      (m) => onWebviewMessage(this, m),
      () => void this.refresh(),
    );
    this.panel = new MemoryMapPanel(extension.extensionUri, (m) => onWebviewMessage(this, m));
    // Kept with VS Code's storage for this workspace (or for the editor, without a workspace): never in the project.
    const storage = extension.storageUri ?? extension.globalStorageUri;
    this.history = new BuildHistory(storage && path.join(storage.fsPath, 'builds'));
    this.push(
      this.view,
      this.panel,
      this.status,
      this.diagnostics,
      vscode.window.registerWebviewViewProvider(MemoryMapView.id, this.view, { webviewOptions: { retainContextWhenHidden: false } }),
      vscode.window.createTreeView(LibraryTree.id, { treeDataProvider: this.tree, showCollapseAll: false }),
    );
  }

  push(...disposables: vscode.Disposable[]): void {
    this.disposables.push(...disposables);
  }

  settings(t: Target): Settings {
    return settingsFor(t.project.root);
  }

  /** Called after every (re)discovery of the projects (the watcher re-watches their folders). */
  onProjectsChanged(listener: () => void): void {
    this.projectListeners.push(listener);
  }

  // ---- projects and selection -------------------------------------------------------------

  async reloadProjects(): Promise<void> {
    this.projects = await discoverProjects();
    for (const l of this.projectListeners) l();
    const saved = this.extension.workspaceState.get<{ root: string; env: string }>(SELECTED_KEY);
    const savedProject = saved && this.projects.find((p) => p.root === saved.root);
    const savedEnv = savedProject?.envs.find((e) => e.name === saved!.env);
    if (savedProject && savedEnv) this.target = { project: savedProject, env: savedEnv };
    else {
      const p = this.projects[0];
      const env = p && defaultEnv(p);
      this.target = p && env ? { project: p, env } : undefined;
    }
    log.info(
      `PlatformIO projects: ${this.projects.map((p) => `${p.label} [${p.envs.map((e) => e.name).join(', ')}]`).join('; ') || 'none'}`,
    );
    this.updateStatus();
    await this.refresh();
  }

  /** Whether the user chose an environment (Select Environment): builds of others then do not switch the view. */
  get pinned(): boolean {
    return !!this.extension.workspaceState.get(SELECTED_KEY);
  }

  async select(t: Target, remember: boolean): Promise<void> {
    this.target = t;
    if (remember) await this.extension.workspaceState.update(SELECTED_KEY, { root: t.project.root, env: t.env.name });
    this.updateStatus();
    await this.refresh();
  }

  requireTarget(): Target | undefined {
    if (this.target) return this.target;
    void showError('No PlatformIO project found in this workspace: open the folder that contains platformio.ini.', {
      title: 'Open Folder',
      run: () => vscode.commands.executeCommand('vscode.openFolder'),
    });
    return undefined;
  }

  isShown(t: Target): boolean {
    return this.target?.project === t.project && this.target.env === t.env;
  }

  // ---- views ------------------------------------------------------------------------------

  refresh(): Promise<void> {
    return this.onRefresh(this);
  }

  showState(state: ViewState): void {
    this.lastState = state;
    if (!state.after) this.detail = undefined;
    this.view.show(state);
    this.panel.show(state);
  }

  setBusy(text: string | null): void {
    this.view.busy(text);
    this.panel.busy(text);
  }

  updateTree(): void {
    const t = this.target;
    if (!t) {
      this.tree.set([]);
      return;
    }
    const record = this.uploadRecord(t);
    const libs = collectLibraries(
      dynamicLibraryNames(t),
      this.model,
      outputDir(t, this.settings(t)),
      (file, size, mtime) => record[path.basename(file)] === `${size}:${Math.round(mtime)}`,
    );
    this.tree.set(libs);
  }

  updateStatus(): void {
    this.status.update(this.target, this.target && this.settings(this.target), this.lastUpload);
  }

  // ---- what this workspace uploaded (the tree's "on the board" marks) ----------------------

  port(t: Target): string {
    return serialPortOf(t, this.settings(t))?.port ?? '';
  }

  private uploadKey(t: Target): string {
    return `${this.port(t)}|${deviceFolder(t, this.settings(t))}|${t.project.root}`;
  }

  private uploadRecord(t: Target): Record<string, string> {
    const all = this.extension.workspaceState.get<Record<string, Record<string, string>>>(UPLOADED_KEY, {});
    return all[this.uploadKey(t)] ?? {};
  }

  async rememberUploaded(t: Target, files: { local: string; size: number; mtimeMs: number }[]): Promise<void> {
    const all = { ...this.extension.workspaceState.get<Record<string, Record<string, string>>>(UPLOADED_KEY, {}) };
    all[this.uploadKey(t)] = Object.fromEntries(files.map((f) => [path.basename(f.local), `${f.size}:${Math.round(f.mtimeMs)}`]));
    await this.extension.workspaceState.update(UPLOADED_KEY, all);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

// The VS Code shell of the ESP32 Memory Manager. It only adapts VS Code to src/core:
// it finds PlatformIO projects, watches their builds, runs the core split/map/upload with
// progress and cancellation, and shows the results (webview, tree, status bar, Problems).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Comparison, DrillBuild, DrillRows, MemoryMapModel, ViewState, WebviewToHost } from '../../webview-ui/model';
import { kib } from '../../webview-ui/format';
import * as core from './core';
import { KeyedDebouncer } from './debounce';
import { collectLibraries } from './libraries';
import { LibraryTree } from './libraryTree';
import { errorText, log, showError, showInfo } from './log';
import { escapeNotification, inVsCodeTerms } from './messages';
import { librarySources } from './sources';
import { MemoryMapView } from './mapView';
import { MemoryMapPanel } from './fullView';
import { MapDetails, diffView, exportText, type ExportFormat } from './mapDetail';
import { envOption, optionSource, platformioOption } from '../core/platformio/ini';
import {
  type Project, type Target, defaultEnv, deviceFolder, discoverProjects, dynamicLibraryNames, firmwareElf,
  chipOption, fullElf, mapFile, mapSetting, outputDir, partitionCsv, sourceRoots, storageOf, targetOfElf, serialPortOf, baudRateOf,
  usesMemoryManager,
} from './projects';

const SELECTED_KEY = 'esp32mm.selected';
const UPLOADED_KEY = 'esp32mm.uploaded';

interface LastUpload { ok: boolean; text: string; at: number }

class Controller implements vscode.Disposable {
  private projects: Project[] = [];
  private target?: Target;
  private model: MemoryMapModel | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  /** A build writes firmware.elf more than once (link, then the build hook's split): act once it is quiet. */
  private readonly debounce = new KeyedDebouncer(250);
  /** Folders appearing on the way to a first build: re-watch at once, the ELF may follow within milliseconds. */
  private readonly folderDebounce = new KeyedDebouncer(30);
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('esp32mm');
  private readonly status = vscode.window.createStatusBarItem('esp32mm.upload', vscode.StatusBarAlignment.Left, 50);
  private readonly tree = new LibraryTree();
  private readonly view: MemoryMapView;
  private lastUpload?: LastUpload;
  /** mtime of ELFs this extension itself wrote (split): their watcher events are not builds. */
  private readonly ownWrites = new Map<string, number>();
  private refreshSeq = 0;
  private readonly splitWarnings = new Map<string, core.SplitWarning[]>();
  private readonly linkWarnings = new Map<string, core.SplitWarning[]>();
  private busy = new Set<string>();
  /** Library name → the project file or folder its map row opens (librarySources). */
  private sources: Record<string, string> = {};

  private readonly panel: MemoryMapPanel;
  /** The shown build's drill-down and export source (its map read once). */
  private detail?: MapDetails;
  /** Per env: the last build's fingerprint and model, and the one before it ("previous build"). */
  private readonly builds = new Map<string, { fingerprint: string; model: MemoryMapModel; at: number; previous?: { model: MemoryMapModel; at: number } }>();
  private lastState?: ViewState;

  constructor(private readonly ctx: vscode.ExtensionContext) {
    this.view = new MemoryMapView(ctx.extensionUri, (m) => this.onWebviewMessage(m), () => void this.refresh());
    this.panel = new MemoryMapPanel(ctx.extensionUri, (m) => this.onWebviewMessage(m));
    this.status.name = 'Memory Manager Upload';
    this.status.command = 'esp32mm.upload';
    this.disposables.push(
      this.diagnostics, this.status, this.view, this.panel, this.debounce, this.folderDebounce,
      vscode.window.registerWebviewViewProvider(MemoryMapView.id, this.view, { webviewOptions: { retainContextWhenHidden: false } }),
      vscode.window.createTreeView(LibraryTree.id, { treeDataProvider: this.tree, showCollapseAll: false }),
    );
  }

  async start(): Promise<void> {
    this.registerCommands();
    this.watch();
    await this.reloadProjects();
  }

  // ---- projects and selection -------------------------------------------------------------

  private async reloadProjects(): Promise<void> {
    this.projects = await discoverProjects();
    this.watchEnvironments();
    const saved = this.ctx.workspaceState.get<{ root: string; env: string }>(SELECTED_KEY);
    const savedProject = saved && this.projects.find((p) => p.root === saved.root);
    const savedEnv = savedProject?.envs.find((e) => e.name === saved!.env);
    if (savedProject && savedEnv) this.target = { project: savedProject, env: savedEnv };
    else {
      const p = this.projects[0];
      const env = p && defaultEnv(p);
      this.target = p && env ? { project: p, env } : undefined;
    }
    log.info(`PlatformIO projects: ${this.projects.map((p) => `${p.label} [${p.envs.map((e) => e.name).join(', ')}]`).join('; ') || 'none'}`);
    this.updateStatus();
    await this.refresh();
  }

  private async select(t: Target, remember: boolean): Promise<void> {
    this.target = t;
    if (remember) await this.ctx.workspaceState.update(SELECTED_KEY, { root: t.project.root, env: t.env.name });
    this.updateStatus();
    await this.refresh();
  }

  private requireTarget(): Target | undefined {
    if (this.target) return this.target;
    void showError('No PlatformIO project found in this workspace: open the folder that contains platformio.ini.',
      { title: 'Open Folder', run: () => vscode.commands.executeCommand('vscode.openFolder') });
    return undefined;
  }

  // ---- build watcher ----------------------------------------------------------------------

  private watch(): void {
    const onElf = this.onElfEvent;
    const addFolderWatchers = (folders: readonly vscode.WorkspaceFolder[]) => {
      for (const folder of folders) {
        const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '**/.pio/build/*/firmware.elf'));
        this.disposables.push(w, w.onDidChange(onElf), w.onDidCreate(onElf));
        const maps = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '**/.pio/build/*/*.map'));
        const onMap = (uri: vscode.Uri) => this.onBuildFileEvent(uri.fsPath);
        this.disposables.push(maps, maps.onDidChange(onMap), maps.onDidCreate(onMap));
        const ini = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '**/platformio.ini'));
        const reload = () => this.debounce.run('platformio.ini', () => void this.reloadProjects());
        this.disposables.push(ini, ini.onDidChange(reload), ini.onDidCreate(reload), ini.onDidDelete(reload));
      }
    };
    addFolderWatchers(vscode.workspace.workspaceFolders ?? []);
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders((e) => { addFolderWatchers(e.added); void this.reloadProjects(); }),
      // PlatformIO builds run as tasks; when one ends, the outputs are complete.
      vscode.tasks.onDidEndTaskProcess((e) => {
        const def = e.execution.task.definition;
        if (def.type === 'PlatformIO' || /platformio|pio/i.test(e.execution.task.source)) {
          this.debounce.run('task', () => void this.refresh());
        }
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('esp32mm')) { this.updateStatus(); void this.refresh(); }
      }),
    );
  }

  private readonly onElfEvent = (uri: vscode.Uri) => this.debounce.run(uri.fsPath, () => void this.onFirmwareChanged(uri.fsPath));
  /** A map, partition table or build record changed without the ELF: the shown env's numbers may change. */
  private readonly onBuildFileEvent = (file: string) => {
    const t = this.target;
    if (t && path.resolve(path.dirname(file)) === path.resolve(t.env.outputs.buildDir)) this.debounce.run('build-files', () => void this.refresh());
  };
  private envWatchers: vscode.Disposable[] = [];
  /** mtime of each env's ELF when its folder was last watched: a build that raced the watcher is not missed. */
  private readonly seenElf = new Map<string, number>();

  /**
   * Node watchers on each environment's build folder as well: users (and PlatformIO setups)
   * often put .pio in files.watcherExclude, which silences VS Code's workspace watcher for
   * exactly the files we need (seen in the e2e test). A project never built has no
   * `.pio/build/<env>` yet: its nearest existing folder is watched instead, and every folder
   * that appears on the way moves the watcher down, so the first build is seen too.
   */
  private watchEnvironments(): void {
    for (const d of this.envWatchers) d.dispose();
    this.envWatchers = [];
    const handlers = new Map<string, ((name: string) => void)[]>();
    const watchDir = (dir: string, onName: (name: string) => void) => {
      const list = handlers.get(dir);
      if (list) { list.push(onName); return; } // one watcher per folder, every env's handler on it
      const mine = [onName];
      handlers.set(dir, mine);
      try {
        const w = fs.watch(dir, { persistent: false }, (_event, name) => { if (name) for (const h of mine) h(name.toString()); });
        w.on('error', () => w.close()); // the folder was deleted (pio run -t clean)
        this.envWatchers.push({ dispose: () => w.close() });
      } catch { /* gone meanwhile: the parent's watcher re-runs this */ }
    };
    const rewatch = () => this.folderDebounce.run('env-dirs', () => this.watchEnvironments());
    for (const p of this.projects) {
      for (const env of p.envs) {
        const buildDir = env.outputs.buildDir;
        if (fs.existsSync(buildDir)) {
          watchDir(buildDir, (name) => {
            if (name === path.basename(env.outputs.elf)) this.onElfEvent(vscode.Uri.file(env.outputs.elf));
            else if (/\.map$|^esp32mm-build\.json$|^partitions\.bin$|^sdkconfig/.test(name)) this.onBuildFileEvent(path.join(buildDir, name));
          });
          // its parent sees the folder deleted and re-created (a clean build)
          watchDir(path.dirname(buildDir), (name) => { if (!fs.existsSync(path.join(path.dirname(buildDir), name))) rewatch(); });
        } else {
          const nearest = nearestExisting(buildDir, p.root);
          const next = nearest && path.relative(nearest, buildDir).split(path.sep)[0];
          if (nearest) watchDir(nearest, (name) => { if (name === next) rewatch(); });
        }
        const mtime = mtimeOf(env.outputs.elf);
        const seen = this.seenElf.get(env.outputs.elf);
        this.seenElf.set(env.outputs.elf, mtime);
        if (seen !== undefined && mtime !== seen && mtime > 0) this.onElfEvent(vscode.Uri.file(env.outputs.elf));
      }
    }
  }

  private async onFirmwareChanged(elf: string): Promise<void> {
    if (this.ownWrites.get(elf) === mtimeOf(elf)) return;
    const t = targetOfElf(this.projects, elf);
    if (!t) return;
    log.info(`Build output changed: ${vscode.workspace.asRelativePath(elf)}`);
    const explicitlySelected = !!this.ctx.workspaceState.get(SELECTED_KEY);
    if (!this.target || (!explicitlySelected && (this.target.project !== t.project || this.target.env !== t.env))) {
      this.target = t; // follow the build that just finished unless the user pinned an env
      this.updateStatus();
    }
    const cfg = vscode.workspace.getConfiguration('esp32mm', vscode.Uri.file(t.project.root));
    if (cfg.get<boolean>('autoSplit') && dynamicLibraryNames(t).length && !this.looksSplit(t)) {
      await this.split(t);
      return;
    }
    if (this.target.project === t.project && this.target.env === t.env) await this.refresh();
  }

  /** A firmware the build hook (or we) already split carries the splitter's marker section. */
  private looksSplit(t: Target): boolean {
    return core.isSplitElf(firmwareElf(t));
  }

  // ---- memory map -------------------------------------------------------------------------

  async refresh(): Promise<void> {
    const seq = ++this.refreshSeq;
    const t = this.target;
    if (!t) {
      this.model = null;
      this.showState({ project: 'No PlatformIO project', env: '', elf: '', after: null, before: null, updatedAt: Date.now(),
        message: { text: 'Open a folder that contains platformio.ini to see its memory map.' } });
      this.updateTree();
      return;
    }
    const elf = firmwareElf(t);
    const base = { project: t.project.label, env: t.env.name, elf, updatedAt: Date.now() };
    if (!fs.existsSync(elf)) {
      this.model = null;
      this.showState({ ...base, after: null, before: null, message: {
        text: `No build of environment "${t.env.name}" yet. Build it with PlatformIO (PlatformIO: Build, or pio run in a terminal): the map appears as soon as ${vscode.workspace.asRelativePath(elf)} exists.`,
        actions: [{ title: 'Select Environment', command: 'esp32mm.selectEnvironment' }],
      } });
      this.updateTree();
      return;
    }
    try {
      // Only the esp32mm.mapFile setting is passed; otherwise core looks the map up and says how.
      const after = await core.memoryMap({ elf, map: mapSetting(t), partitions: partitionCsv(t), board: t.env.board, chip: chipOption(t) });
      const used = after.inputs?.map;
      const map = used && 'path' in used ? used.path : undefined;
      const before = after.before ?? null;
      if (seq !== this.refreshSeq) return; // a newer refresh started meanwhile
      this.model = after;
      const sources = librarySources([...after.libraries, ...(before?.libraries ?? [])], sourceRoots(t));
      this.sources = sources;
      this.detail = new MapDetails(after, before, sources);
      const comparisons = this.comparisons(t, after, before);
      this.showState({ ...base, after: inVsCodeNotes({ ...after, before: undefined }), before: before && inVsCodeNotes(before), sources, comparisons });
      const libs = dynamicLibraryNames(t);
      try {
        // The audit reads the unsplit link: after a split that is firmware.full.elf.
        const linked = after.split ? fullElf(t) : elf;
        const warnings = map && libs.length ? await core.linkWarnings(map, libs, fs.existsSync(linked) ? linked : undefined) : [];
        this.linkWarnings.set(targetKey(t), warnings.map((w) => ({ ...w, message: inVsCodeTerms(w.message) })));
      } catch (e) {
        log.warn(`Checking the link map ${map} failed: ${errorText(e)}`);
      }
      this.publishDiagnostics(t);
      log.info(`Memory map of ${t.project.label}/${t.env.name}: ${after.regions.map((r) => `${r.name} ${r.used}/${r.size}`).join(', ')}`);
    } catch (e) {
      if (seq !== this.refreshSeq) return;
      this.model = null;
      log.error(`Memory map of ${elf} failed: ${errorText(e)}`);
      this.showState({ ...base, after: null, before: null, message: {
        text: `Could not read the memory map of ${path.basename(elf)}: ${errorText(e)}`,
        actions: [{ title: 'Show Log', command: 'esp32mm.showLog' }, { title: 'Retry', command: 'esp32mm.refresh' }],
      } });
    }
    this.updateTree();
  }

  private showState(state: ViewState): void {
    this.lastState = state;
    if (!state.after) this.detail = undefined;
    this.view.show(state);
    this.panel.show(state);
  }

  private setBusy(text: string | null): void {
    this.view.busy(text);
    this.panel.busy(text);
  }

  /**
   * The build against the previous build of the same env (kept automatically: a new link —
   * the original ELF changed — moves the last model to "previous"; a split does not) and
   * against the unsplit ELF. Each is core's diffView, what `esp32mm map --diff` prints.
   */
  private comparisons(t: Target, after: MemoryMapModel, before: MemoryMapModel | null): Comparison[] {
    const key = targetKey(t);
    // The link's own output: the kept original of a split ELF (the split is not a new build).
    const original = this.looksSplit(t) && fs.existsSync(fullElf(t)) ? fullElf(t) : firmwareElf(t);
    const fingerprint = crypto.createHash('sha1').update(fs.readFileSync(original)).digest('hex');
    const now = Date.now();
    const last = this.builds.get(key);
    if (!last) this.builds.set(key, { fingerprint, model: after, at: now });
    else if (last.fingerprint !== fingerprint) this.builds.set(key, { fingerprint, model: after, at: now, previous: { model: last.model, at: last.at } });
    else last.model = after; // the same link, re-read (or split): not a new build
    const out: Comparison[] = [];
    const previous = this.builds.get(key)!.previous;
    if (previous) out.push({ against: 'previous', label: `the previous build (${new Date(previous.at).toLocaleTimeString()})`, diff: diffView(after, previous.model) });
    if (after.split && before) out.push({ against: 'unsplit', label: `the unsplit firmware (${path.basename(fullElf(t))})`, diff: diffView(after, before) });
    return out;
  }

  /** Drill-down rows for the full view (mapDetail.ts): a library's object files, or one object's symbols, of either firmware. */
  private drill(library: string, object?: string, build?: DrillBuild): DrillRows {
    if (!this.detail) return { type: 'unavailable', library, ...(object !== undefined ? { object } : {}), reason: 'No memory map is shown.' };
    const rows = this.detail.drill(library, object, build);
    if (rows.type === 'unavailable') log.debug(`Drill-down into ${library}${object ? `/${object}` : ''}: ${rows.reason}`);
    return rows;
  }

  /** Opens a file or folder the view named, if it lies in the project (the view only names ones it was given). */
  private async openPath(file: string, line?: number): Promise<void> {
    const t = this.target;
    if (!t || path.relative(t.project.root, file).startsWith('..') || !fs.existsSync(file)) return;
    const uri = vscode.Uri.file(file);
    if (fs.statSync(file).isDirectory()) await vscode.commands.executeCommand('revealInExplorer', uri);
    else {
      const at = line ? new vscode.Range(line - 1, 0, line - 1, 0) : undefined;
      await vscode.window.showTextDocument(uri, { preview: true, viewColumn: vscode.ViewColumn.Beside, ...(at ? { selection: at } : {}) });
    }
  }

  /** Writes the libraries or a comparison as CSV / JSON / Markdown where the user says (temp file, then rename). */
  private async exportMap(format: ExportFormat, against?: Comparison['against']): Promise<void> {
    const t = this.target;
    const model = this.lastState?.after;
    if (!t || !model) return;
    const comparison = against ? this.lastState?.comparisons?.find((c) => c.against === against) : undefined;
    const ext = format === 'md' ? 'md' : format;
    const name = `memory-map-${t.env.name}${comparison ? `-vs-${comparison.against}` : ''}.${ext}`;
    const target = await vscode.window.showSaveDialog({
      title: `Memory Manager: export the ${comparison ? 'changes' : 'memory map'} as ${format === 'md' ? 'Markdown' : format.toUpperCase()}`,
      defaultUri: vscode.Uri.file(path.join(t.project.root, name)),
      filters: { [format === 'md' ? 'Markdown' : format.toUpperCase()]: [ext] },
    });
    if (!target) return;
    const text = exportText(model, format, comparison?.diff);
    const tmp = `${target.fsPath}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, target.fsPath);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      return showError(`Exporting to ${target.fsPath} failed: ${errorText(e)}`);
    }
    void showInfo(`Exported to ${vscode.workspace.asRelativePath(target.fsPath)}.`, 'Open').then((a) => { if (a) void vscode.window.showTextDocument(target); });
  }

  private updateTree(): void {
    const t = this.target;
    if (!t) { this.tree.set([]); return; }
    const record = this.uploadRecord(t);
    const libs = collectLibraries(dynamicLibraryNames(t), this.model, outputDir(t),
      (file, size, mtime) => record[path.basename(file)] === `${size}:${Math.round(mtime)}`);
    this.tree.set(libs);
  }

  private onWebviewMessage(msg: WebviewToHost): void {
    if (msg.type === 'reveal') void this.revealLibrary(msg.library);
    else if (msg.type === 'drill') this.panel.post({ type: 'drill', rows: this.drill(msg.library, msg.object, msg.build) });
    else if (msg.type === 'open') void this.openPath(msg.path, msg.line);
    else if (msg.type === 'export') void this.exportMap(msg.format, msg.what === 'diff' ? msg.against : undefined);
    else if (msg.type === 'command' && msg.command.startsWith('esp32mm.')) void vscode.commands.executeCommand(msg.command);
  }

  private async revealLibrary(name: string | { lib: { name: string } }): Promise<void> {
    if (typeof name !== 'string') name = name.lib.name; // from the tree's context menu
    const t = this.target;
    if (!t) return;
    const source = this.sources[name] ?? librarySources([{ name, archive: `lib${name}.a` }], sourceRoots(t))[name];
    if (!source) {
      void showInfo(`${name} has no folder in this project: it comes from the framework or a package. Only folders in lib/ can be made dynamic.`);
      return;
    }
    const uri = vscode.Uri.file(source);
    if (fs.statSync(source).isDirectory()) await vscode.commands.executeCommand('revealInExplorer', uri);
    else await vscode.window.showTextDocument(uri, { preview: true });
  }

  // ---- split ------------------------------------------------------------------------------

  async split(t = this.requireTarget()): Promise<void> {
    if (!t) return;
    const key = `split:${t.project.root}:${t.env.name}`;
    if (this.busy.has(key)) { void showInfo('A split of this environment is already running.'); return; }
    const libs = dynamicLibraryNames(t);
    const elf = firmwareElf(t);
    if (!libs.length) {
      return showError(`No dynamic libraries chosen for env:${t.env.name}. Add custom_mm_libs = <lib folder names> to its section in platformio.ini, rebuild, then split.`,
        { title: 'Open platformio.ini', run: () => vscode.window.showTextDocument(vscode.Uri.file(t.project.iniPath)) });
    }
    if (!fs.existsSync(elf) && !fs.existsSync(fullElf(t))) {
      return showError(`Build env:${t.env.name} first: ${vscode.workspace.asRelativePath(elf)} does not exist.`);
    }
    this.busy.add(key);
    this.setBusy('Splitting libraries…');
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: escapeNotification(`Memory Manager: splitting ${t.env.name}`), cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          try {
            return await core.splitFirmware(
              { projectRoot: t.project.root, env: t.env.name, elf, mapFile: mapFile(t).path, libraries: libs, outDir: outputDir(t) },
              { report: (message, fraction) => progress.report({ message: escapeNotification(message), increment: fraction !== undefined ? fraction * 100 : undefined }) },
              abort.signal);
          } finally {
            this.ownWrites.set(elf, mtimeOf(elf));
          }
        });
      this.setSplitDiagnostics(t, outcome.warnings.map((w) => ({ ...w, message: inVsCodeTerms(w.message) })));
      log.info(`Split ${t.project.label}/${t.env.name}: ${outcome.summary}`);
      for (const w of outcome.warnings) log.warn(w.message);
      // Without the post-link hook, PlatformIO made firmware.bin from the unsplit ELF (and
      // SCons relinks an ELF changed behind its back): only the hook makes flashing use the split.
      const hooked = /memory_manager\.py/.test(envOption(t.project.pio.doc, t.env.name, 'extra_scripts') ?? '');
      const done = `Split ${libs.length} librar${libs.length === 1 ? 'y' : 'ies'}: ${outcome.summary}`;
      if (hooked) void showInfo(done);
      else {
        void showInfo(`${done}. This build's firmware.bin still holds them: Memory Manager: Install Build Integration makes every build split before firmware.bin.`, 'Install Build Integration')
          .then((a) => { if (a) void this.installIntegration(); });
      }
      await this.refresh();
      if (vscode.workspace.getConfiguration('esp32mm', vscode.Uri.file(t.project.root)).get<boolean>('autoUpload')) {
        await this.upload(t, storageOf(t) === 'sd' ? 'sd' : 'fs');
      }
    } catch (e) {
      if (isCancel(e)) { log.info('Split cancelled; the previous outputs are unchanged.'); void showInfo('Split cancelled; the previous files are unchanged.'); return; }
      return showError(`Split failed: ${errorText(e)}`, { title: 'Retry', run: () => this.split(t) });
    } finally {
      this.busy.delete(key);
      this.setBusy(null);
    }
  }

  private setSplitDiagnostics(t: Target, warnings: core.SplitWarning[]): void {
    this.splitWarnings.set(targetKey(t), warnings);
    this.publishDiagnostics(t);
  }

  /** Split and link warnings as Problems on the custom_mm_libs line of platformio.ini. */
  private publishDiagnostics(t: Target): void {
    const key = targetKey(t);
    const warnings = [...(this.splitWarnings.get(key) ?? []), ...(this.linkWarnings.get(key) ?? [])];
    const uri = vscode.Uri.file(t.project.iniPath);
    const lines = fs.readFileSync(t.project.iniPath, 'utf8').split(/\r?\n/);
    const src = optionSource(t.project.pio.doc, t.env.name, 'custom_mm_libs');
    const envLine = lines.findIndex((l) => l.trim() === `[env:${t.env.name}]`);
    const line = Math.max(0, src ? src.option.line : envLine);
    const diags = warnings.map((w) => {
      const col = w.library ? (lines[line] ?? '').search(new RegExp(`\\b${w.library.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`)) : -1;
      const range = col >= 0 ? new vscode.Range(line, col, line, col + w.library!.length) : new vscode.Range(line, 0, line, (lines[line] ?? '').length);
      const severity = w.severity === 'error' ? vscode.DiagnosticSeverity.Error : w.severity === 'note' ? vscode.DiagnosticSeverity.Information : vscode.DiagnosticSeverity.Warning;
      const d = new vscode.Diagnostic(range, w.message, severity);
      d.source = 'Memory Manager';
      return d;
    });
    this.diagnostics.set(uri, diags);
  }

  // ---- upload -----------------------------------------------------------------------------

  private uploadRecord(t: Target): Record<string, string> {
    const all = this.ctx.workspaceState.get<Record<string, Record<string, string>>>(UPLOADED_KEY, {});
    return all[this.uploadKey(t)] ?? {};
  }

  private uploadKey(t: Target): string {
    return `${this.port(t)}|${deviceFolder(t)}|${t.project.root}`;
  }

  private port(t: Target): string {
    return serialPortOf(t)?.port ?? '';
  }

  async upload(t = this.requireTarget(), where: 'sd' | 'fs' = t && storageOf(t) !== 'sd' ? 'fs' : 'sd', ignoreBuildId = false): Promise<void> {
    if (!t) return;
    const storage = storageOf(t);
    if ((where === 'sd') !== (storage === 'sd')) {
      const wanted = where === 'sd' ? 'sd' : 'spiffs or littlefs';
      return showError(`env:${t.env.name} keeps its libraries on ${storage === 'sd' ? 'the SD card' : storage} (custom_mm_storage = ${storage}), ` +
        `so the device looks for them there. To use ${where === 'sd' ? 'an SD card' : 'the flash file system'}, set custom_mm_storage = ${wanted} in platformio.ini (or the esp32mm.storage setting), rebuild and split.`,
        { title: 'Open platformio.ini', run: () => vscode.window.showTextDocument(vscode.Uri.file(t.project.iniPath)) },
        { title: storage === 'sd' ? 'Upload to SD Card' : 'Upload to SPIFFS/LittleFS', run: () => this.upload(t, storage === 'sd' ? 'sd' : 'fs') });
    }
    // Whatever can be wrong without a board is said before a port is asked for.
    if (!dynamicLibraryNames(t).length) {
      return showError(`Nothing to upload: env:${t.env.name} has no dynamic libraries. Choose them with Memory Manager: Install Build Integration (or custom_mm_libs in platformio.ini), build, then split.`,
        { title: 'Install Build Integration', run: () => this.installIntegration() },
        { title: 'Open platformio.ini', run: () => vscode.window.showTextDocument(vscode.Uri.file(t.project.iniPath)) });
    }
    const dir = outputDir(t);
    let files: string[] = [];
    try {
      files = fs.readdirSync(dir).filter((f) => /_[ed]$/.test(f) || f === 'manifest.json').map((f) => path.join(dir, f));
    } catch { /* handled below */ }
    if (!files.length) {
      return showError(`Nothing to upload: ${vscode.workspace.asRelativePath(dir)} has no library files. Run Memory Manager: Split Libraries first.`,
        { title: 'Split Libraries', run: () => this.split(t) });
    }
    let port = this.port(t);
    if (!port) {
      port = (await this.selectPort(t)) ?? '';
      if (!port) return;
    }
    const baudRate = baudRateOf(t);
    const folder = deviceFolder(t);
    const medium = where === 'sd' ? 'SD card' : storageOf(t) === 'littlefs' ? 'LittleFS' : 'SPIFFS';
    this.status.text = `$(sync~spin) ${where === 'sd' ? 'SD' : 'FS'}`;
    const t0 = Date.now();
    try {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: escapeNotification(`Memory Manager: uploading to the ${medium} on ${port}`), cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          let last = 0;
          return core.uploadFolder({ port, baudRate, deviceFolder: folder, folder: dir, ignoreBuildId, onLog: (text) => log.info(`[board] ${text.trimEnd()}`) },
            { report: (message, fraction) => {
              const inc = fraction !== undefined ? Math.max(0, fraction - last) * 100 : undefined;
              if (fraction !== undefined) last = Math.max(last, fraction);
              progress.report({ message: escapeNotification(message), increment: inc });
            } }, abort.signal);
        });
      for (const w of outcome.warnings) log.warn(w);
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      const n = outcome.uploaded.length;
      const text = `Uploaded ${n} file${n === 1 ? '' : 's'} (${kib(outcome.bytes)}) to ${folder} on ${port} in ${secs} s` +
        (outcome.skipped.length ? `; ${outcome.skipped.length} unchanged` : '');
      this.lastUpload = { ok: true, text, at: Date.now() };
      await this.rememberUploaded(t, files);
      log.info(text);
      void showInfo(text + (outcome.warnings.length ? ` — warning: ${outcome.warnings[0]}` : ''));
    } catch (e) {
      const cancelled = isCancel(e);
      this.lastUpload = { ok: false, text: cancelled ? 'Upload cancelled' : `Upload failed: ${errorText(e)}`, at: Date.now() };
      if (cancelled) {
        log.info('Upload cancelled; files already on the board are unchanged.');
        void showInfo('Upload cancelled; the files on the board are unchanged (a partial file stays as .part and resumes next time).');
      } else if (core.isTransferError(e, 'WRONG_BUILD_ID')) {
        void showError(errorText(e), { title: 'Upload Anyway', run: () => this.upload(t, where, true) });
      } else if (core.isTransferError(e, 'NO_AGENT') && where === 'fs') {
        void showError(`${errorText(e)} Without the agent, PlatformIO can write the whole file-system image (data/).`,
          { title: 'Write File-System Image (uploadfs)', run: () => this.uploadFilesystemImage(t, port) },
          { title: 'Select Serial Port', run: () => this.selectPort(t) });
      } else {
        void showError(`Upload to ${port} failed: ${errorText(e)}`,
          { title: 'Retry', run: () => this.upload(t, where, ignoreBuildId) },
          { title: 'Select Serial Port', run: () => this.selectPort(t) });
      }
    } finally {
      this.updateStatus();
      this.updateTree();
    }
  }

  private async uploadFilesystemImage(t: Target, port: string): Promise<void> {
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: escapeNotification(`Memory Manager: PlatformIO writes the file-system image of env:${t.env.name}`), cancellable: true },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          let last = 0;
          return core.uploadFilesystemImage({ projectRoot: t.project.root, env: t.env.name, port }, { report: (message, fraction) => {
            progress.report({ message: escapeNotification(message), increment: fraction !== undefined ? Math.max(0, fraction - last) * 100 : undefined });
            if (fraction !== undefined) last = Math.max(last, fraction);
          } }, abort.signal);
        });
      this.lastUpload = { ok: true, text: `File-system image written on ${port}`, at: Date.now() };
      void showInfo(this.lastUpload.text);
    } catch (e) {
      this.lastUpload = { ok: false, text: `uploadfs failed: ${errorText(e)}`, at: Date.now() };
      void showError(this.lastUpload.text);
    } finally {
      this.updateStatus();
    }
  }

  private async rememberUploaded(t: Target, files: string[]): Promise<void> {
    const all = { ...this.ctx.workspaceState.get<Record<string, Record<string, string>>>(UPLOADED_KEY, {}) };
    const rec: Record<string, string> = {};
    for (const f of files) {
      const st = fs.statSync(f);
      rec[path.basename(f)] = `${st.size}:${Math.round(st.mtimeMs)}`;
    }
    all[this.uploadKey(t)] = rec;
    await this.ctx.workspaceState.update(UPLOADED_KEY, all);
  }

  private updateStatus(): void {
    const t = this.target;
    // Only where the Memory Manager is used: other PlatformIO projects get no upload item.
    if (!t || !usesMemoryManager(t)) { this.status.hide(); return; }
    const sd = storageOf(t) === 'sd';
    const choice = serialPortOf(t);
    const port = choice?.port ?? '';
    const icon = this.lastUpload ? (this.lastUpload.ok ? ' $(check)' : ' $(error)') : '';
    this.status.text = `$(cloud-upload) ${sd ? 'SD' : 'FS'}${port ? ' ' + port.replace(/^\/dev\//, '').replace(/\$\(/g, '$\u200b(') : ''}${icon}`;
    // Workspace text (env name, port, folder, errors) goes in as text, never as Markdown.
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**Upload libraries to the ${sd ? 'SD card' : storageOf(t)}** of env:`).appendText(t.env.name).appendMarkdown('\n\n');
    md.appendMarkdown('Port: ').appendText(port ? `${port}${choice!.from === 'esp32mm.serialPort' ? '' : ` (${choice!.from} in platformio.ini)`}` : 'not selected')
      .appendText(` · folder ${deviceFolder(t)} · ${baudRateOf(t)} baud`).appendMarkdown('\n\n');
    if (this.lastUpload) md.appendText(`Last: ${this.lastUpload.text} (${new Date(this.lastUpload.at).toLocaleTimeString()})`);
    this.status.tooltip = md;
    this.status.accessibilityInformation = { label: `Upload libraries to ${sd ? 'SD card' : 'flash file system'}${port ? ' on ' + port : ''}${this.lastUpload ? '. ' + this.lastUpload.text : ''}` };
    this.status.show();
  }

  // ---- pickers ----------------------------------------------------------------------------

  async selectPort(t = this.requireTarget()): Promise<string | undefined> {
    if (!t) return undefined;
    let ports: { path: string; description: string }[] = [];
    try { ports = await core.listSerialPorts(); } catch (e) { log.warn(`Listing serial ports failed: ${errorText(e)}`); }
    const typed = '$(edit) Enter a port path…';
    const pick = await vscode.window.showQuickPick(
      [...ports.map((p) => ({ label: p.path, description: p.description })), { label: typed, description: 'e.g. /dev/ttyUSB0, COM3, a pty' }],
      { title: 'Memory Manager: serial port of the board', placeHolder: ports.length ? 'Choose the port' : 'No serial ports found — is the board connected?' });
    if (!pick) return undefined;
    let port = pick.label;
    if (port === typed) {
      port = (await vscode.window.showInputBox({ title: 'Serial port path', value: this.port(t), validateInput: (v) => (v.trim() ? undefined : 'Enter a path') }))?.trim() ?? '';
      if (!port) return undefined;
    }
    // A port is a path of this computer: user (machine) settings, never the workspace's .vscode/settings.json.
    await vscode.workspace.getConfiguration('esp32mm').update('serialPort', port, vscode.ConfigurationTarget.Global);
    this.updateStatus();
    return port;
  }

  async selectEnvironment(): Promise<void> {
    if (!this.projects.length) { this.requireTarget(); return; }
    const items = this.projects.flatMap((project) => project.envs.map((env) => ({
      label: env.name, description: this.projects.length > 1 ? project.label : undefined,
      detail: [env.board && `board ${env.board}`, env.problem && inVsCodeTerms(env.problem), dynamicLibraryNames({ project, env }).length ? `dynamic: ${dynamicLibraryNames({ project, env }).join(', ')}` : '',
        fs.existsSync(firmwareElf({ project, env })) ? 'built' : 'not built'].filter(Boolean).join(' · '),
      picked: this.target?.project === project && this.target.env === env,
      target: { project, env },
    })));
    const pick = await vscode.window.showQuickPick(items, { title: 'Memory Manager: PlatformIO environment', matchOnDescription: true, matchOnDetail: true });
    if (pick) await this.select(pick.target, true);
  }

  async installIntegration(): Promise<void> {
    const t = this.requireTarget();
    if (!t) return;
    const libDir = path.join(t.project.root, platformioOption(t.project.pio.doc, 'lib_dir') ?? 'lib');
    let folders: string[] = [];
    try { folders = fs.readdirSync(libDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort(); } catch { /* none */ }
    if (!folders.length) {
      return showError(`env:${t.env.name} has no libraries to make dynamic: only folders in ${vscode.workspace.asRelativePath(libDir)} can be moved out of the firmware. Put the library there first.`);
    }
    const current = new Set(t.env.mm.libs);
    const libs = await vscode.window.showQuickPick(folders.map((f) => ({ label: f, picked: current.has(f) })),
      { title: escapeNotification(`Memory Manager: libraries of env:${t.env.name} to load at run time`), canPickMany: true, placeHolder: 'Each chosen lib/ folder is linked at a fixed address and moved to a file' });
    if (!libs?.length) return;
    const storages = [
      { label: 'sd', description: 'SD card (project folder sd/mm)' },
      { label: 'spiffs', description: 'SPIFFS (project folder data/mm)' },
      { label: 'littlefs', description: 'LittleFS (project folder data/mm)' },
    ];
    const storage = await vscode.window.showQuickPick(storages.map((s) => ({ ...s, picked: s.label === storageOf(t) })),
      { title: 'Memory Manager: where the device reads the library files' });
    if (!storage) return;
    try {
      const cli = vscode.Uri.joinPath(this.ctx.extensionUri, 'dist', 'cli.js').fsPath;
      const out = await core.installBuildIntegration(cli, { projectRoot: t.project.root, env: t.env.name, libs: libs.map((l) => l.label), storage: storage.label });
      log.info(out);
      void showInfo(`Build integration installed in env:${t.env.name}: the next build links ${libs.map((l) => l.label).join(', ')} at fixed addresses and splits them out.`, 'Open platformio.ini')
        .then((a) => { if (a) void vscode.window.showTextDocument(vscode.Uri.file(t.project.iniPath)); });
      await this.reloadProjects();
    } catch (e) {
      return showError(`Installing the build integration failed: ${errorText(e)}`,
        { title: 'Open platformio.ini', run: () => vscode.window.showTextDocument(vscode.Uri.file(t.project.iniPath)) });
    }
  }

  // ---- commands ---------------------------------------------------------------------------

  private registerCommands(): void {
    const reg = (id: string, fn: (...args: any[]) => unknown) =>
      this.disposables.push(vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try { await fn(...args); } catch (e) { void showError(`${id}: ${errorText(e)}`); }
      }));
    reg('esp32mm.splitLibraries', () => this.split());
    reg('esp32mm.showMemoryMap', async () => { await vscode.commands.executeCommand(`${MemoryMapView.id}.focus`); await this.refresh(); });
    reg('esp32mm.refresh', () => this.refresh());
    reg('esp32mm.openMemoryMap', async () => { this.panel.open(); if (this.lastState) this.panel.show(this.lastState); else await this.refresh(); });
    reg('esp32mm.upload', () => this.upload());
    reg('esp32mm.uploadSd', () => this.upload(undefined, 'sd'));
    reg('esp32mm.uploadFs', () => this.upload(undefined, 'fs'));
    reg('esp32mm.selectPort', () => this.selectPort());
    reg('esp32mm.selectEnvironment', () => this.selectEnvironment());
    reg('esp32mm.installIntegration', () => this.installIntegration());
    reg('esp32mm.showLog', () => log.show());
    reg('esp32mm.revealLibrary', (arg: string | { lib: { name: string } }) => this.revealLibrary(arg));
  }

  dispose(): void {
    for (const d of [...this.disposables, ...this.envWatchers]) d.dispose();
  }
}

/** The model with its notes in VS Code's terms (core's notes name CLI options). */
function inVsCodeNotes(m: MemoryMapModel): MemoryMapModel {
  return { ...m, notes: m.notes.map(inVsCodeTerms) };
}

function targetKey(t: Target): string {
  return `${t.project.root}\0${t.env.name}`;
}

/** The deepest existing folder on the way from `root` to `dir` (`root` itself if nothing below exists). */
function nearestExisting(dir: string, root: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(d)) return d;
    if (path.relative(root, d).startsWith('..') || d === path.dirname(d)) return fs.existsSync(root) ? root : undefined;
  }
}

function mtimeOf(f: string): number {
  try { return fs.statSync(f).mtimeMs; } catch { return 0; }
}

function isCancel(e: unknown): boolean {
  return core.isTransferError(e, 'CANCELLED') || (e instanceof Error && (e.name === 'AbortError' || /cancel|abort/i.test(e.name)));
}

export async function activate(ctx: vscode.ExtensionContext): Promise<void> {
  const c = new Controller(ctx);
  ctx.subscriptions.push(c, log);
  await c.start();
}

export function deactivate(): void { /* disposables are released by VS Code */ }

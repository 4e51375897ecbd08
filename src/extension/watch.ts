// Build detection: one watcher system with one event path. Every feed — VS Code's workspace
// watcher, Node watchers on each environment's build folder, the end of PlatformIO tasks —
// reports a changed file; `classify` says what it is (the ELF of an env, another build file,
// platformio.ini) and the handlers act once the burst is quiet.
//
// Why two file feeds: users (and PlatformIO setups) often put .pio in files.watcherExclude,
// which silences VS Code's watcher for exactly the files we need (seen in the e2e test). A
// project never built has no `.pio/build/<env>` yet: its nearest existing folder is watched
// instead, and every folder that appears on the way moves the watcher down, so the first
// build is seen too.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { KeyedDebouncer } from './debounce';
import { type Project } from './target';

export type BuildFileKind = 'elf' | 'build-file' | 'ini';

/** Files of a build folder that change the memory map without the ELF. */
const BUILD_FILE = /\.map$|^esp32mm-build\.json$|^partitions\.bin$|^sdkconfig/;

/** What a changed file is to the extension, or undefined when it does not matter. */
export function classify(projects: Project[], file: string): BuildFileKind | undefined {
  const resolved = path.resolve(file);
  if (path.basename(resolved) === 'platformio.ini') return 'ini';
  for (const p of projects) {
    for (const env of p.envs) {
      if (path.resolve(env.outputs.elf) === resolved) return 'elf';
      if (path.dirname(resolved) === path.resolve(env.outputs.buildDir) && BUILD_FILE.test(path.basename(resolved))) return 'build-file';
    }
  }
  return undefined;
}

export interface WatchHandlers {
  /** A firmware.elf changed (quiet for a while: a build writes it more than once). */
  elf(file: string): void;
  /** A map, partition table or build record of an env changed. */
  buildFile(file: string): void;
  /** platformio.ini changed, or workspace folders came or went. */
  projects(): void;
  /** A PlatformIO task ended: its outputs are complete. */
  taskEnded(): void;
}

export class BuildWatcher implements vscode.Disposable {
  /** A build writes firmware.elf more than once (link, then the build hook's split): act once it is quiet. */
  private readonly debounce = new KeyedDebouncer(250);
  /** Folders appearing on the way to a first build: re-watch at once, the ELF may follow within milliseconds. */
  private readonly folderDebounce = new KeyedDebouncer(30);
  private readonly disposables: vscode.Disposable[] = [this.debounce, this.folderDebounce];
  private folderWatchers: vscode.Disposable[] = [];
  /** mtime of each env's ELF when its folder was last watched: a build that raced the watcher is not missed. */
  private readonly seenElf = new Map<string, number>();

  constructor(
    private readonly projects: () => Project[],
    private readonly on: WatchHandlers,
  ) {
    this.watchWorkspace(vscode.workspace.workspaceFolders ?? []);
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders((e) => {
        this.watchWorkspace(e.added);
        this.on.projects();
      }),
      vscode.tasks.onDidEndTaskProcess((e) => {
        const def = e.execution.task.definition;
        if (def.type === 'PlatformIO' || /platformio|pio/i.test(e.execution.task.source))
          this.debounce.run('task', () => this.on.taskEnded());
      }),
    );
  }

  /** The one event path: every feed reports changed files here. */
  changed(file: string): void {
    const kind = classify(this.projects(), file);
    if (kind === 'elf') this.debounce.run(file, () => this.on.elf(file));
    else if (kind === 'build-file') this.debounce.run('build-files', () => this.on.buildFile(file));
    else if (kind === 'ini') this.debounce.run('platformio.ini', () => this.on.projects());
  }

  private watchWorkspace(folders: readonly vscode.WorkspaceFolder[]): void {
    const onUri = (uri: vscode.Uri) => this.changed(uri.fsPath);
    for (const folder of folders) {
      for (const glob of ['**/.pio/build/*/firmware.elf', '**/.pio/build/*/*.map', '**/platformio.ini']) {
        const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, glob));
        this.disposables.push(w, w.onDidChange(onUri), w.onDidCreate(onUri));
        if (glob.endsWith('platformio.ini')) this.disposables.push(w.onDidDelete(onUri));
      }
    }
  }

  /** Node watchers on each environment's build folder (or the nearest folder on the way to it). */
  watchBuildFolders(): void {
    for (const d of this.folderWatchers) d.dispose();
    this.folderWatchers = [];
    const handlers = new Map<string, ((name: string) => void)[]>();
    const watchDir = (dir: string, onName: (name: string) => void) => {
      const list = handlers.get(dir);
      if (list) {
        list.push(onName);
        return;
      } // one watcher per folder, every env's handler on it
      const mine = [onName];
      handlers.set(dir, mine);
      try {
        const w = fs.watch(dir, { persistent: false }, (_event, name) => {
          if (name) for (const h of mine) h(name.toString());
        });
        w.on('error', () => w.close()); // the folder was deleted (pio run -t clean)
        this.folderWatchers.push({ dispose: () => w.close() });
      } catch {
        /* gone meanwhile: the parent's watcher re-runs this */
      }
    };
    const rewatch = () => this.folderDebounce.run('env-dirs', () => this.watchBuildFolders());
    for (const p of this.projects()) {
      for (const env of p.envs) {
        const buildDir = env.outputs.buildDir;
        if (fs.existsSync(buildDir)) {
          watchDir(buildDir, (name) => this.changed(path.join(buildDir, name)));
          // its parent sees the folder deleted and re-created (a clean build)
          watchDir(path.dirname(buildDir), (name) => {
            if (!fs.existsSync(path.join(path.dirname(buildDir), name))) rewatch();
          });
        } else {
          const nearest = nearestExisting(buildDir, p.root);
          const next = nearest && path.relative(nearest, buildDir).split(path.sep)[0];
          if (nearest)
            watchDir(nearest, (name) => {
              if (name === next) rewatch();
            });
        }
        const mtime = mtimeOf(env.outputs.elf);
        const seen = this.seenElf.get(env.outputs.elf);
        this.seenElf.set(env.outputs.elf, mtime);
        if (seen !== undefined && mtime !== seen && mtime > 0) this.changed(env.outputs.elf);
      }
    }
  }

  dispose(): void {
    for (const d of [...this.disposables, ...this.folderWatchers]) d.dispose();
  }
}

/** The deepest existing folder on the way from `root` to `dir` (`root` itself if nothing below exists). */
export function nearestExisting(dir: string, root: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(d)) return d;
    if (path.relative(root, d).startsWith('..') || d === path.dirname(d)) return fs.existsSync(root) ? root : undefined;
  }
}

export function mtimeOf(f: string): number {
  try {
    return fs.statSync(f).mtimeMs;
  } catch {
    return 0;
  }
}

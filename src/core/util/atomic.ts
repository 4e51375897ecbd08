// Replacing a set of files as one change: after a failure, a crash or a `kill -9`, either
// every file is old or every file is new once the next commit (or `recoverPendingCommits`)
// has looked at their folders. The one implementation for every multi-file write (split,
// `init`, `fragment -o`, the extension).
//
// A commit, for transaction T (`<pid>-<random>`), in every folder D it writes to:
//   1. `.esp32mm-T.intent`: the names it will replace in D and where T's commit marker is;
//   2. `.<name>.T.esp32mm-old`: a hard link to (or copy of) each file it replaces;
//   3. `.<name>.T.esp32mm-new`: every new file, written in full and synced, mode kept;
//   4. `.esp32mm-T.commit` in the folder of the last file: the marker, written last. From
//      here T rolls forward, before it T rolls back;
//   5. each new file renamed over its target; then backups, intents and the marker removed.
// A later commit in D (or recoverPendingCommits) finds T's files when T's process is gone:
// marker present, it finishes the renames; absent, it restores the backups and removes
// what T wrote. Temporary files of a dead process are always reclaimed.
//
// Targets: a symlink is followed (the file it points to is replaced, the link stays);
// anything that is not a regular file (a device, a FIFO, a folder) is refused.
import { writeSync } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, readFile, readdir, readlink, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { kindOf } from './input';
import { Esp32mmError } from '../errors';

export interface PendingFile {
  path: string;
  data: Uint8Array | string;
  /** Mode of a file that does not exist yet (an existing file keeps its own). */
  mode?: number;
}

/** A target the commit refuses (not a regular file, a symlink loop, two files at one path). */
export class CommitError extends Esp32mmError {
  readonly code = 'COMMIT';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

interface Target {
  /** The file actually replaced: `path` with symlinks followed. */
  real: string;
  dir: string;
  name: string;
  data: Uint8Array | string;
  existed: boolean;
  mode: number | undefined;
  owner?: { uid: number; gid: number };
}

interface Intent {
  format: 1;
  marker: string;
  entries: { name: string; existed: boolean }[];
}
interface Marker {
  format: 1;
  intents: string[];
}

const TX = '[0-9]+-[0-9a-f]{16}';
const TEMP = new RegExp(`^\\.(.+)\\.(${TX})\\.esp32mm-(new|old)$`);
const JOURNAL = new RegExp(`^\\.esp32mm-(${TX})\\.(intent|commit)(\\.part)?$`);
const MAX_SYMLINKS = 40;

/** A temporary or journal file of a commit (`.<name>.<tx>.esp32mm-new`, `.esp32mm-<tx>.intent`): not a user's file. */
export function isCommitArtifact(fileName: string): boolean {
  return TEMP.test(fileName) || JOURNAL.test(fileName);
}

const tempName = (name: string, tx: string, kind: 'new' | 'old') => `.${name}.${tx}.esp32mm-${kind}`;
const intentName = (tx: string) => `.esp32mm-${tx}.intent`;
const markerName = (tx: string) => `.esp32mm-${tx}.commit`;

/** Transactions of this process still running (another thread's or a finished one's files are stale). */
const running = new Set<string>();

// ---------------------------------------------------------------------------------------
// Crash-test hooks. ESP32MM_COMMIT_TRACE=1 prints every step to stderr; with
// ESP32MM_COMMIT_PAUSE_AT=<n> the process stops for good at step n, so a test can kill -9
// it at a point measured in steps, not time.

let stepCount = 0;
const pauseAt = Number(process.env.ESP32MM_COMMIT_PAUSE_AT ?? -1);
const trace = process.env.ESP32MM_COMMIT_TRACE === '1' || pauseAt >= 0;

function step(label: string): void {
  if (!trace) return;
  const n = stepCount++;
  writeSync(2, `esp32mm-commit-step ${n} ${label}\n`);
  if (n === pauseAt) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

// ---------------------------------------------------------------------------------------

/**
 * Write `files` as one change (see the file comment). Files are switched in the given
 * order: callers put the file that marks completion last. A failure before the switch
 * leaves every target untouched; a failed rename during it puts every file back.
 */
export async function writeFilesAtomically(files: PendingFile[]): Promise<void> {
  if (!files.length) return;
  const targets = await planTargets(files);
  const dirs = [...new Set(targets.map((t) => t.dir))];
  await recoverPendingCommits(dirs);
  const tx = `${process.pid}-${randomBytes(8).toString('hex')}`;
  running.add(tx);
  try {
    await commit(tx, targets, dirs);
  } finally {
    running.delete(tx);
  }
}

async function commit(tx: string, targets: Target[], dirs: string[]): Promise<void> {
  const markerDir = targets[targets.length - 1].dir;
  const marker = join(markerDir, markerName(tx));
  try {
    for (const dir of dirs)
      await writeIntent(
        tx,
        dir,
        marker,
        targets.filter((t) => t.dir === dir),
      );
    for (const t of targets) if (t.existed) await keepBackup(t, tx);
    for (const t of targets) await writeTemp(t, tx);
    await writeJson(marker, { format: 1, intents: dirs.map((d) => relative(markerDir, join(d, intentName(tx)))) } satisfies Marker);
    await syncDir(markerDir);
    step('committed');
  } catch (e) {
    // Before the marker nothing was replaced: only what T wrote goes.
    for (const dir of dirs) await rollBack(dir, tx, undefined, () => false);
    throw e;
  }
  await switchFiles(tx, targets, dirs, marker);
  for (const dir of dirs) await removeOwnFiles(dir, tx);
  await rm(marker, { force: true });
  step('done');
}

/** Every rename, in order; a failed one puts back what was switched, as if nothing happened. */
async function switchFiles(tx: string, targets: Target[], dirs: string[], marker: string): Promise<void> {
  let i = 0;
  try {
    for (; i < targets.length; i++) {
      const t = targets[i];
      await rename(join(t.dir, tempName(t.name, tx, 'new')), t.real);
      step(`renamed ${t.name}`);
    }
    for (const dir of dirs) await syncDir(dir);
  } catch (e) {
    // Without the marker a crash from here on rolls back too.
    await rm(marker, { force: true });
    await syncDir(dirname(marker));
    const switched = new Set(targets.slice(0, i).map((t) => t.real));
    for (const dir of dirs) await rollBack(dir, tx, undefined, (name) => switched.has(join(dir, name)));
    const failed = targets[i]?.real ?? '';
    throw new CommitError(failed, `could not replace ${failed} (${(e as Error).message}); every file was put back as it was`);
  }
}

// ---------------------------------------------------------------------------------------
// Planning: where each file really goes.

async function planTargets(files: PendingFile[]): Promise<Target[]> {
  const targets: Target[] = [];
  for (const f of files) {
    const real = await followSymlinks(resolve(f.path));
    const st = await lstat(real).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (st && !st.isFile()) {
      throw new CommitError(f.path, `refusing to write ${f.path}: it is ${kindOf(st)}, not a regular file — give the path of a file`);
    }
    if (targets.some((t) => t.real === real))
      throw new CommitError(f.path, `${f.path} is written twice in one change (through a symbolic link?)`);
    targets.push({
      real,
      dir: dirname(real),
      name: basename(real),
      data: f.data,
      existed: !!st,
      mode: st ? st.mode & 0o7777 : f.mode,
      owner: st ? { uid: st.uid, gid: st.gid } : undefined,
    });
  }
  return targets;
}

/** The file a path names once symlinks are followed (it may not exist yet). */
async function followSymlinks(path: string): Promise<string> {
  let p = path;
  for (let hops = 0; hops < MAX_SYMLINKS; hops++) {
    const st = await lstat(p).catch(() => undefined);
    if (!st?.isSymbolicLink()) return p;
    p = resolve(dirname(p), await readlink(p));
  }
  throw new CommitError(path, `refusing to write ${path}: more than ${MAX_SYMLINKS} symbolic links in a row (a loop?)`);
}

// ---------------------------------------------------------------------------------------
// Writing.

async function writeIntent(tx: string, dir: string, marker: string, targets: Target[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const intent: Intent = { format: 1, marker: relative(dir, marker), entries: targets.map((t) => ({ name: t.name, existed: t.existed })) };
  await writeJson(join(dir, intentName(tx)), intent);
  step(`intent ${dir}`);
}

/** A small JSON file that exists only complete: written to `.part`, synced, renamed. */
async function writeJson(path: string, value: unknown): Promise<void> {
  const part = `${path}.part`;
  const h = await open(part, 'wx');
  try {
    await h.writeFile(JSON.stringify(value));
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(part, path);
}

/** The old file under a second name, so a rollback can put it back after it was replaced. */
async function keepBackup(t: Target, tx: string): Promise<void> {
  const backup = join(t.dir, tempName(t.name, tx, 'old'));
  try {
    await link(t.real, backup);
  } catch {
    // File systems without hard links (FAT on an SD card): a copy does the same.
    await copyFile(t.real, backup);
  }
  step(`backup ${t.name}`);
}

async function writeTemp(t: Target, tx: string): Promise<void> {
  const temp = join(t.dir, tempName(t.name, tx, 'new'));
  const data = typeof t.data === 'string' ? Buffer.from(t.data) : t.data;
  const h = await open(temp, 'wx', t.mode ?? 0o666);
  try {
    const half = data.length >> 1;
    await h.write(data, 0, half);
    step(`half ${t.name}`);
    await h.write(data, half, data.length - half);
    // The mode of the file it replaces, exactly (umask does not apply to it twice).
    if (t.mode !== undefined) await h.chmod(t.mode);
    if (t.owner && process.getuid?.() === 0) await h.chown(t.owner.uid, t.owner.gid).catch(() => undefined);
    await h.sync();
  } finally {
    await h.close();
  }
  step(`written ${t.name}`);
}

async function syncDir(dir: string): Promise<void> {
  // Makes the renames durable; not every platform can open a folder (Windows), which is fine.
  const h = await open(dir, 'r').catch(() => undefined);
  if (!h) return;
  await h.sync().catch(() => undefined);
  await h.close();
}

// ---------------------------------------------------------------------------------------
// Recovery.

/**
 * Finish or undo the changes that a process which died (crash, `kill -9`, power loss) left
 * in `dirs`, and remove its temporary files. Commits call it first for their folders;
 * readers of a split folder may call it before reading. Only files in `dirs` whose names
 * follow this module's patterns are touched.
 */
export async function recoverPendingCommits(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    const stale = new Set<string>();
    for (const n of names) {
      const tx = TEMP.exec(n)?.[2] ?? JOURNAL.exec(n)?.[1];
      if (tx && !isRunning(tx)) stale.add(tx);
    }
    for (const tx of stale) await recoverOne(dir, tx);
  }
}

function isRunning(tx: string): boolean {
  const pid = Number(tx.split('-')[0]);
  if (pid === process.pid) return running.has(tx);
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function recoverOne(dir: string, tx: string): Promise<void> {
  const intent = await readJson<Intent>(join(dir, intentName(tx)));
  const marker = intent && isMarkerPath(intent.marker, tx) ? resolve(dir, intent.marker) : join(dir, markerName(tx));
  const committed = await exists(marker);
  step(`recover ${tx} ${committed ? 'forward' : 'back'}`);
  if (committed) await rollForward(dir, tx);
  else await rollBack(dir, tx, intent);
  if (committed) await dropMarkerWhenDone(marker);
}

/** The marker a (possibly hostile) intent names must at least be T's marker file. */
function isMarkerPath(p: unknown, tx: string): p is string {
  return typeof p === 'string' && basename(p) === markerName(tx);
}

async function rollForward(dir: string, tx: string): Promise<void> {
  for (const n of await readdir(dir)) {
    const m = TEMP.exec(n);
    if (m && m[2] === tx && m[3] === 'new') {
      await rename(join(dir, n), join(dir, m[1]));
      step(`forward ${m[1]}`);
    }
  }
  await syncDir(dir);
  await removeOwnFiles(dir, tx);
}

/**
 * Put back what T replaced in `dir` and remove what it wrote. `wasSwitched` says which
 * targets were replaced when the caller knows (a failed rename); after a crash it is
 * judged from the files: a target that is not its backup, or a new file whose temp is gone.
 */
async function rollBack(dir: string, tx: string, intent?: Intent, wasSwitched?: (name: string) => boolean): Promise<void> {
  const entries = intent ?? (await readJson<Intent>(join(dir, intentName(tx))));
  for (const e of validEntries(entries)) {
    const target = join(dir, e.name);
    const backup = join(dir, tempName(e.name, tx, 'old'));
    const temp = join(dir, tempName(e.name, tx, 'new'));
    if (e.existed) {
      const replaced = wasSwitched ? wasSwitched(e.name) : (await exists(backup)) && !(await sameFile(backup, target));
      if (replaced) await rename(backup, target);
    } else if (wasSwitched ? wasSwitched(e.name) : !(await exists(temp)) && (await exists(target))) {
      await rm(target, { force: true });
    }
    step(`back ${e.name}`);
  }
  await syncDir(dir);
  await removeOwnFiles(dir, tx);
}

/** Whether two paths are one file (a backup hard link to a target that was never replaced). */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
  return !!x && !!y && x.ino === y.ino && x.dev === y.dev;
}

/** Entries naming plain files of the folder only: an intent is read from the user's folder. */
function validEntries(intent: Intent | undefined): { name: string; existed: boolean }[] {
  if (!intent || !Array.isArray(intent.entries)) return [];
  return intent.entries.filter(
    (e) =>
      typeof e?.name === 'string' &&
      e.name !== '' &&
      e.name !== '.' &&
      e.name !== '..' &&
      !/[/\\\0]/.test(e.name) &&
      typeof e.existed === 'boolean',
  );
}

/** T's temporaries, backups and intent in `dir` (not the marker: it may still be needed). */
async function removeOwnFiles(dir: string, tx: string): Promise<void> {
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    const temp = TEMP.exec(n);
    const journal = JOURNAL.exec(n);
    const own = (temp && temp[2] === tx) || (journal && journal[1] === tx && (journal[2] === 'intent' || journal[3]));
    if (own) await rm(join(dir, n), { force: true });
  }
}

/** The marker goes once no folder of its transaction has an intent left. */
async function dropMarkerWhenDone(marker: string): Promise<void> {
  const m = await readJson<Marker>(marker);
  const intents = Array.isArray(m?.intents) ? m!.intents.filter((p): p is string => typeof p === 'string') : [];
  for (const p of intents) if (await exists(resolve(dirname(marker), p))) return;
  await rm(marker, { force: true });
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    const st = await stat(path);
    if (!st.isFile() || st.size > 1024 * 1024) return undefined;
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

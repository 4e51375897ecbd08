// The device library vendored into the project: `<lib_dir>/ESP32MemoryManager/` (PlatformIO
// builds every lib/ folder it includes), so the project builds for teammates and CI from
// what is committed, without the extension. `esp32mm-version.json` beside it records the
// version and a hash of every file Install wrote: a later Install compares it with the
// library this esp32mm brings and makes a plan (install, update, up to date) that the CLI
// prints and the extension can show before anything changes. Files changed in the project
// since they were vendored are named in the plan and only replaced when asked.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { isCommitArtifact, type PendingFile } from '../util/atomic';
import { Esp32mmError } from '../errors';

/** The device library this esp32mm brings is missing or damaged (a broken install). */
export class DeviceLibraryError extends Esp32mmError {
  readonly code = 'DEVICE_LIBRARY';
}

export const DEVICE_LIBRARY = 'ESP32MemoryManager';
export const VERSION_FILE = 'esp32mm-version.json';

/** What the library is made of: `library.json`, `library.properties`, `README.md` and `src/`. */
const PARTS = ['library.json', 'library.properties', 'README.md', 'src'];

export interface LibraryFiles {
  version: string;
  /** Path inside the library folder (with /) → contents. */
  files: Map<string, Buffer>;
}

interface VersionRecord {
  version: string;
  files: Record<string, string>;
}

export type VendorAction = 'install' | 'update' | 'up-to-date';

export interface VendorPlan {
  action: VendorAction;
  /** `<lib_dir>/ESP32MemoryManager`. */
  dir: string;
  /** The version in the project (none before the first install) and the one this esp32mm brings. */
  from?: string;
  to: string;
  added: string[];
  changed: string[];
  removed: string[];
  /** Files edited in the project since Install wrote them (they differ from the recorded hash). */
  locallyModified: string[];
}

/** The device library this esp32mm brings: firmware/ beside dist/ (package, VSIX) or src/ (tests). */
export function bundledDeviceLibrary(): LibraryFiles {
  const candidates = [
    process.env.ESP32MM_FIRMWARE_DIR,
    join(__dirname, '..', 'firmware'),
    join(__dirname, '..', '..', '..', 'firmware'),
    join(__dirname, '..', '..', 'firmware'),
  ].filter((p): p is string => !!p);
  const root = candidates.find((p) => existsSync(join(p, 'library.json')) && existsSync(join(p, 'src')));
  if (!root)
    throw new DeviceLibraryError(`cannot find the device library (library.json and src/ in ${candidates.join(', ')}): reinstall esp32mm`);
  return readLibrary(root);
}

export function readLibrary(root: string): LibraryFiles {
  const files = new Map<string, Buffer>();
  for (const part of PARTS) {
    const path = join(root, part);
    if (!existsSync(path)) continue;
    for (const file of statSync(path).isDirectory() ? walk(path) : [path])
      files.set(relative(root, file).split('\\').join('/'), readFileSync(file));
  }
  const version = String((JSON.parse(files.get('library.json')?.toString('utf8') ?? '{}') as { version?: unknown }).version ?? '');
  if (!version) throw new DeviceLibraryError(`${join(root, 'library.json')} has no "version"`);
  return { version, files };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : d.isFile() ? [join(dir, d.name)] : []));
}

const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Compares the project's copy (if any) with the bundled library. */
export function planDeviceLibrary(libDir: string, bundled: LibraryFiles): VendorPlan {
  const dir = join(libDir, DEVICE_LIBRARY);
  const record = readRecord(dir);
  const plan: VendorPlan = {
    action: 'install',
    dir,
    from: record?.version,
    to: bundled.version,
    added: [],
    changed: [],
    removed: [],
    locallyModified: [],
  };
  // A folder with no file of its own (only what an interrupted install left: empty folders,
  // commit temporaries) is not an installed library of unknown version: install it.
  if (!existsSync(dir) || !holdsFiles(dir)) {
    plan.added = [...bundled.files.keys()];
    return plan;
  }
  const present = existsSync(join(dir, 'library.json')) ? readLibrary(dir).files : new Map<string, Buffer>();
  for (const [path, data] of bundled.files) {
    const mine = present.get(path);
    if (!mine) plan.added.push(path);
    else if (!mine.equals(data)) plan.changed.push(path);
  }
  // Only files Install wrote are removed: a file the user added stays.
  plan.removed = Object.keys(record?.files ?? {}).filter((p) => !bundled.files.has(p) && present.has(p));
  plan.locallyModified = [...present.entries()]
    .filter(([p, d]) => record?.files[p] !== undefined && record.files[p] !== hash(d))
    .map(([p]) => p);
  const same = !plan.added.length && !plan.changed.length && !plan.removed.length && record?.version === bundled.version;
  plan.action = same ? 'up-to-date' : 'update';
  return plan;
}

function holdsFiles(dir: string): boolean {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).some((e) => e.isFile() && !isCommitArtifact(e.name));
}

function readRecord(dir: string): VersionRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dir, VERSION_FILE), 'utf8')) as VersionRecord;
    return typeof r.version === 'string' && typeof r.files === 'object' ? r : undefined;
  } catch {
    return undefined;
  }
}

/** The files an install or update writes (library files and the version record), for writeFilesAtomically. */
export function vendorFiles(plan: VendorPlan, bundled: LibraryFiles): { write: PendingFile[]; remove: string[] } {
  if (plan.action === 'up-to-date') return { write: [], remove: [] };
  const write: PendingFile[] = [...bundled.files].map(([p, data]) => ({
    path: join(plan.dir, ...p.split('/')),
    data: new Uint8Array(data),
  }));
  const record: VersionRecord = { version: bundled.version, files: Object.fromEntries([...bundled.files].map(([p, d]) => [p, hash(d)])) };
  write.push({ path: join(plan.dir, VERSION_FILE), data: JSON.stringify(record, null, 2) + '\n' });
  return { write, remove: plan.removed.map((p) => join(plan.dir, ...p.split('/'))) };
}

/** One line for the user: what Install did or would do. */
export function describePlan(plan: VendorPlan): string {
  const where = relative(dirname(dirname(plan.dir)), plan.dir) || plan.dir;
  if (plan.action === 'up-to-date') return `${where} is up to date (version ${plan.to})`;
  if (plan.action === 'install') return `${where}: the device library ${plan.to} (${plan.added.length} files)`;
  const counts = [
    plan.added.length && `${plan.added.length} new`,
    plan.changed.length && `${plan.changed.length} changed`,
    plan.removed.length && `${plan.removed.length} removed`,
  ]
    .filter(Boolean)
    .join(', ');
  const edited = plan.locallyModified.length ? `; edited in this project since it was installed: ${plan.locallyModified.join(', ')}` : '';
  return `${where}: version ${plan.from ?? '(unknown)'} → ${plan.to} (${counts || 'no file changes'})${edited}`;
}

/** What uninstall does with the vendored library: remove the files Install wrote, or keep the folder and say why. */
export interface VendorRemoval {
  dir: string;
  /** Files to delete (then the folders they leave empty); empty when the folder is kept. */
  remove: string[];
  /** Why the folder stays, with the files that make it stay (paths inside the folder). */
  kept?: { why: string; files: string[] };
}

/**
 * The library folder is removed only when it holds exactly what Install wrote: every file
 * recorded in esp32mm-version.json with its hash, and no other file. A file edited or added
 * in the project keeps the whole folder (a partial library would not build), and is named.
 */
export function planVendorRemoval(libDir: string): VendorRemoval | undefined {
  const dir = join(libDir, DEVICE_LIBRARY);
  if (!existsSync(dir)) return undefined;
  const record = readRecord(dir);
  const present = walk(dir)
    .filter((f) => !isCommitArtifact(basename(f)))
    .map((f) => relative(dir, f).split('\\').join('/'))
    .filter((p) => p !== VERSION_FILE);
  if (!record) return { dir, remove: [], kept: { why: `it has no ${VERSION_FILE}, so esp32mm init did not write it`, files: [] } };
  const edited = present.filter((p) => record.files[p] !== undefined && record.files[p] !== hash(readFileSync(join(dir, ...p.split('/')))));
  const added = present.filter((p) => record.files[p] === undefined);
  if (edited.length || added.length) {
    const why = [
      edited.length && `edited since init wrote them: ${edited.join(', ')}`,
      added.length && `not written by init: ${added.join(', ')}`,
    ]
      .filter(Boolean)
      .join('; ');
    return { dir, remove: [], kept: { why, files: [...edited, ...added] } };
  }
  return { dir, remove: [...present, VERSION_FILE].map((p) => join(dir, ...p.split('/'))) };
}

// What Install adds to a project besides the build hook, so that a build has everything it
// needs: the device library vendored into lib/ (vendor.ts) and include/mm_libraries.h
// (registrations.ts). Returns the files to write, so the caller commits them together with
// platformio.ini and the hook in one atomic write, and the messages for the user.
// The extension's "Install Build Integration" plugs in here: call planDeviceLibrary() first
// to ask before an update, then planDeviceSetup({ …, updateLibrary: true }).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { DEFAULT_STORAGE } from '../conventions';
import { type PendingFile } from '../util/atomic';
import { ownOption, platformioOption } from './ini';
import { type PlatformioProject, type Storage, readMmOptions } from './project';
import { LIBRARIES_HEADER, generateRegistrations, libraryHeaders, type Registrations } from './registrations';
import {
  DEVICE_LIBRARY,
  bundledDeviceLibrary,
  describePlan,
  planDeviceLibrary,
  planVendorRemoval,
  vendorFiles,
  type VendorPlan,
} from './vendor';

export interface DeviceSetupOptions {
  env: string;
  libs: string[];
  slots: string[];
  storage: Storage;
  deviceDir: string;
  /** Replace a vendored library of another version (else the plan is only reported). */
  updateLibrary: boolean;
}

export interface DeviceSetup {
  plan: VendorPlan;
  /** Whether the library files are part of `write` (install, or an update that was asked for). */
  libraryWritten: boolean;
  registrations: Registrations;
  headerPath: string;
  write: PendingFile[];
  remove: string[];
  messages: string[];
}

const libDirOf = (project: PlatformioProject) => join(project.dir, platformioOption(project.doc, 'lib_dir') ?? 'lib');
const includeDirOf = (project: PlatformioProject) =>
  join(project.dir, ownOption(project.doc, 'platformio', 'include_dir')?.value ?? 'include');

/**
 * Every folder an install writes to (the project, include/, the vendored library's folders):
 * an install killed half-way is rolled back or forward in these before the next one looks.
 */
export function deviceSetupFolders(project: PlatformioProject): string[] {
  const library = join(libDirOf(project), DEVICE_LIBRARY);
  const inside = existsSync(library)
    ? readdirSync(library, { recursive: true, withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => join(e.parentPath, e.name))
    : [];
  return [project.dir, includeDirOf(project), library, ...inside];
}

export function planDeviceSetup(project: PlatformioProject, opts: DeviceSetupOptions): DeviceSetup {
  const libDir = libDirOf(project);
  const includeDir = includeDirOf(project);
  const bundled = bundledDeviceLibrary();
  const plan = planDeviceLibrary(libDir, bundled);
  const libraryWritten = plan.action === 'install' || (plan.action === 'update' && opts.updateLibrary);
  const files = libraryWritten ? vendorFiles(plan, bundled) : { write: [], remove: [] };
  const registrations = generateRegistrations({ ...opts, headers: opts.libs.map((lib) => libraryHeaders(libDir, lib)) });
  const headerPath = join(includeDir, LIBRARIES_HEADER);
  const messages = [
    libraryMessage(plan, libraryWritten),
    headerMessage(headerPath, registrations),
    'Next steps:',
    ...registrations.nextSteps.map((s) => `  - ${s}`),
  ];
  return {
    plan,
    libraryWritten,
    registrations,
    headerPath,
    write: [...files.write, { path: headerPath, data: registrations.text }],
    remove: files.remove,
    messages,
  };
}

function libraryMessage(plan: VendorPlan, written: boolean): string {
  const what = describePlan(plan);
  if (plan.action === 'up-to-date') return `Device library: ${what}`;
  if (written) return `Device library: ${plan.action === 'install' ? 'installed' : 'updated'} ${what}`;
  return `Device library: an update is available, ${what}; install again with the update to replace it`;
}

function headerMessage(path: string, r: Registrations): string {
  const skipped = r.skipped.length ? `; not wrapped: ${r.skipped.map((s) => `${s.name} (${s.why})`).join('; ')}` : '';
  return `Wrote ${path}: ${r.wrapped.length} mm_lazy_ wrapper${r.wrapped.length === 1 ? '' : 's'} (${r.wrapped.map((w) => w.fn).join(', ') || 'none'})${skipped}`;
}

/** A file or folder uninstall leaves in place, and why. */
export interface KeptFile {
  path: string;
  why: string;
}

export interface DeviceRemoval {
  /** Files to delete. */
  remove: string[];
  /** Then these folders of the library, deepest first, if they are empty. */
  folders: string[];
  kept: KeptFile[];
}

/**
 * What uninstall removes besides platformio.ini's lines and the hook: the vendored library
 * and include/mm_libraries.h, each only when it is as Install wrote it. The header is as
 * Install wrote it when it equals what Install would write now for the environment its
 * first line names (read before that environment's block goes).
 */
export function planDeviceRemoval(project: PlatformioProject): DeviceRemoval {
  const removal: DeviceRemoval = { remove: [], folders: [], kept: [] };
  const library = planVendorRemoval(libDirOf(project));
  if (library?.kept) removal.kept.push({ path: library.dir, why: library.kept.why });
  else if (library) {
    removal.remove.push(...library.remove);
    removal.folders.push(...emptiedFolders(library.remove, libDirOf(project)));
  }
  const header = join(includeDirOf(project), LIBRARIES_HEADER);
  if (!existsSync(header)) return removal;
  const text = readFileSync(header, 'utf8');
  const env = /^\/\* mm_libraries\.h: written by esp32mm Install for \[env:([^\]]+)\]/.exec(text)?.[1];
  if (!env) {
    removal.kept.push({ path: header, why: 'esp32mm init did not write it (its first line is not the one Install writes)' });
    return removal;
  }
  let expected: string | undefined;
  try {
    const o = readMmOptions(project, env);
    expected = generateRegistrations({
      env,
      libs: o.libs,
      slots: o.slots,
      storage: o.storage ?? DEFAULT_STORAGE,
      deviceDir: o.deviceDir,
      headers: o.libs.map((lib) => libraryHeaders(libDirOf(project), lib)),
    }).text;
  } catch {
    expected = undefined; // the environment or its options are gone: the header cannot be shown to be ours
  }
  if (expected === text) removal.remove.push(header);
  else
    removal.kept.push({
      path: header,
      why: `it differs from what init writes for [env:${env}] (edited, or the libraries' headers or options changed since)`,
    });
  return removal;
}

/** The folders between the files and `stop` (not included), deepest first. */
function emptiedFolders(removed: string[], stop: string): string[] {
  const folders = new Set<string>();
  for (const file of removed) for (let d = dirname(file); d.startsWith(stop + sep) && d !== stop; d = dirname(d)) folders.add(d);
  return [...folders].sort((a, b) => b.length - a.length);
}

// What Install adds to a project besides the build hook, so that a build has everything it
// needs: the device library vendored into lib/ (vendor.ts) and include/mm_libraries.h
// (registrations.ts). Returns the files to write, so the caller commits them together with
// platformio.ini and the hook in one atomic write, and the messages for the user.
// The extension's "Install Build Integration" plugs in here: call planDeviceLibrary() first
// to ask before an update, then planDeviceSetup({ …, updateLibrary: true }).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type PendingFile } from '../util/atomic';
import { ownOption, platformioOption } from './ini';
import { type PlatformioProject, type Storage } from './project';
import { LIBRARIES_HEADER, generateRegistrations, libraryHeaders, type Registrations } from './registrations';
import { DEVICE_LIBRARY, bundledDeviceLibrary, describePlan, planDeviceLibrary, vendorFiles, type VendorPlan } from './vendor';

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
const includeDirOf = (project: PlatformioProject) => join(project.dir, ownOption(project.doc, 'platformio', 'include_dir')?.value ?? 'include');

/**
 * Every folder an install writes to (the project, include/, the vendored library's folders):
 * an install killed half-way is rolled back or forward in these before the next one looks.
 */
export function deviceSetupFolders(project: PlatformioProject): string[] {
  const library = join(libDirOf(project), DEVICE_LIBRARY);
  const inside = existsSync(library)
    ? readdirSync(library, { recursive: true, withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(e.parentPath, e.name))
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
  const messages = [libraryMessage(plan, libraryWritten), headerMessage(headerPath, registrations), 'Next steps:', ...registrations.nextSteps.map((s) => `  - ${s}`)];
  return { plan, libraryWritten, registrations, headerPath, write: [...files.write, { path: headerPath, data: registrations.text }], remove: files.remove, messages };
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

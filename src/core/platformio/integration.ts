// Installing the build integration into a project, as `esp32mm init` and the extension's
// Install Build Integration both do it: the marked block in platformio.ini (install.ts), the
// build hook memory_manager.py beside it, the vendored device library and
// include/mm_libraries.h (device-setup.ts), all in one atomic write. Also the questions both
// front ends ask of a project: does an environment use the Memory Manager, does the hook run.
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { recoverPendingCommits, writeFilesAtomically } from '../util/atomic';
import { type IniDocument, envOption, joinLines, platformioOption, splitMultiValue } from './ini';
import {
  HOOK_ENTRY,
  HOOK_SCRIPT,
  type IniLineRef,
  type InstallOptions,
  InstallOptionError,
  installIntegration,
  isInstalled,
  removeIntegration,
} from './install';
import { type PlatformioProject, PLATFORMIO_INI, loadProject } from './project';
import { DEFAULT_DEVICE_DIR, libraryArchive } from '../conventions';
import { type DeviceSetup, deviceSetupFolders, planDeviceSetup } from './device-setup';
import { DeviceLibraryError, bundledDeviceLibrary, planDeviceLibrary, vendorFiles, type VendorPlan } from './vendor';
import { type LibraryPartitionSetup, partitionCsvPath, setUpLibraryPartition } from './library-partition';
import { validateLinkNames } from '../link/config';

/** What to install (the custom_mm_* options, install.ts) and how. */
export interface IntegrationRequest extends InstallOptions {
  /** Replace a vendored device library of another version. */
  updateDeviceLibrary?: boolean;
  /** The esp32mm CLI the hook records for the build to call (default: this process's cli.js). */
  cliPath?: string;
}

export interface IntegrationResult {
  iniPath: string;
  scriptPath: string;
  device: DeviceSetup;
  /** Things that make the integration silently ineffective, found before the first build. */
  warnings: string[];
  /** Lines someone wrote inside our block: left in place. */
  kept: IniLineRef[];
  /**
   * With a flash slot: the mmlib partition added to the project's CSV (`write` set), or the
   * line to add by hand and where (`messages` only). Undefined without flash slots.
   */
  partition?: LibraryPartitionSetup;
}

/** Installs (or re-installs) the integration in `[env:<env>]` of the project in `projectDir`. */
export async function installProjectIntegration(projectDir: string, req: IntegrationRequest): Promise<IntegrationResult> {
  const iniPath = join(projectDir, PLATFORMIO_INI);
  if (!existsSync(iniPath)) throw new InstallOptionError(`${iniPath} not found: give the folder of a PlatformIO project`);
  // An install killed half-way (kill -9, power cut) is rolled back or forward before anything is read.
  await recoverPendingCommits(deviceSetupFolders(loadProject(projectDir)));
  const text = readFileSync(iniPath, 'utf8');
  const scriptPath = join(projectDir, HOOK_SCRIPT);
  if (existsSync(scriptPath) && !isOurScript(readFileSync(scriptPath, 'utf8'))) {
    throw new InstallOptionError(`${scriptPath} exists and was not written by esp32mm: rename it, then run init again`);
  }
  const slots = req.slots ?? [];
  const { updateDeviceLibrary: _update, cliPath: _cli, ...options } = req;
  const updated = installIntegration(text, { ...options, slots });
  const project = loadProject(projectDir);
  const device = planDeviceSetup(project, {
    env: req.env,
    libs: req.libs,
    storage: req.storage,
    slots,
    deviceDir: req.dir ?? DEFAULT_DEVICE_DIR,
    updateLibrary: req.updateDeviceLibrary === true,
  });
  const warnings = installWarnings(project, req.env, req.libs);
  const kept = removeIntegration(text, req.env).kept;
  // Flash slots need the library partition (docs/design.md §6a), written in the same commit.
  const flashSlots = validateLinkNames({ libs: req.libs, slots, code: req.code }).slots.some((s) => s.code === 'flash');
  const csv = flashSlots ? partitionCsvPath(project, req.env) : undefined;
  if (csv) await recoverPendingCommits([dirname(csv)]); // an install killed while writing the CSV
  const partition = flashSlots ? setUpLibraryPartition(project, req.env) : undefined;
  // The script first: platformio.ini must never name a script that is not there.
  await writeFilesAtomically([
    ...device.write,
    ...(partition?.write ? [partition.write] : []),
    { path: scriptPath, data: hookScriptText(req.cliPath) },
    { path: iniPath, data: updated },
  ]);
  await Promise.all(device.remove.map((p) => rm(p, { force: true })));
  return { iniPath, scriptPath, device, warnings, kept, partition };
}

/** The vendored device library against the one this esp32mm brings (install, update, up to date). */
export function deviceLibraryPlan(project: PlatformioProject): VendorPlan {
  return planDeviceLibrary(libDirOf(project), bundledDeviceLibrary());
}

/**
 * Whether the vendored library is older than the bundled one (or of unknown version), so
 * an update is worth offering; a newer or locally edited copy is not pushed on.
 */
export function deviceLibraryOutdated(plan: VendorPlan): boolean {
  if (plan.action !== 'update') return false;
  return plan.from === undefined || compareVersions(plan.from, plan.to) < 0;
}

/** Replaces the vendored device library with the bundled one (one atomic write). */
export async function updateDeviceLibrary(project: PlatformioProject): Promise<VendorPlan> {
  const bundled = bundledDeviceLibrary();
  const plan = planDeviceLibrary(libDirOf(project), bundled);
  const files = vendorFiles(plan, bundled);
  await writeFilesAtomically(files.write);
  await Promise.all(files.remove.map((p) => rm(p, { force: true })));
  return plan;
}

/** `1.2.10` against `1.2.9`: numeric parts compared in order (a missing part counts as 0). */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) =>
    v
      .split(/[.+-]/)
      .map((p) => Number.parseInt(p, 10))
      .map((n) => (Number.isNaN(n) ? 0 : n));
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

/** Whether the build hook runs for `[env:<env>]` (its own extra_scripts, inherited or ours). */
export function hookRuns(doc: IniDocument, env: string): boolean {
  return splitMultiValue(envOption(doc, env, 'extra_scripts') ?? '').includes(HOOK_ENTRY);
}

/** Whether `[env:<env>]` uses the Memory Manager: libraries chosen, our block, or the hook. */
export function usesMemoryManager(project: PlatformioProject, env: string, libs: string[]): boolean {
  return libs.length > 0 || isInstalled(joinLines(project.doc.lines), env) || hookRuns(project.doc, env);
}

/** `lib_dir` of the project (PlatformIO's default `lib`): the folders a library can be made dynamic from. */
export function libDirOf(project: PlatformioProject): string {
  return resolve(project.dir, platformioOption(project.doc, 'lib_dir')!);
}

function installWarnings(project: PlatformioProject, env: string, libs: string[]): string[] {
  const warnings: string[] = [];
  if (envOption(project.doc, env, 'lib_archive')?.trim() === 'no') {
    warnings.push(
      `[env:${env}] sets lib_archive = no: libraries are then linked as loose objects and the linker rules (which select lib<Name>.a) cannot move them; remove that line`,
    );
  }
  const libDir = libDirOf(project);
  for (const lib of libs) {
    if (!existsSync(join(libDir, lib)))
      warnings.push(
        `no folder ${join(libDir, lib)}: the library must be built as ${libraryArchive(lib)} (a lib/ folder of that exact name)`,
      );
  }
  return warnings;
}

const MARKER = 'esp32mm-managed';

export function isOurScript(text: string): boolean {
  return text.includes(MARKER);
}

/**
 * The hook script, with the path of a CLI recorded so the build finds the same esp32mm
 * that installed it. Default: this process's cli.js; the VS Code extension passes the path
 * of the CLI it bundles.
 */
export function hookScriptText(cliPath?: string): string {
  const template = readFileSync(findHookTemplate(), 'utf8');
  const self = process.argv[1] && /cli\.[cm]?js$/.test(process.argv[1]) ? resolve(process.argv[1]) : undefined;
  const cli = cliPath ?? self;
  if (!cli) return template;
  // A function replacer: a path may contain $&, $` or $', which a replacement string would expand.
  // A JSON string is a valid Python string literal for paths.
  return template.replace(/^INSTALLED_CLI = None .*$/m, () => `INSTALLED_CLI = ${JSON.stringify(cli)}  # set by \`esp32mm init\``);
}

/** firmware/extra_script/memory_manager.py beside dist/ (package, VSIX) or src/ (tests). */
export function findHookTemplate(): string {
  const candidates = [
    process.env.ESP32MM_HOOK_TEMPLATE,
    join(__dirname, '..', 'firmware', 'extra_script', HOOK_SCRIPT),
    join(__dirname, '..', '..', '..', 'firmware', 'extra_script', HOOK_SCRIPT),
    join(__dirname, '..', '..', 'firmware', 'extra_script', HOOK_SCRIPT),
    join(dirname(process.argv[1] ?? '.'), '..', 'firmware', 'extra_script', HOOK_SCRIPT),
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new DeviceLibraryError(`cannot find ${HOOK_SCRIPT} (looked in ${candidates.join(', ')}): reinstall esp32mm`);
  return found;
}

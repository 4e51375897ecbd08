// Gathers what the doctor (src/core/doctor.ts) reads for one environment of a PlatformIO
// project: its custom_mm_* options, chip and framework from platformio.ini, the build's
// sdkconfig (given, `$BUILD_DIR/config/sdkconfig.h` of an ESP-IDF build, or `sdkconfig.<env>`),
// and, once the firmware is linked, its memory map and the link-map check. The CLI and the
// extension both call this; every file that is missing is said, not skipped.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { splitList } from '../conventions';
import { type ChipId } from '../chips/chips';
import { runDoctor, type DoctorInput, type DoctorReport, type Framework } from '../doctor';
import { checkLinkMap } from '../link/mapcheck';
import { decodeMapFile } from '../mapfile/parse';
import { buildMemoryMap, type MemoryMapModel } from '../memmap/model';
import { readInputFile, INPUT_LIMITS } from '../util/input';
import { findMapFile, findSdkconfig } from './artifacts';
import { EnvChipError, envChip, unknownChipMessage } from './env-chip';
import { findProjectPartitions } from './library-partition';
import { envOption } from './ini';
import { buildOutputs, loadProject, readMmOptions, type PlatformioProject } from './project';
import { parseAnySdkconfig } from './sdkconfig-header';
import { sdkconfigTarget } from './sdkconfig';
import { Esp32mmError } from '../errors';

export interface DoctorRequest {
  projectDir: string;
  env?: string;
  /** The build's sdkconfig or sdkconfig.h (the build hook finds Arduino's through the include paths). */
  sdkconfig?: string;
  /** The linked ELF and its map; default: the environment's build folder. */
  elf?: string;
  map?: string;
}

export interface DoctorResult {
  report: DoctorReport;
  /** Which files were read, for the report's header. */
  inputs: { sdkconfig?: string; elf?: string; map?: string };
}

export class DoctorInputError extends Esp32mmError {
  readonly code = 'DOCTOR_INPUT';
}

export async function diagnoseProject(req: DoctorRequest): Promise<DoctorResult> {
  const project = loadProject(req.projectDir);
  const opts = readMmOptions(project, req.env);
  const out = buildOutputs(project, opts.env);
  const framework = frameworkOf(project, opts.env);
  const sdkconfig = await readBuildSdkconfig(req.sdkconfig, out.buildDir, framework);
  const configured = configuredChip(project, opts.env, sdkconfig?.config && sdkconfigTarget(sdkconfig.config));
  const linked = await linkedModel(req, out.elf, opts.libs.length > 0, configured);
  const model = linked?.model;
  const chip = configured ?? model?.chip;
  if (!chip) throw new DoctorInputError(unknownChipMessage(opts.env));
  const linkWarnings =
    linked?.mapText !== undefined
      ? checkLinkMap(linked.mapText, opts.libs, { chip, partitions: findProjectPartitions(project, opts.env, out.buildDir) })
      : undefined;
  const input: DoctorInput = {
    env: opts.env,
    chip,
    framework,
    libs: opts.libs,
    code: placement(opts.code, ['iram', 'psram', 'flash'], 'custom_mm_code', opts.env) ?? 'iram',
    data: placement(opts.data, ['dram', 'psram'], 'custom_mm_data', opts.env) ?? 'dram',
    sdkconfig: sdkconfig && { config: sdkconfig.config, source: sdkconfig.path },
    sdkconfigProblem: sdkconfig ? undefined : sdkconfigProblem(framework, out.buildDir),
    model,
    linkWarnings,
  };
  return { report: runDoctor(input), inputs: { sdkconfig: sdkconfig?.path, elf: linked?.elfPath, map: linked?.mapPath } };
}

/** `framework = arduino` alone uses the precompiled SDK; with `espidf` the sdkconfig is the project's. */
export function frameworkOf(project: PlatformioProject, env: string): Framework {
  const frameworks = splitList(envOption(project.doc, env, 'framework') ?? '');
  return frameworks.includes('arduino') && !frameworks.includes('espidf') ? 'arduino' : 'espidf';
}

/** The environment's chip by the one rule (env-chip.ts); undefined if nothing tells before a build. */
function configuredChip(project: PlatformioProject, env: string, target: string | undefined): ChipId | undefined {
  try {
    return envChip(project, env, { sdkconfigTarget: target })?.chip;
  } catch (e) {
    if (e instanceof EnvChipError) throw new DoctorInputError(e.message);
    throw e;
  }
}

function placement<T extends string>(value: string | undefined, allowed: T[], option: string, env: string): T | undefined {
  if (value === undefined || value === '') return undefined;
  if (!allowed.includes(value as T)) throw new DoctorInputError(`[env:${env}] ${option} = ${value}: use ${allowed.join(' or ')}`);
  return value as T;
}

/** The build's sdkconfig as the doctor reads it: given, $BUILD_DIR/config/sdkconfig.h, else (ESP-IDF) sdkconfig.<env>. */
export async function readBuildSdkconfig(given: string | undefined, buildDir: string, framework: Framework) {
  const header = join(buildDir, 'config', 'sdkconfig.h');
  const path = given
    ? resolve(given)
    : existsSync(header)
      ? header
      : framework === 'espidf'
        ? findSdkconfig(buildDir).found?.path
        : undefined;
  if (!path) return undefined;
  const text = (await readInputFile(path, { what: 'sdkconfig', maxBytes: INPUT_LIMITS.sdkconfig })).toString('utf8');
  return { path, ...parseAnySdkconfig(text) };
}

function sdkconfigProblem(framework: Framework, buildDir: string): string {
  return framework === 'arduino'
    ? "the Arduino core's precompiled sdkconfig.h is found through the build's include paths: build the environment once (the build hook checks it after the link)"
    : `no sdkconfig.h in ${join(buildDir, 'config')} and no sdkconfig.<env> or sdkconfig in the project folder: build the environment once`;
}

/**
 * The memory map of the linked firmware (ELF and map, or the map alone, e.g. of a link that
 * overflowed), or undefined before the first build. Only regions and slots are needed: the
 * partition table is not read, so a damaged one does not stop the doctor.
 */
async function linkedModel(
  req: DoctorRequest,
  builtElf: string,
  wanted: boolean,
  chip: ChipId | undefined,
): Promise<LinkedModel | undefined> {
  if (!wanted) return undefined;
  const elfPath = req.elf ? resolve(req.elf) : !req.map && existsSync(builtElf) ? builtElf : undefined;
  const mapPath = req.map ? resolve(req.map) : elfPath ? findMapFile(elfPath).found?.path : undefined;
  if (!elfPath && !mapPath) return undefined;
  const [elf, map] = await Promise.all([
    elfPath ? readInputFile(elfPath, { what: 'ELF file', maxBytes: INPUT_LIMITS.elf }) : undefined,
    mapPath ? readInputFile(mapPath, { what: 'map file', maxBytes: INPUT_LIMITS.map }) : undefined,
  ]);
  const mapText = map && decodeMapFile(map);
  const model = buildMemoryMap({ elf: elf && new Uint8Array(elf), mapText, chip });
  return { model, elfPath, mapPath, mapText };
}

interface LinkedModel {
  model: MemoryMapModel;
  elfPath?: string;
  mapPath?: string;
  mapText?: string;
}

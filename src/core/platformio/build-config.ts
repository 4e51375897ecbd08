// Everything a build of one environment needs to know about the Memory Manager, resolved
// once: `esp32mm config --json` prints it and the build hook (firmware/extra_script) acts on
// it without reading a `custom_mm_*` option itself. The options it reads are MM_OPTIONS:
// `esp32mm init` writes and adopts exactly these (install.ts).
import { join } from 'node:path';
import { type ChipId } from '../chips/chips';
import { DEFAULT_STORAGE, type Storage } from '../conventions';
import { LinkConfigError, validateLinkConfig, type CodePlacement, type CtorKind, type DataPlacement, type Slot } from '../link/config';
import { FRAGMENT_FILE_NAME } from '../link/fragment';
import { BUILD_RECORD } from './artifacts';
import { type ChipSource, EnvChipError, envChip, unknownChipMessage } from './env-chip';
import { buildOutputs, libraryOutDir, readMmOptions, type PlatformioProject } from './project';

/** A `custom_mm_*` option: its name in platformio.ini and the `esp32mm init` flag that writes it. */
export interface MmOptionSpec {
  option: string;
  flag: string;
  /** `slots`: one entry a line (the flag repeats); else one value. */
  many?: true;
}

/** Every option `esp32mm config` (and so the build hook) reads; init writes each of them. */
export const MM_OPTIONS: readonly MmOptionSpec[] = [
  { option: 'custom_mm_libs', flag: 'libs' },
  { option: 'custom_mm_slots', flag: 'slot', many: true },
  { option: 'custom_mm_chip', flag: 'chip' },
  { option: 'custom_mm_code', flag: 'code' },
  { option: 'custom_mm_data', flag: 'data' },
  { option: 'custom_mm_ctors', flag: 'ctors' },
  { option: 'custom_mm_psram_code_addr', flag: 'psram-code-addr' },
  { option: 'custom_mm_storage', flag: 'storage' },
  { option: 'custom_mm_dir', flag: 'dir' },
];

export interface BuildConfig {
  project: string;
  env: string;
  /** The dynamic libraries; none: the hook has nothing to do (the rest is still resolved where it can be). */
  libs: string[];
  /** Undefined only when no library is named and nothing tells the chip. */
  chip?: ChipId;
  chipSource?: ChipSource;
  /** Every library in one slot, as the fragment lays them out. */
  slots: Slot[];
  code: CodePlacement;
  data: DataPlacement;
  ctors: CtorKind;
  psramCodeAddress?: number;
  storage: Storage;
  deviceDir: string;
  /** Where the split writes `<lib>_e`/`<lib>_d`. */
  outDir: string;
  buildDir: string;
  /** The linker fragment the hook writes and passes with -T, and the hook's record of the build's files. */
  fragment: string;
  buildRecord: string;
  /** The `esp32mm fragment` arguments that write this environment's fragment (to `fragment`). */
  fragmentArgs: string[];
}

export class BuildConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildConfigError';
  }
}

export interface BuildConfigRequest {
  env?: string;
  /** The board's MCU as PlatformIO knows it (the hook passes BoardConfig's build.mcu). */
  mcu?: string;
  /** CONFIG_IDF_TARGET of the build's sdkconfig, if one was read. */
  sdkconfigTarget?: string;
  /** $BUILD_DIR as the build has it; default: build_dir of platformio.ini + /<env>. */
  buildDir?: string;
}

/** `0x42800000` (or decimal) → a 32-bit address; undefined when the text is not one. */
export function parseAddress(text: string): number | undefined {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff ? n : undefined;
}

export function resolveBuildConfig(project: PlatformioProject, req: BuildConfigRequest = {}): BuildConfig {
  const opts = readMmOptions(project, req.env);
  const env = opts.env;
  const where = (option: string) => `[env:${env}] ${option}`;
  let resolved;
  try {
    resolved = envChip(project, env, { mcu: req.mcu, sdkconfigTarget: req.sdkconfigTarget });
  } catch (e) {
    if (e instanceof EnvChipError) throw new BuildConfigError(e.message);
    throw e;
  }
  if (!resolved && opts.libs.length) throw new BuildConfigError(unknownChipMessage(env));
  let psramCodeAddress: number | undefined;
  if (opts.psramCodeAddr !== undefined) {
    psramCodeAddress = parseAddress(opts.psramCodeAddr);
    if (psramCodeAddress === undefined) throw new BuildConfigError(`${where('custom_mm_psram_code_addr')} = ${opts.psramCodeAddr}: expected an address such as 0x42800000`);
  }
  const storage = opts.storage ?? DEFAULT_STORAGE;
  const buildDir = req.buildDir ?? buildOutputs(project, env).buildDir;
  const fragment = join(buildDir, FRAGMENT_FILE_NAME);
  const base = {
    project: project.dir, env, libs: opts.libs, chip: resolved?.chip, chipSource: resolved?.source, psramCodeAddress,
    storage, deviceDir: opts.deviceDir, outDir: libraryOutDir(project, storage), buildDir, fragment, buildRecord: join(buildDir, BUILD_RECORD),
  };
  if (!opts.libs.length) return { ...base, slots: [], code: 'iram', data: 'dram', ctors: 'init_array', fragmentArgs: [] };
  let link;
  try {
    link = validateLinkConfig({ chip: resolved!.chip, libs: opts.libs, slots: opts.slots, code: opts.code, data: opts.data, ctors: opts.ctors, psramCodeAddress });
  } catch (e) {
    if (e instanceof LinkConfigError) throw new BuildConfigError(`[env:${env}] of ${project.iniPath}: ${e.message}`);
    throw e;
  }
  const fragmentArgs = ['fragment', '--chip', link.chip, '--libs', link.libs.join(','), ...opts.slots.flatMap((s) => ['--slot', s]),
    '--code', link.code, '--data', link.data, '--ctors', link.ctors, ...(psramCodeAddress !== undefined ? ['--psram-code-addr', hex(psramCodeAddress)] : []), '-o', fragment];
  return { ...base, slots: link.slots, code: link.code, data: link.data, ctors: link.ctors, fragmentArgs };
}

const hex = (n: number) => '0x' + n.toString(16).padStart(8, '0');

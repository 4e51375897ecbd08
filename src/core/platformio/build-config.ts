// Everything a build of one environment needs to know about the Memory Manager, resolved
// once: `esp32mm config --json` prints it and the build hook (firmware/extra_script) acts on
// it without reading a `custom_mm_*` option itself. The options it reads are MM_OPTIONS:
// `esp32mm init` writes and adopts exactly these (install.ts).
import { join } from 'node:path';
import { Esp32mmError } from '../errors';
import { type ChipId } from '../chips/chips';
import { DEFAULT_STORAGE, type Storage } from '../conventions';
import { readFileSync } from 'node:fs';
import {
  LinkConfigError,
  isFlashSlot,
  validateLinkConfig,
  validateLinkNames,
  type CodePlacement,
  type CtorKind,
  type DataPlacement,
  type Slot,
} from '../link/config';
import { FRAGMENT_FILE_NAME } from '../link/fragment';
import { BUILD_RECORD } from './artifacts';
import { type ChipSource, EnvChipError, envChip, unknownChipMessage } from './env-chip';
import { buildOutputs, libraryOutDir, readMmOptions, type MmOptions, type PlatformioProject } from './project';
import { findProjectPartitions } from './library-partition';
import { type Partition, PartitionTableError, largestAppPartition, parsePartitionFile } from './partitions';

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
  { option: 'custom_mm_flash_code_addr', flag: 'flash-code-addr' },
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
  /** Where flash slots start: custom_mm_flash_code_addr, or with flash slots the computed start (§6a). */
  flashCodeAddress?: number;
  /** With flash slots: the partition table that placed them. */
  partitions?: string;
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
  /** What `esp32mm fragment --check-map` needs besides the map: with flash slots the chip and the table. */
  checkMapArgs: string[];
}

export class BuildConfigError extends Esp32mmError {
  readonly code = 'BUILD_CONFIG';
}

export interface BuildConfigRequest {
  env?: string;
  /** The board's MCU as PlatformIO knows it (the hook passes BoardConfig's build.mcu). */
  mcu?: string;
  /** CONFIG_IDF_TARGET of the build's sdkconfig, if one was read. */
  sdkconfigTarget?: string;
  /** $BUILD_DIR as the build has it; default: build_dir of platformio.ini + /<env>. */
  buildDir?: string;
  /** The partition table the build makes partitions.bin from (the hook passes $PARTITIONS_TABLE_CSV). */
  partitions?: string;
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
    if (psramCodeAddress === undefined)
      throw new BuildConfigError(`${where('custom_mm_psram_code_addr')} = ${opts.psramCodeAddr}: expected an address such as 0x42800000`);
  }
  let flashCodeAddress: number | undefined;
  if (opts.flashCodeAddr !== undefined) {
    flashCodeAddress = parseAddress(opts.flashCodeAddr);
    if (flashCodeAddress === undefined)
      throw new BuildConfigError(`${where('custom_mm_flash_code_addr')} = ${opts.flashCodeAddr}: expected an address such as 0x42200000`);
  }
  const storage = opts.storage ?? DEFAULT_STORAGE;
  const buildDir = req.buildDir ?? buildOutputs(project, env).buildDir;
  const fragment = join(buildDir, FRAGMENT_FILE_NAME);
  const base = {
    project: project.dir,
    env,
    libs: opts.libs,
    chip: resolved?.chip,
    chipSource: resolved?.source,
    psramCodeAddress,
    flashCodeAddress,
    storage,
    deviceDir: opts.deviceDir,
    outDir: libraryOutDir(project, storage),
    buildDir,
    fragment,
    buildRecord: join(buildDir, BUILD_RECORD),
  };
  if (!opts.libs.length) return { ...base, slots: [], code: 'iram', data: 'dram', ctors: 'init_array', fragmentArgs: [], checkMapArgs: [] };
  let link;
  let flash: { table?: { path: string; table: Partition[] }; address?: number } = {};
  try {
    flash = flashPlacement(project, env, opts, req, buildDir, flashCodeAddress);
    link = validateLinkConfig({
      chip: resolved!.chip,
      libs: opts.libs,
      slots: opts.slots,
      code: opts.code,
      data: opts.data,
      ctors: opts.ctors,
      psramCodeAddress,
      flashCodeAddress: flash.address,
      largestAppPartition: flash.table && largestAppPartition(flash.table.table)?.size,
    });
  } catch (e) {
    if (e instanceof LinkConfigError) throw new BuildConfigError(`[env:${env}] of ${project.iniPath}: ${e.message}`);
    throw e;
  }
  const fragmentArgs = [
    'fragment',
    '--chip',
    link.chip,
    '--libs',
    link.libs.join(','),
    ...opts.slots.flatMap((s) => ['--slot', s]),
    '--code',
    link.code,
    '--data',
    link.data,
    '--ctors',
    link.ctors,
    ...(psramCodeAddress !== undefined ? ['--psram-code-addr', hex(psramCodeAddress)] : []),
    ...(flash.table ? ['--partitions', flash.table.path] : []),
    ...(flash.address !== undefined ? ['--flash-code-addr', hex(flash.address)] : []),
    '-o',
    fragment,
  ];
  const hasFlash = link.flashCodeAddress !== undefined;
  const checkMapArgs = hasFlash ? ['--chip', link.chip, ...(flash.table ? ['--partitions', flash.table.path] : [])] : [];
  return {
    ...base,
    slots: link.slots,
    code: link.code,
    data: link.data,
    ctors: link.ctors,
    ...(hasFlash ? { flashCodeAddress: link.flashCodeAddress, partitions: flash.table?.path } : {}),
    fragmentArgs,
    checkMapArgs,
  };
}

/**
 * With flash slots (§6a): the explicit start (custom_mm_flash_code_addr) and the partition
 * table that bounds the app's reach — the one the build gives, else the project's own.
 */
function flashPlacement(
  project: PlatformioProject,
  env: string,
  opts: MmOptions,
  req: BuildConfigRequest,
  buildDir: string,
  address?: number,
) {
  const { slots } = validateLinkNames({ libs: opts.libs, slots: opts.slots, code: opts.code });
  if (!slots.some(isFlashSlot)) return {};
  let table;
  if (req.partitions) {
    try {
      table = { path: req.partitions, table: parsePartitionFile(new Uint8Array(readFileSync(req.partitions)), req.partitions) };
    } catch (e) {
      if (e instanceof PartitionTableError || (e as NodeJS.ErrnoException).code)
        throw new BuildConfigError(`the partition table ${req.partitions} cannot be read: ${(e as Error).message}`);
      throw e;
    }
  } else table = findProjectPartitions(project, env, buildDir);
  return { table, address };
}

const hex = (n: number) => '0x' + n.toString(16).padStart(8, '0');

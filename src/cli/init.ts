import { STORAGE_KINDS, isStorage, splitLines, splitList } from '../core/conventions';
import { existsSync, readFileSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { recoverPendingCommits, writeFilesAtomically } from '../core/util/atomic';
import { IniError, chooseEnv, listEnvs, parseIni } from '../core/platformio/ini';
import {
  HOOK_SCRIPT,
  type IniLineRef,
  type InstallOptions,
  InstallOptionError,
  checkIniValue,
  installedOptions,
  integrationLeftovers,
  removeIntegration,
} from '../core/platformio/install';
import { installProjectIntegration, isOurScript } from '../core/platformio/integration';
import { MM_OPTIONS } from '../core/platformio/build-config';
import { PLATFORMIO_INI, loadProject } from '../core/platformio/project';
import { type DeviceRemoval, deviceSetupFolders, planDeviceRemoval } from '../core/platformio/device-setup';
import { LIBRARIES_HEADER } from '../core/platformio/registrations';
import { DEVICE_LIBRARY } from '../core/platformio/vendor';
import { type Command, InputError, UsageError } from './command';

export const initCommand: Command = {
  name: 'init',
  summary: 'install (or --uninstall) the PlatformIO build integration in a project',
  usage: `Usage: esp32mm init <projectDir> --env <env> --libs A,B --storage ${STORAGE_KINDS.join('|')} [options]
       esp32mm init <projectDir> --uninstall [--env <env>]

Adds to [env:<env>] of platformio.ini: extra_scripts = post:${HOOK_SCRIPT} (merged with
any existing extra_scripts) and the custom_mm_* options, inside a marked block, and writes
${HOOK_SCRIPT} next to platformio.ini. Every build of that environment then links the
libraries at fixed addresses and splits them out of firmware.elf before firmware.bin.
Running init again replaces the block; an option not given keeps the value the block
has (give it empty, e.g. --code=, to remove it), so --libs and --storage are needed only
the first time. --uninstall restores platformio.ini byte for byte and removes
${HOOK_SCRIPT}, lib/ESP32MemoryManager and include/mm_libraries.h when no environment uses
them any more and they are as init wrote them (else it keeps them and says which and why).

Options:
  --env <env>          the environment (default: default_envs, or the only one)
  --libs A,B           lib/ folders to make dynamic         [required the first time]
  --storage <kind>     sd | spiffs | littlefs: where the device reads the files
                       [required the first time]
  --slot <name>:A,B    libraries sharing one address range (repeatable);
                       <name>(flash):A,B makes it a flash slot
  --code iram|psram|flash  where code runs (flash: every slot executes in place) [iram]
  --data dram|psram    where data lives                                       [dram]
  --dir <path>         folder on the device filesystem                        [/mm]
  --chip <id>          override the board's MCU (esp32, esp32s3, s3, esp32-c3, …)
  --ctors init_array|ctors  the constructor table the toolchain emits [Xtensa: ctors, RISC-V: init_array]
  --psram-code-addr <hex>   execution address of PSRAM code (with --code psram, ESP32-S3)
  --flash-code-addr <hex>   where flash slots start in the instruction window
                            [above the largest app partition]
  --update-device-library  replace lib/ESP32MemoryManager when it is another version
  --uninstall          remove the integration
  -h, --help           show this help

It also vendors the device library into lib/ESP32MemoryManager (with esp32mm-version.json)
and writes include/mm_libraries.h: the MM_SLOT/MM_LIBRARY registrations and mm_lazy_<fn>
wrappers for the libraries' function prototypes.

With a flash slot it adds the library partition to the project's partition CSV
(board_build.partitions): "mmlib, data, 0x40, <offset>, 1M," after the last partition,
on a 64 KB boundary, smaller when less than 1 MB is left in the flash
(board_upload.flash_size). For the framework's default table, a table that is not a
file of the project, or when the flash size is not set, it prints the line to add.`,
  options: {
    env: { type: 'string' },
    libs: { type: 'string' },
    storage: { type: 'string' },
    slot: { type: 'string', multiple: true },
    code: { type: 'string' },
    data: { type: 'string' },
    dir: { type: 'string' },
    chip: { type: 'string' },
    ctors: { type: 'string' },
    'psram-code-addr': { type: 'string' },
    'flash-code-addr': { type: 'string' },
    uninstall: { type: 'boolean' },
    'update-device-library': { type: 'boolean' },
  },
  async run(positionals, values) {
    if (positionals.length !== 1) throw new UsageError(`expected one project folder, got ${positionals.length}\n\n${this.usage}`);
    const projectDir = resolve(positionals[0]);
    const iniPath = join(projectDir, PLATFORMIO_INI);
    if (!existsSync(iniPath)) throw new InputError(`${iniPath} not found: give the folder of a PlatformIO project`);
    // An init killed half-way (kill -9, power cut) is rolled back or forward before anything is read.
    await recoverPendingCommits(deviceSetupFolders(loadProject(projectDir)));
    const text = readFileSync(iniPath, 'utf8');
    const scriptPath = join(projectDir, HOOK_SCRIPT);
    try {
      if (values.uninstall) return await uninstall(text, iniPath, scriptPath, values.env as string | undefined);
      return await install(text, iniPath, scriptPath, values);
    } catch (e) {
      // What was asked for is bad usage; a platformio.ini that cannot be read or edited is bad input.
      if (e instanceof InstallOptionError) throw new UsageError(e.message);
      if (e instanceof IniError) throw new InputError(`${iniPath}: ${e.message}`);
      throw e;
    }
  },
};

async function install(text: string, iniPath: string, scriptPath: string, values: Record<string, unknown>): Promise<number> {
  const env = envToUse(text, values.env as string | undefined);
  const { options: opts, adopted } = chosenOptions(values, installedOptions(text, env));
  if (!opts.libs.length) throw new UsageError(`--libs A,B is required ([env:${env}] has no esp32mm block to keep them from)`);
  if (!isStorage(opts.storage)) {
    throw new UsageError(
      opts.storage
        ? `--storage ${opts.storage}: use ${STORAGE_KINDS.join(', ')}`
        : `--storage ${STORAGE_KINDS.join('|')} is required ([env:${env}] has no esp32mm block to keep it from)`,
    );
  }
  const r = await installProjectIntegration(dirname(iniPath), {
    env,
    ...opts,
    storage: opts.storage,
    updateDeviceLibrary: values['update-device-library'] === true,
  });
  for (const w of r.warnings) console.error(`warning: ${w}`);
  warnKept(iniPath, r.kept);
  console.log(`Installed the build integration in [env:${env}] of ${iniPath}`);
  if (adopted.length)
    console.log(`Kept from the existing esp32mm block: ${adopted.join('; ')} (give an option empty, e.g. --code=, to remove it)`);
  console.log(`Wrote ${scriptPath}; build with \`pio run -e ${env}\``);
  for (const m of r.device.messages) console.log(m.replace('install again with the update', 'run init again with --update-device-library'));
  if (r.partition?.write) console.log(r.partition.messages.join('\n'));
  else if (r.partition?.messages.length) console.error(`warning: ${r.partition.messages.join('\n')}`);
  return 0;
}

type ChosenOptions = Omit<InstallOptions, 'env' | 'storage'> & { storage?: string; slots: string[] };

/**
 * Every option the build reads (MM_OPTIONS): the one given on the command line, else the
 * value the environment's esp32mm block already has (a second init keeps what the first
 * wrote), else none. An option given empty (`--code=`) is removed.
 */
function chosenOptions(values: Record<string, unknown>, installed: Map<string, string>): { options: ChosenOptions; adopted: string[] } {
  const adopted: string[] = [];
  const pick = (option: string, flag: string): string | undefined => {
    const given = values[flag];
    // Checked before it is split: a line break must be refused, not read as a separator.
    for (const v of typeof given === 'string' ? [given] : Array.isArray(given) ? given : []) checkIniValue(option, String(v));
    if (typeof given === 'string') return given.trim() || undefined;
    if (Array.isArray(given) && given.length) return given.join('\n');
    const kept = installed.get(option);
    if (kept !== undefined && kept !== '') adopted.push(`${option} = ${kept.split('\n').join(', ')}`);
    return kept || undefined;
  };
  const raw = Object.fromEntries(MM_OPTIONS.map((m) => [m.option, pick(m.option, m.flag)]));
  const slotsGiven = Array.isArray(values.slot) && values.slot.length > 0;
  const slotText = raw.custom_mm_slots;
  return {
    adopted,
    options: {
      libs: splitList(raw.custom_mm_libs ?? ''),
      slots: slotText === undefined ? [] : slotsGiven ? splitLines(slotText).map(slotToIni) : splitLines(slotText),
      chip: raw.custom_mm_chip,
      code: raw.custom_mm_code,
      data: raw.custom_mm_data,
      ctors: raw.custom_mm_ctors,
      psramCodeAddr: raw.custom_mm_psram_code_addr,
      flashCodeAddr: raw.custom_mm_flash_code_addr,
      storage: raw.custom_mm_storage,
      dir: raw.custom_mm_dir,
    },
  };
}

/** The environment named with --env (or the default one); a wrong name is bad usage. */
function envToUse(text: string, requested?: string): string {
  const doc = parseIni(text);
  try {
    return chooseEnv(doc, requested);
  } catch (e) {
    if (e instanceof IniError && listEnvs(doc).length) throw new UsageError(e.message);
    throw e;
  }
}

async function uninstall(text: string, iniPath: string, scriptPath: string, env?: string): Promise<number> {
  if (env !== undefined) envToUse(text, env);
  const { text: restored, kept } = removeIntegration(text, env);
  const left = integrationLeftovers(restored, env);
  if (restored === text && left.length) {
    // The block's markers were edited away: saying "nothing to remove" would leave the hook running unnoticed.
    throw new InputError(
      `${iniPath} has no esp32mm block${env ? ` in [env:${env}]` : ''}, but these lines still install the build integration:\n${lineList(left)}\n` +
        'Remove them by hand (they are outside the block init writes, so init does not know they are its own).',
    );
  }
  const stillUsed = restored.includes(`post:${HOOK_SCRIPT}`);
  // Read before the block goes: the header is compared with what init writes for its environment.
  const device = stillUsed || restored === text ? undefined : planDeviceRemoval(loadProject(dirname(iniPath)));
  if (restored !== text) await writeFilesAtomically([{ path: iniPath, data: restored }]);
  if (existsSync(scriptPath) && isOurScript(readFileSync(scriptPath, 'utf8')) && !stillUsed) await rm(scriptPath);
  if (device) await removeDeviceFiles(device);
  warnKept(iniPath, kept);
  if (left.length) console.error(`warning: ${iniPath} still installs the build integration outside the esp32mm block:\n${lineList(left)}`);
  console.log(restored === text ? `Nothing to remove in ${iniPath}` : `Removed the build integration from ${iniPath}`);
  return 0;
}

/** The vendored library and mm_libraries.h as Install wrote them go; anything else stays, and is named. */
async function removeDeviceFiles(device: DeviceRemoval): Promise<void> {
  await Promise.all(device.remove.map((p) => rm(p, { force: true })));
  for (const folder of device.folders) {
    try {
      await rmdir(folder);
    } catch {
      // not empty (a file someone put there) or already gone: it stays
    }
  }
  if (device.remove.length)
    console.log(
      `Removed what init vendored: ${device.remove.length} file${device.remove.length === 1 ? '' : 's'} (lib/${DEVICE_LIBRARY}, include/${LIBRARIES_HEADER} where they were as init wrote them)`,
    );
  for (const k of device.kept) console.error(`warning: kept ${k.path}: ${k.why}; delete it yourself if it is no longer needed`);
}

function lineList(lines: IniLineRef[]): string {
  return lines.map((l) => `  line ${l.line}: ${l.text.trim()}`).join('\n');
}

/** Lines someone wrote inside our block are left in place, and said so. */
function warnKept(iniPath: string, kept: IniLineRef[]): void {
  if (!kept.length) return;
  console.error(
    `warning: ${iniPath}: ${kept.length === 1 ? 'this line was' : 'these lines were'} added inside the esp32mm block, so ${kept.length === 1 ? 'it is' : 'they are'} not esp32mm's and stayed:\n${lineList(kept)}`,
  );
}

/** `--slot ai:A,B` → `ai: A B`, the form custom_mm_slots uses. */
function slotToIni(spec: string): string {
  const colon = spec.indexOf(':');
  if (colon < 0) throw new UsageError(`--slot ${spec}: write it as <name>:A,B`);
  return `${spec.slice(0, colon).trim()}: ${splitList(spec.slice(colon + 1)).join(' ')}`;
}

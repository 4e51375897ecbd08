import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { recoverPendingCommits, writeFilesAtomically } from '../core/util/atomic';
import { IniError, chooseEnv, listEnvs, parseIni } from '../core/platformio/ini';
import { HOOK_SCRIPT, type IniLineRef, InstallOptionError, integrationLeftovers, removeIntegration } from '../core/platformio/install';
import { installProjectIntegration, isOurScript } from '../core/platformio/integration';
import { PLATFORMIO_INI, loadProject } from '../core/platformio/project';
import { deviceSetupFolders } from '../core/platformio/device-setup';
import { type Command, InputError, UsageError } from './command';

export const initCommand: Command = {
  name: 'init',
  summary: 'install (or --uninstall) the PlatformIO build integration in a project',
  usage: `Usage: esp32mm init <projectDir> --env <env> --libs A,B --storage sd|spiffs|littlefs [options]
       esp32mm init <projectDir> --uninstall [--env <env>]

Adds to [env:<env>] of platformio.ini: extra_scripts = post:${HOOK_SCRIPT} (merged with
any existing extra_scripts) and the custom_mm_* options, inside a marked block, and writes
${HOOK_SCRIPT} next to platformio.ini. Every build of that environment then links the
libraries at fixed addresses and splits them out of firmware.elf before firmware.bin.
Running init again replaces the block. --uninstall restores platformio.ini byte for byte
and removes ${HOOK_SCRIPT}.

Options:
  --env <env>          the environment (default: default_envs, or the only one)
  --libs A,B           lib/ folders to make dynamic                          [required]
  --storage <kind>     sd | spiffs | littlefs: where the device reads the files [required]
  --slot <name>:A,B    libraries sharing one address range (repeatable);
                       <name>(flash):A,B makes it a flash slot
  --code iram|psram|flash  where code runs (flash: every slot executes in place) [iram]
  --data dram|psram    where data lives                                       [dram]
  --dir <path>         folder on the device filesystem                        [/mm]
  --chip <id>          override the board's MCU (esp32, esp32s3, esp32c3, …)
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
  if (typeof values.libs !== 'string') throw new UsageError('--libs A,B is required');
  const storage = values.storage;
  if (storage !== 'sd' && storage !== 'spiffs' && storage !== 'littlefs') throw new UsageError('--storage sd|spiffs|littlefs is required');
  const env = envToUse(text, values.env as string | undefined);
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const r = await installProjectIntegration(dirname(iniPath), {
    env,
    libs: values.libs.split(',').map((s) => s.trim()).filter(Boolean),
    storage,
    slots: ((values.slot as string[] | undefined) ?? []).map(slotToIni),
    code: str('code'),
    data: str('data'),
    dir: str('dir'),
    chip: str('chip'),
    updateDeviceLibrary: values['update-device-library'] === true,
  });
  for (const w of r.warnings) console.error(`warning: ${w}`);
  warnKept(iniPath, r.kept);
  console.log(`Installed the build integration in [env:${env}] of ${iniPath}`);
  console.log(`Wrote ${scriptPath}; build with \`pio run -e ${env}\``);
  for (const m of r.device.messages) console.log(m.replace('install again with the update', 'run init again with --update-device-library'));
  if (r.partition?.write) console.log(r.partition.messages.join('\n'));
  else if (r.partition?.messages.length) console.error(`warning: ${r.partition.messages.join('\n')}`);
  return 0;
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
    throw new InputError(`${iniPath} has no esp32mm block${env ? ` in [env:${env}]` : ''}, but these lines still install the build integration:\n${lineList(left)}\n` +
      'Remove them by hand (they are outside the block init writes, so init does not know they are its own).');
  }
  if (restored !== text) await writeFilesAtomically([{ path: iniPath, data: restored }]);
  const stillUsed = restored.includes(`post:${HOOK_SCRIPT}`);
  if (existsSync(scriptPath) && isOurScript(readFileSync(scriptPath, 'utf8')) && !stillUsed) await rm(scriptPath);
  warnKept(iniPath, kept);
  if (left.length) console.error(`warning: ${iniPath} still installs the build integration outside the esp32mm block:\n${lineList(left)}`);
  console.log(restored === text ? `Nothing to remove in ${iniPath}` : `Removed the build integration from ${iniPath}`);
  return 0;
}

function lineList(lines: IniLineRef[]): string {
  return lines.map((l) => `  line ${l.line}: ${l.text.trim()}`).join('\n');
}

/** Lines someone wrote inside our block are left in place, and said so. */
function warnKept(iniPath: string, kept: IniLineRef[]): void {
  if (!kept.length) return;
  console.error(`warning: ${iniPath}: ${kept.length === 1 ? 'this line was' : 'these lines were'} added inside the esp32mm block, so ${kept.length === 1 ? 'it is' : 'they are'} not esp32mm's and stayed:\n${lineList(kept)}`);
}

/** `--slot ai:A,B` → `ai: A B`, the form custom_mm_slots uses. */
function slotToIni(spec: string): string {
  const colon = spec.indexOf(':');
  if (colon < 0) throw new UsageError(`--slot ${spec}: write it as <name>:A,B`);
  return `${spec.slice(0, colon).trim()}: ${spec.slice(colon + 1).split(/[\s,]+/).filter(Boolean).join(' ')}`;
}

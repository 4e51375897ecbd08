import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { recoverPendingCommits, writeFilesAtomically } from '../core/util/atomic';
import { IniError, chooseEnv, envOption, listEnvs, parseIni, platformioOption } from '../core/platformio/ini';
import { HOOK_SCRIPT, type IniLineRef, InstallOptionError, installIntegration, integrationLeftovers, removeIntegration } from '../core/platformio/install';
import { PLATFORMIO_INI, loadProject } from '../core/platformio/project';
import { deviceSetupFolders, planDeviceSetup } from '../core/platformio/device-setup';
import { partitionCsvPath, setUpLibraryPartition } from '../core/platformio/library-partition';
import { validateLinkNames } from '../core/link/config';
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
  if (existsSync(scriptPath) && !isOurScript(readFileSync(scriptPath, 'utf8'))) {
    throw new UsageError(`${scriptPath} exists and was not written by esp32mm: rename it, then run init again`);
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const updated = installIntegration(text, {
    env,
    libs: values.libs.split(',').map((s) => s.trim()).filter(Boolean),
    storage,
    slots: ((values.slot as string[] | undefined) ?? []).map(slotToIni),
    code: str('code'),
    data: str('data'),
    dir: str('dir'),
    chip: str('chip'),
  });
  for (const w of installWarnings(iniPath, env, values.libs.split(',').map((l) => l.trim()).filter(Boolean))) console.error(`warning: ${w}`);
  warnKept(iniPath, removeIntegration(text, env).kept);
  const libs = values.libs.split(',').map((s) => s.trim()).filter(Boolean);
  const device = planDeviceSetup(loadProject(dirname(iniPath)), {
    env, libs, storage, slots: ((values.slot as string[] | undefined) ?? []).map(slotToIni), deviceDir: str('dir') ?? '/mm', updateLibrary: values['update-device-library'] === true,
  });
  const flashSlots = validateLinkNames({ libs, slots: ((values.slot as string[] | undefined) ?? []).map(slotToIni), code: str('code') }).slots.some((s) => s.code === 'flash');
  const project = loadProject(dirname(iniPath));
  const csv = flashSlots ? partitionCsvPath(project, env) : undefined;
  if (csv) await recoverPendingCommits([dirname(csv)]); // an init killed while writing the CSV
  const partition = flashSlots ? setUpLibraryPartition(project, env) : { messages: [] };
  // The script first: platformio.ini must never name a script that is not there.
  await writeFilesAtomically([...device.write, ...(partition.write ? [partition.write] : []), { path: scriptPath, data: hookScriptText() }, { path: iniPath, data: updated }]);
  await Promise.all(device.remove.map((p) => rm(p, { force: true })));
  console.log(`Installed the build integration in [env:${env}] of ${iniPath}`);
  console.log(`Wrote ${scriptPath}; build with \`pio run -e ${env}\``);
  for (const m of device.messages) console.log(m.replace('install again with the update', 'run init again with --update-device-library'));
  if (partition.write) console.log(partition.messages.join('\n'));
  else if (partition.messages.length) console.error(`warning: ${partition.messages.join('\n')}`);
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

/** Things that make the build integration silently ineffective, found before the first build. */
function installWarnings(iniPath: string, env: string, libs: string[]): string[] {
  const project = loadProject(dirname(iniPath));
  const warnings: string[] = [];
  if (envOption(project.doc, env, 'lib_archive')?.trim() === 'no') {
    warnings.push(`[env:${env}] sets lib_archive = no: libraries are then linked as loose objects and the linker rules (which select lib<Name>.a) cannot move them; remove that line`);
  }
  const libDir = join(project.dir, platformioOption(project.doc, 'lib_dir') ?? 'lib');
  for (const lib of libs) {
    if (!existsSync(join(libDir, lib))) warnings.push(`no folder ${join(libDir, lib)}: the library must be built as lib${lib}.a (a lib/ folder of that exact name)`);
  }
  return warnings;
}

/** `--slot ai:A,B` → `ai: A B`, the form custom_mm_slots uses. */
function slotToIni(spec: string): string {
  const colon = spec.indexOf(':');
  if (colon < 0) throw new UsageError(`--slot ${spec}: write it as <name>:A,B`);
  return `${spec.slice(0, colon).trim()}: ${spec.slice(colon + 1).split(/[\s,]+/).filter(Boolean).join(' ')}`;
}

const MARKER = 'esp32mm-managed';

function isOurScript(text: string): boolean {
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
  return template.replace(/^INSTALLED_CLI = None .*$/m, () => `INSTALLED_CLI = ${pythonString(cli)}  # set by \`esp32mm init\``);
}

function pythonString(s: string): string {
  return JSON.stringify(s); // a JSON string is a valid Python string literal for paths
}

/** firmware/extra_script/memory_manager.py beside dist/ (package, VSIX) or src/cli (tests). */
export function findHookTemplate(): string {
  const candidates = [
    process.env.ESP32MM_HOOK_TEMPLATE,
    join(__dirname, '..', 'firmware', 'extra_script', HOOK_SCRIPT),
    join(__dirname, '..', '..', 'firmware', 'extra_script', HOOK_SCRIPT),
    join(dirname(process.argv[1] ?? '.'), '..', 'firmware', 'extra_script', HOOK_SCRIPT),
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new InputError(`cannot find ${HOOK_SCRIPT} (looked in ${candidates.join(', ')}): reinstall esp32mm`);
  return found;
}

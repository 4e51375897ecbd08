import { BuildConfigError, resolveBuildConfig, type BuildConfig } from '../core/platformio/build-config';
import { frameworkOf, readBuildSdkconfig } from '../core/platformio/doctor-inputs';
import { envChip } from '../core/platformio/env-chip';
import { IniError, chooseEnv } from '../core/platformio/ini';
import { buildOutputs, loadProject } from '../core/platformio/project';
import { sdkconfigTarget } from '../core/platformio/sdkconfig';
import { type Command, InputError, UsageError } from './command';

export const configCommand: Command = {
  name: 'config',
  summary: "print an environment's resolved Memory Manager configuration (what the build hook acts on)",
  usage: `Usage: esp32mm config <project> [--env <env>] [--mcu <id>] [--build-dir <dir>] [--partitions <table>] [--json]

Reads the custom_mm_* options of one environment of platformio.ini (with [env] and extends
resolved) and prints what a build does with them: the chip (custom_mm_chip, else
board_build.mcu, else the board's MCU, else the board id, else the build's sdkconfig), the
libraries and their slots, where code and data go, the constructor table, the PSRAM code
address, the storage and device folder, the folder the split writes into, and the linker
fragment with the \`esp32mm fragment\` arguments that write it. The build hook runs
\`esp32mm config --json\` once per build and reads nothing of platformio.ini itself.

Exit code 1 when an option is wrong (the message names it and says what to write).

Options:
  --env <env>          the environment (default: default_envs, or the only one)
  --mcu <id>           the board's MCU as PlatformIO reports it (the hook passes build.mcu)
  --build-dir <dir>    the environment's build folder (default: .pio/build/<env>)
  --partitions <table> the partition table the build uses (CSV or partitions.bin; the hook
                       passes it): with flash slots it bounds the app's reach
                       [board_build.partitions, else the build's partitions.bin]
  --json               print JSON
  -h, --help           show this help`,
  options: {
    env: { type: 'string' },
    mcu: { type: 'string' },
    'build-dir': { type: 'string' },
    partitions: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(positionals, values) {
    if (positionals.length !== 1) throw new UsageError(`give one project folder (the one with platformio.ini)\n\n${this.usage}`);
    const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
    const project = loadProject(positionals[0]);
    try {
      const env = chooseEnv(project.doc, str('env'));
      const mcu = str('mcu');
      // The sdkconfig is read only when nothing in platformio.ini names the chip.
      let target: string | undefined;
      if (!envChip(project, env, { mcu })) {
        const sdkconfig = await readBuildSdkconfig(
          undefined,
          str('build-dir') ?? buildOutputs(project, env).buildDir,
          frameworkOf(project, env),
        );
        target = sdkconfig && sdkconfigTarget(sdkconfig.config);
      }
      const config = resolveBuildConfig(project, {
        env,
        mcu,
        sdkconfigTarget: target,
        buildDir: str('build-dir'),
        partitions: str('partitions'),
      });
      console.log(values.json ? JSON.stringify(config, null, 2) : formatConfig(config));
      return 0;
    } catch (e) {
      if (e instanceof BuildConfigError) throw new InputError(e.message);
      if (e instanceof IniError) throw new InputError(`${project.iniPath}: ${e.message}`);
      throw e;
    }
  },
};

function formatConfig(c: BuildConfig): string {
  const lines = [`[env:${c.env}] of ${c.project}`];
  if (!c.libs.length)
    return [...lines, '  no dynamic libraries (custom_mm_libs is empty or not set): a build does nothing more'].join('\n');
  lines.push(
    `  chip:         ${c.chip} (from ${c.chipSource})`,
    `  libraries:    ${c.libs.join(', ')}`,
    ...c.slots.map((s) => `  slot ${s.name}: ${s.libs.join(', ')}`),
    `  code, data:   ${c.code}, ${c.data}${c.psramCodeAddress !== undefined ? ` (PSRAM code at 0x${c.psramCodeAddress.toString(16)})` : ''}`,
    `  constructors: ${c.ctors}`,
    `  storage:      ${c.storage}, device folder ${c.deviceDir}`,
    `  split into:   ${c.outDir}`,
    `  fragment:     ${c.fragment}`,
  );
  return lines.join('\n');
}

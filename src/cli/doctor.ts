import { doctorErrors, type DoctorReport } from '../core/doctor';
import { diagnoseProject, type DoctorResult } from '../core/platformio/doctor-inputs';
import { type Command, EXIT, UsageError } from './command';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check a PlatformIO environment for what would stop its dynamic libraries on the board',
  usage: `Usage: esp32mm doctor <project> [--env <env>] [--sdkconfig <file>] [--elf <firmware.elf>] [--map <file>] [--json]

Checks one environment of a PlatformIO project (its custom_mm_* options, the build's
sdkconfig and, once built, its firmware.elf and map) for what makes loading fail although
the build succeeds:
  memory-protection  ESP-IDF's memory protection or PMP IRAM/DRAM split is on: IRAM cannot
                     be written after boot (CONFIG_ESP_SYSTEM_MEMPROT_FEATURE,
                     CONFIG_ESP_SYSTEM_PMP_IDRAM_SPLIT)
  psram              code asked in PSRAM on a chip that cannot run it there; PSRAM asked
                     but not enabled by the build
  slot-fit           a slot reaches past the end of its region
  resident-library   ESP-IDF's own rules keep the library in internal RAM
Each finding says what to change (sdkconfig.defaults / menuconfig for ESP-IDF; for
Arduino's precompiled SDK, what still works). The build hook runs it after every link.

The sdkconfig: --sdkconfig (sdkconfig or sdkconfig.h, told apart by content), else
.pio/build/<env>/config/sdkconfig.h, else sdkconfig.<env> or sdkconfig in the project.
Arduino's precompiled sdkconfig.h is found by the build hook through the include paths.

Exit code 1 when a check finds an error, else 0.

Options:
  --env <env>          the environment (default: default_envs, or the only one)
  --sdkconfig <file>   the build's sdkconfig or sdkconfig.h
  --elf <file>         the linked firmware (default: .pio/build/<env>/firmware.elf)
  --map <file>         its linker map (default: found beside the ELF)
  --json               print the report as JSON
  -h, --help           show this help`,
  options: {
    env: { type: 'string' },
    sdkconfig: { type: 'string' },
    elf: { type: 'string' },
    map: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(positionals, values) {
    if (positionals.length !== 1) throw new UsageError(`give one project folder (the one with platformio.ini)\n\n${this.usage}`);
    const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
    const result = await diagnoseProject({
      projectDir: positionals[0],
      env: str('env'),
      sdkconfig: str('sdkconfig'),
      elf: str('elf'),
      map: str('map'),
    });
    console.log(values.json ? JSON.stringify({ ...result.report, inputs: result.inputs }, null, 2) : formatDoctor(result));
    return doctorErrors(result.report).length ? EXIT.badInput : EXIT.ok;
  },
};

export function formatDoctor({ report, inputs }: DoctorResult): string {
  const out = [`esp32mm doctor: [env:${report.env}], ${report.chip}, framework ${report.framework}`];
  out.push(
    `  sdkconfig: ${inputs.sdkconfig ?? 'none'}`,
    `  firmware: ${inputs.elf ?? (inputs.map ? `map ${inputs.map}` : 'not built yet')}`,
  );
  for (const f of report.findings) out.push('', `${f.severity}: ${f.message}`, `  fix: ${f.fix}`);
  out.push(
    '',
    ...report.checked.map((c) => `checked ${c.check}: ${c.detail}`),
    ...report.notChecked.map((c) => `not checked ${c.check}: ${c.why}`),
  );
  out.push('', summary(report));
  return out.join('\n');
}

function summary(report: DoctorReport): string {
  const errors = doctorErrors(report).length;
  const others = report.findings.length - errors;
  if (!report.findings.length) return 'no problems found';
  return `${errors} error${errors === 1 ? '' : 's'}${others ? `, ${others} warning${others === 1 ? '' : 's'} or notes` : ''}`;
}

// The build-time doctor: what would make the dynamic libraries of a PlatformIO environment
// fail on the board although the build succeeds. Pure: it reads parsed inputs (the
// environment's options, the build's sdkconfig, the memory-map model, the link-map check's
// warnings) and says, per finding, what is wrong and what to change in the project. The CLI
// (`esp32mm doctor`), the build hook (which stops on errors) and the extension show it.
//
// Checks:
//  - memory protection: ESP-IDF's memory protection (S2/S3/C3, `…_MEMPROT_FEATURE`) or the
//    PMP IRAM/DRAM split (C2/C6/H2, `CONFIG_ESP_SYSTEM_PMP_IDRAM_SPLIT`) makes IRAM
//    unwritable after boot: the first load of a library with code faults (docs/design.md §6);
//  - PSRAM: code asked in PSRAM on a chip that cannot run it there, PSRAM asked without the
//    build enabling it;
//  - slot fit: a slot that reaches past the end of its region (the link's own size);
//  - resident libraries: ESP-IDF's own rules keep the archive in internal RAM (the link-map
//    check reads them from the map; its `framework-rule` warnings are used as they are).
import { CHIPS, type ChipId } from './chips/chips';
import type { LinkWarning } from './link/mapcheck';
import type { MemoryMapModel, SlotEntry } from './memmap/model';
import { sdkconfigEnabled } from './platformio/sdkconfig-header';
import type { Sdkconfig } from './platformio/sdkconfig';

export type DoctorSeverity = 'error' | 'warning' | 'note';
export type DoctorCheck = 'memory-protection' | 'psram' | 'slot-fit' | 'resident-library';

/**
 * `espidf`: the build compiles ESP-IDF from source (`framework = espidf`, or Arduino as an
 * ESP-IDF component), so its sdkconfig can change; `arduino`: the Arduino core's precompiled
 * SDK, whose configuration is fixed.
 */
export type Framework = 'espidf' | 'arduino';

export interface DoctorInput {
  /** The PlatformIO environment (`esp32cam` of `[env:esp32cam]`). */
  env: string;
  chip: ChipId;
  framework: Framework;
  libs: string[];
  code: 'iram' | 'psram' | 'flash';
  data: 'dram' | 'psram';
  /** The build's configuration and where it was read from (a path, for the messages). */
  sdkconfig?: { config: Sdkconfig; source: string };
  /** Why there is no sdkconfig, when there is none. */
  sdkconfigProblem?: string;
  /** The memory map of the linked firmware (ELF or map alone). */
  model?: MemoryMapModel;
  /** The link-map check's warnings for the same libraries (src/core/link/mapcheck.ts). */
  linkWarnings?: LinkWarning[];
}

export interface DoctorFinding {
  check: DoctorCheck;
  severity: DoctorSeverity;
  /** What is wrong, with the numbers and the option that causes it. */
  message: string;
  /** What to change, in the project's terms (platformio.ini, sdkconfig.defaults, menuconfig). */
  fix: string;
  /** The configuration option the finding is about (`CONFIG_…`, `custom_mm_code`). */
  option?: string;
  lib?: string;
  slot?: string;
}

export interface DoctorReport {
  env: string;
  chip: ChipId;
  framework: Framework;
  findings: DoctorFinding[];
  /** Each check that ran, with what it looked at. */
  checked: { check: DoctorCheck; detail: string }[];
  /** Each check that could not run, and why (never silently skipped). */
  notChecked: { check: DoctorCheck; why: string }[];
}

export function runDoctor(input: DoctorInput): DoctorReport {
  const report: DoctorReport = { env: input.env, chip: input.chip, framework: input.framework, findings: [], checked: [], notChecked: [] };
  if (!input.libs.length) {
    const checks: DoctorCheck[] = ['memory-protection', 'psram', 'slot-fit', 'resident-library'];
    report.notChecked.push(
      ...checks.map((check) => ({ check, why: 'the environment has no dynamic libraries (custom_mm_libs is empty)' })),
    );
    return report;
  }
  checkMemoryProtection(input, report);
  checkPsram(input, report);
  checkSlotFit(input, report);
  checkResidentLibraries(input, report);
  return report;
}

export function doctorErrors(report: DoctorReport): DoctorFinding[] {
  return report.findings.filter((f) => f.severity === 'error');
}

// ---- memory protection ----------------------------------------------------------------

interface Protection {
  option: string;
  lock?: string;
  what: string;
  /** Where menuconfig shows it (ESP-IDF 5.x), when known. */
  menu?: string;
}

const MEMORY_MENU = 'Component config → ESP System Settings → Memory protection';

/** The names ESP-IDF has used; 4.x had one per chip before ESP_SYSTEM_MEMPROT_FEATURE. */
const MEMPROT: Protection[] = [
  {
    option: 'CONFIG_ESP_SYSTEM_MEMPROT_FEATURE',
    lock: 'CONFIG_ESP_SYSTEM_MEMPROT_FEATURE_LOCK',
    what: 'memory protection',
    menu: `${MEMORY_MENU} → Enable memory protection`,
  },
  ...['ESP32S2', 'ESP32S3', 'ESP32C3'].map((c) => ({
    option: `CONFIG_${c}_MEMPROT_FEATURE`,
    lock: `CONFIG_${c}_MEMPROT_FEATURE_LOCK`,
    what: 'memory protection',
  })),
];
const PMP_SPLIT: Protection = {
  option: 'CONFIG_ESP_SYSTEM_PMP_IDRAM_SPLIT',
  what: 'the PMP IRAM/DRAM split',
  menu: `${MEMORY_MENU} → Enable IRAM/DRAM split protection`,
};

function checkMemoryProtection(input: DoctorInput, report: DoctorReport): void {
  const check = 'memory-protection';
  if (input.code === 'flash') {
    report.checked.push({ check, detail: 'code executes in place from flash (flash slots): nothing is written into IRAM' });
    return;
  }
  if (input.code !== 'iram') {
    report.checked.push({ check, detail: 'code goes to PSRAM, outside the protected internal RAM' });
    return;
  }
  // Flash slots map flash pages instead of writing IRAM.
  if (input.model && !slotsHaveCode(input.model.slots.filter((s) => !s.flash))) {
    report.checked.push({ check, detail: 'the libraries have no code (data only): protection of IRAM does not matter' });
    return;
  }
  if (!input.sdkconfig) {
    report.notChecked.push({ check, why: input.sdkconfigProblem ?? 'no sdkconfig of the build was found' });
    return;
  }
  const { config, source } = input.sdkconfig;
  const on = [
    MEMPROT.find((p) => sdkconfigEnabled(config, p.option)),
    sdkconfigEnabled(config, PMP_SPLIT.option) ? PMP_SPLIT : undefined,
  ].filter((p): p is Protection => p !== undefined);
  report.checked.push({ check, detail: `${[MEMPROT[0].option, PMP_SPLIT.option].join(', ')} in ${source}` });
  for (const p of on) report.findings.push(protectionFinding(input, p, config, source));
}

function slotsHaveCode(slots: SlotEntry[]): boolean {
  return slots.some((s) => s.ranges.some((r) => r.kind === 'text' && r.size > 0));
}

function protectionFinding(input: DoctorInput, p: Protection, config: Sdkconfig, source: string): DoctorFinding {
  const locked = p.lock !== undefined && sdkconfigEnabled(config, p.lock);
  const chip = CHIPS[input.chip].name;
  const message =
    `${chip}: ${p.what} is on (${p.option}=y${locked ? `, locked by ${p.lock}=y` : ''}, ${source}): ` +
    `after boot IRAM cannot be written, so loading ${list(input.libs)} faults at the first code write`;
  return {
    check: 'memory-protection',
    severity: 'error',
    option: p.option,
    message,
    fix: input.framework === 'espidf' ? espIdfFix(input, p) : arduinoFix(input, p, source),
  };
}

function espIdfFix(input: DoctorInput, p: Protection): string {
  const menu = p.menu ? `"${p.menu}"` : `${p.option.slice('CONFIG_'.length)} (press / to search)`;
  return (
    `turn ${p.option} off in this environment's ESP-IDF configuration: add the line "# ${p.option} is not set" to sdkconfig.defaults in the project folder ` +
    `(or to the file that board_build.cmake_extra_args = -DSDKCONFIG_DEFAULTS=… names in [env:${input.env}]) and delete sdkconfig.${input.env} so the next build makes it again from the defaults; ` +
    `or run \`pio run -e ${input.env} -t menuconfig\` and turn off ${menu}`
  );
}

function arduinoFix(input: DoctorInput, p: Protection, source: string): string {
  const psram =
    CHIPS[input.chip].psramCodeOffset !== undefined
      ? '; code in PSRAM (custom_mm_code = psram, on a board with PSRAM), which is outside the protected internal RAM'
      : '';
  return (
    `the Arduino core's ESP-IDF is precompiled with ${p.option}=y (${source}): platformio.ini cannot change it. ` +
    `What works with framework = arduino: libraries without code (data only; their _d files load into DRAM)${psram}. ` +
    `To load code into IRAM, build with framework = arduino, espidf (Arduino as an ESP-IDF component) and turn ${p.option} off in sdkconfig.defaults`
  );
}

// ---- PSRAM ---------------------------------------------------------------------------

const PSRAM_OPTIONS = ['CONFIG_SPIRAM', 'CONFIG_ESP32_SPIRAM_SUPPORT', 'CONFIG_ESP32S2_SPIRAM_SUPPORT', 'CONFIG_ESP32S3_SPIRAM_SUPPORT'];

function checkPsram(input: DoctorInput, report: DoctorReport): void {
  const check = 'psram';
  const chip = CHIPS[input.chip];
  if (input.code !== 'psram' && input.data !== 'psram') {
    report.checked.push({ check, detail: 'code in IRAM, data in DRAM: no PSRAM asked' });
    return;
  }
  report.checked.push({ check, detail: `custom_mm_code = ${input.code}, custom_mm_data = ${input.data} on the ${chip.name}` });
  if (input.code === 'psram' && chip.psramCodeOffset === undefined) report.findings.push(psramCodeFinding(input));
  if (input.data === 'psram' && !chip.regions.some((g) => g.name === 'PSRAM')) {
    report.findings.push({
      check,
      severity: 'error',
      option: 'custom_mm_data',
      message: `custom_mm_data = psram, but the ${chip.name} has no PSRAM`,
      fix: `set custom_mm_data = dram in [env:${input.env}]`,
    });
  }
  if (!input.sdkconfig) {
    report.notChecked.push({
      check,
      why: `whether the build enables PSRAM: ${input.sdkconfigProblem ?? 'no sdkconfig of the build was found'}`,
    });
    return;
  }
  const { config, source } = input.sdkconfig;
  if (!PSRAM_OPTIONS.some((o) => sdkconfigEnabled(config, o))) {
    report.findings.push({
      check,
      severity: 'error',
      option: 'CONFIG_SPIRAM',
      message: `the libraries' ${input.code === 'psram' ? 'code' : 'data'} goes to PSRAM, but the build does not enable PSRAM (CONFIG_SPIRAM is not set, ${source}): the addresses are not mapped and the first load faults`,
      fix:
        input.framework === 'espidf'
          ? `add CONFIG_SPIRAM=y to sdkconfig.defaults and delete sdkconfig.${input.env} (or turn on "Component config → ESP PSRAM → Support for external, SPI-connected RAM" in \`pio run -e ${input.env} -t menuconfig\`), or set custom_mm_code = iram and custom_mm_data = dram`
          : `set custom_mm_code = iram and custom_mm_data = dram in [env:${input.env}]: the Arduino core's precompiled SDK of this chip has no PSRAM support`,
    });
  }
}

function psramCodeFinding(input: DoctorInput): DoctorFinding {
  const chip = CHIPS[input.chip];
  const why = chip.psramExec
    ? `the ${chip.name} runs code from PSRAM only through a mapping the library cannot be linked for at a fixed address (only the ESP32-S3 can)`
    : `the ${chip.name} cannot execute code from PSRAM at all`;
  const data = chip.regions.some((g) => g.name === 'PSRAM') ? ' (custom_mm_data = psram can keep large data in PSRAM)' : '';
  return {
    check: 'psram',
    severity: 'error',
    option: 'custom_mm_code',
    message: `custom_mm_code = psram: ${why}`,
    fix: `set custom_mm_code = iram in [env:${input.env}]${data}`,
  };
}

// ---- slot fit ------------------------------------------------------------------------

function checkSlotFit(input: DoctorInput, report: DoctorReport): void {
  const check = 'slot-fit';
  const model = input.model;
  if (!model) {
    report.notChecked.push({ check, why: 'the firmware is not built yet (no firmware.elf or map)' });
    return;
  }
  report.checked.push({
    check,
    detail: `${model.slots.length} slot${model.slots.length === 1 ? '' : 's'} against the regions of the ${model.sectionsFrom === 'elf' ? 'ELF' : 'map'} (sizes: ${regionSources(model)})`,
  });
  for (const slot of model.slots) {
    for (const range of slot.ranges) {
      const region = model.regions.find((g) => g.name === range.region);
      if (!region) continue;
      const over = range.start + range.size - (region.start + region.size);
      if (over > 0) report.findings.push(slotFinding(input, model, slot, range, region, over));
    }
  }
}

function regionSources(model: MemoryMapModel): string {
  return [...new Set(model.regions.filter((g) => !g.flash).map((g) => `${g.name} ${g.sizeSource}`))].join(', ');
}

type Region = MemoryMapModel['regions'][number];

function slotFinding(
  input: DoctorInput,
  model: MemoryMapModel,
  slot: SlotEntry,
  range: SlotEntry['ranges'][number],
  region: Region,
  over: number,
): DoctorFinding {
  // What the region has from the slot's start to its end: everything before is the firmware's.
  const left = Math.max(0, range.size - over);
  const members = slot.libraries.length > 1 ? `the largest of ${list(slot.libraries)}` : slot.libraries[0];
  const message =
    `slot ${slot.name} (${members}) needs ${range.size} B of ${region.name} for its ${range.kind} at ${hex(range.start)}, ` +
    `${over} B more than the ${left} B the firmware leaves there (${region.name} is ${region.size} B, ${region.sizeSource})`;
  const share =
    model.slots.length > 1
      ? 'libraries that are never loaded at the same time can share one slot (custom_mm_slots = <slot>: A B reserves only the largest); '
      : '';
  const psram =
    range.kind === 'text' && CHIPS[input.chip].psramCodeOffset !== undefined ? 'put the code in PSRAM (custom_mm_code = psram); ' : '';
  const data =
    range.kind !== 'text' && CHIPS[input.chip].regions.some((g) => g.name === 'PSRAM')
      ? 'put the data in PSRAM (custom_mm_data = psram); '
      : '';
  return {
    check: 'slot-fit',
    severity: 'error',
    slot: slot.name,
    lib: slot.libraries[0],
    message,
    fix: `${share}${psram}${data}or make ${slot.libraries.length > 1 ? 'the largest library' : 'the library'} smaller, or keep one of ${list(slot.libraries)} in the firmware (remove it from custom_mm_libs in [env:${input.env}])`,
  };
}

// ---- libraries ESP-IDF keeps resident ----------------------------------------------------

/** The link-map check's kind for an archive that ESP-IDF's own rules place in internal RAM. */
const FRAMEWORK_RULE: string = 'framework-rule';

function checkResidentLibraries(input: DoctorInput, report: DoctorReport): void {
  const check = 'resident-library';
  if (!input.linkWarnings) {
    report.notChecked.push({ check, why: 'no link map of the build (it lists the rules ESP-IDF places in internal RAM)' });
    return;
  }
  report.checked.push({ check, detail: `ESP-IDF's placement rules in the link map, for ${list(input.libs)}` });
  for (const w of input.linkWarnings) {
    if (w.kind !== FRAMEWORK_RULE) continue;
    report.findings.push({
      check,
      severity: 'error',
      lib: w.lib,
      message: w.message,
      fix: `keep ${w.lib} in the firmware: remove it from custom_mm_libs in [env:${input.env}]`,
    });
  }
}

function list(names: string[]): string {
  return names.length <= 4 ? names.join(', ') : `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`;
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

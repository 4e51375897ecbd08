// The build-time doctor on crafted inputs: sdkconfig variants (text and sdkconfig.h form)
// for memory protection and the PMP split, PSRAM asked where the chip cannot give it, a slot
// past the end of IRAM (the bundled example's real link with a smaller iram0_0_seg), and the
// link-map check's framework-rule warnings taken over as they are.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctorErrors, runDoctor, type DoctorInput } from '../../src/core/doctor';
import { buildMemoryMap } from '../../src/core/memmap/model';
import { parseSdkconfig } from '../../src/core/platformio/sdkconfig';
import { isSdkconfigHeader, parseAnySdkconfig, parseSdkconfigHeader, sdkconfigEnabled } from '../../src/core/platformio/sdkconfig-header';
import type { LinkWarning } from '../../src/core/link/mapcheck';
import { REPO } from '../helpers/tools';

const base = (over: Partial<DoctorInput> = {}): DoctorInput => ({
  env: 'board',
  chip: 'esp32s3',
  framework: 'espidf',
  libs: ['TinyClassifier'],
  code: 'iram',
  data: 'dram',
  ...over,
});
const withConfig = (text: string, over: Partial<DoctorInput> = {}) =>
  base({ sdkconfig: { config: parseAnySdkconfig(text).config, source: 'sdkconfig.board' }, ...over });

const S3_MEMPROT_ON = [
  'CONFIG_IDF_TARGET="esp32s3"',
  'CONFIG_ESP_SYSTEM_MEMPROT_FEATURE=y',
  'CONFIG_ESP_SYSTEM_MEMPROT_FEATURE_LOCK=y',
].join('\n');
const S3_MEMPROT_OFF = ['CONFIG_IDF_TARGET="esp32s3"', '# CONFIG_ESP_SYSTEM_MEMPROT_FEATURE is not set'].join('\n');
// As Kconfig writes sdkconfig.h (the Arduino core ships such a file for the C3 with the lock on).
const C3_HEADER_ON = [
  '/*',
  ' * Automatically generated file. DO NOT EDIT.',
  ' * Espressif IoT Development Framework (ESP-IDF) Configuration Header',
  ' */',
  '#pragma once',
  '#define CONFIG_IDF_TARGET "esp32c3"',
  '#define CONFIG_IDF_TARGET_ESP32C3 1',
  '#define CONFIG_ESP_SYSTEM_MEMPROT_FEATURE 1',
  '#define CONFIG_ESP_SYSTEM_MEMPROT_FEATURE_LOCK 1',
  '#define CONFIG_FREERTOS_HZ 1000',
  '',
  '/* List of deprecated options */',
  '#define CONFIG_ESP32C3_MEMPROT_FEATURE CONFIG_ESP_SYSTEM_MEMPROT_FEATURE',
].join('\n');
const C3_HEADER_OFF = C3_HEADER_ON.split('\n')
  .filter((l) => !l.includes('MEMPROT'))
  .join('\n');

describe('sdkconfig.h reader', () => {
  it('reads bools as 1, strings unquoted, numbers as written, deprecated names through their alias', () => {
    const c = parseSdkconfigHeader(C3_HEADER_ON);
    expect(c.get('CONFIG_IDF_TARGET')).toBe('esp32c3');
    expect(c.get('CONFIG_FREERTOS_HZ')).toBe('1000');
    expect(c.get('CONFIG_ESP32C3_MEMPROT_FEATURE')).toBe('1');
    expect(sdkconfigEnabled(c, 'CONFIG_ESP_SYSTEM_MEMPROT_FEATURE')).toBe(true);
    expect(sdkconfigEnabled(parseSdkconfig(S3_MEMPROT_ON), 'CONFIG_ESP_SYSTEM_MEMPROT_FEATURE')).toBe(true);
    expect(sdkconfigEnabled(parseSdkconfig(S3_MEMPROT_OFF), 'CONFIG_ESP_SYSTEM_MEMPROT_FEATURE')).toBe(false);
  });

  it('tells the two forms apart by content', () => {
    expect(isSdkconfigHeader(C3_HEADER_ON)).toBe(true);
    expect(isSdkconfigHeader(S3_MEMPROT_ON)).toBe(false);
    expect(isSdkconfigHeader(readFileSync(join(REPO, 'examples/esp32cam-ai/tools/framework-sim/include/sdkconfig.h'), 'utf8'))).toBe(true);
  });

  it('an alias of an option that is off stays unset', () => {
    expect(
      parseSdkconfigHeader(C3_HEADER_OFF + '\n#define CONFIG_ESP32C3_MEMPROT_FEATURE CONFIG_ESP_SYSTEM_MEMPROT_FEATURE').has(
        'CONFIG_ESP32C3_MEMPROT_FEATURE',
      ),
    ).toBe(false);
  });
});

describe('memory protection', () => {
  it('S3 with memory protection on (ESP-IDF): an error naming the option, sdkconfig.defaults and menuconfig', () => {
    const r = runDoctor(withConfig(S3_MEMPROT_ON));
    const [f] = doctorErrors(r);
    expect(f.check).toBe('memory-protection');
    expect(f.option).toBe('CONFIG_ESP_SYSTEM_MEMPROT_FEATURE');
    expect(f.message).toContain('CONFIG_ESP_SYSTEM_MEMPROT_FEATURE=y, locked by CONFIG_ESP_SYSTEM_MEMPROT_FEATURE_LOCK=y');
    expect(f.fix).toContain('"# CONFIG_ESP_SYSTEM_MEMPROT_FEATURE is not set" to sdkconfig.defaults');
    expect(f.fix).toContain('board_build.cmake_extra_args');
    expect(f.fix).toContain('delete sdkconfig.board');
    expect(f.fix).toContain('pio run -e board -t menuconfig');
    expect(f.fix).toContain('Memory protection → Enable memory protection');
  });

  it('S3 with it off: silent', () => {
    const r = runDoctor(withConfig(S3_MEMPROT_OFF));
    expect(r.findings).toEqual([]);
    expect(r.checked.map((c) => c.check)).toContain('memory-protection');
  });

  it("C3 on Arduino's precompiled sdkconfig.h: an error that says the SDK cannot change and what still works", () => {
    const r = runDoctor(withConfig(C3_HEADER_ON, { chip: 'esp32c3', framework: 'arduino' }));
    const [f] = doctorErrors(r);
    expect(f.option).toBe('CONFIG_ESP_SYSTEM_MEMPROT_FEATURE');
    expect(f.message).toMatch(/^ESP32-C3: memory protection is on/);
    expect(f.fix).toContain('platformio.ini cannot change it');
    expect(f.fix).toContain('libraries without code (data only');
    expect(f.fix).toContain('framework = arduino, espidf');
    expect(f.fix).not.toContain('PSRAM'); // the C3 cannot run code from PSRAM
  });

  it('C3 sdkconfig.h with it off: silent', () => {
    expect(runDoctor(withConfig(C3_HEADER_OFF, { chip: 'esp32c3', framework: 'arduino' })).findings).toEqual([]);
  });

  it('the PMP IRAM/DRAM split on a C6: an error with its own menu entry', () => {
    const [f] = doctorErrors(
      runDoctor(withConfig('CONFIG_IDF_TARGET="esp32c6"\nCONFIG_ESP_SYSTEM_PMP_IDRAM_SPLIT=y', { chip: 'esp32c6' })),
    );
    expect(f.option).toBe('CONFIG_ESP_SYSTEM_PMP_IDRAM_SPLIT');
    expect(f.message).toContain('the PMP IRAM/DRAM split is on');
    expect(f.fix).toContain('Enable IRAM/DRAM split protection');
  });

  it('an ESP-IDF 4.x name (CONFIG_ESP32S2_MEMPROT_FEATURE) counts too, named as the build has it', () => {
    const [f] = doctorErrors(runDoctor(withConfig('CONFIG_ESP32S2_MEMPROT_FEATURE=y', { chip: 'esp32s2' })));
    expect(f.option).toBe('CONFIG_ESP32S2_MEMPROT_FEATURE');
    expect(f.fix).toContain('ESP32S2_MEMPROT_FEATURE (press / to search)');
  });

  it('code in flash slots is not written into IRAM, so memory protection does not stop it', () => {
    const r = runDoctor(withConfig(S3_MEMPROT_ON, { code: 'flash' }));
    expect(r.findings).toEqual([]);
    expect(r.checked).toContainEqual({
      check: 'memory-protection',
      detail: 'code executes in place from flash (flash slots): nothing is written into IRAM',
    });
  });

  it('code in PSRAM is not behind it; no sdkconfig is said, not passed over', () => {
    const psram = runDoctor(withConfig(S3_MEMPROT_ON + '\nCONFIG_SPIRAM=y', { code: 'psram' }));
    expect(psram.findings).toEqual([]);
    const none = runDoctor(base({ sdkconfigProblem: 'no sdkconfig here' }));
    expect(none.findings).toEqual([]);
    expect(none.notChecked).toContainEqual({ check: 'memory-protection', why: 'no sdkconfig here' });
  });
});

describe('PSRAM', () => {
  it.each(['esp32', 'esp32c3'] as const)('code in PSRAM on %s: the chip cannot execute it', (chip) => {
    const [f] = doctorErrors(runDoctor(withConfig('CONFIG_SPIRAM=y', { chip, code: 'psram' })));
    expect(f.option).toBe('custom_mm_code');
    expect(f.message).toContain('cannot execute code from PSRAM');
    expect(f.fix).toContain('custom_mm_code = iram in [env:board]');
  });

  it('code in PSRAM on the S2: runs there, but not at a fixed address', () => {
    const [f] = doctorErrors(runDoctor(withConfig('CONFIG_SPIRAM=y', { chip: 'esp32s2', code: 'psram' })));
    expect(f.message).toContain('only the ESP32-S3 can');
  });

  it('PSRAM asked but the build does not enable it; data in PSRAM on a chip without', () => {
    const [off] = doctorErrors(runDoctor(withConfig('# CONFIG_SPIRAM is not set', { code: 'psram' })));
    expect(off.option).toBe('CONFIG_SPIRAM');
    const [none] = doctorErrors(runDoctor(withConfig('', { chip: 'esp32c3', data: 'psram' })));
    expect(none.message).toContain('the ESP32-C3 has no PSRAM');
  });
});

describe('slot fit and resident libraries', () => {
  const dir = join(REPO, 'examples/esp32cam-ai/.pio/build/esp32cam');
  const elf = new Uint8Array(readFileSync(join(dir, 'firmware.elf')));
  const mapText = readFileSync(join(dir, 'firmware.map'), 'utf8');

  it("the example's slot fits its link: no finding", () => {
    const r = runDoctor(base({ chip: 'esp32', libs: ['TinyClassifier', 'ImageFilters'], model: buildMemoryMap({ elf, mapText }) }));
    expect(r.findings).toEqual([]);
    expect(r.checked.find((c) => c.check === 'slot-fit')?.detail).toContain('IRAM map:iram0_0_seg');
  });

  it('the same link with iram0_0_seg 1.5 KB long: the slot does not fit, with the bytes over and what to change', () => {
    const small = mapText.replace(/^(iram0_0_seg\s+0x40080000\s+)0x00020000/m, '$10x00000600');
    expect(small).not.toBe(mapText);
    const model = buildMemoryMap({ elf, mapText: small });
    const [f] = doctorErrors(runDoctor(base({ chip: 'esp32', libs: ['TinyClassifier', 'ImageFilters'], model })));
    const slot = model.slots[0];
    const text = slot.ranges.find((r) => r.kind === 'text')!;
    expect(f.check).toBe('slot-fit');
    expect(f.slot).toBe('ai');
    expect(f.message).toContain(`${text.size} B of IRAM for its text`);
    const over = text.start + text.size - (0x40080000 + 0x600);
    expect(f.message).toContain(
      `${over} B more than the ${text.size - over} B the firmware leaves there (IRAM is 1536 B, map:iram0_0_seg)`,
    );
    expect(f.fix).toContain('keep one of TinyClassifier, ImageFilters in the firmware');
  });

  it("takes the link-map check's framework-rule errors, and only those", () => {
    const warnings = [
      {
        kind: 'framework-rule',
        severity: 'error',
        lib: 'esp_ringbuf',
        message: 'esp_ringbuf: ESP-IDF places all of libesp_ringbuf.a in internal RAM on purpose',
      },
      { kind: 'iram-resident', severity: 'warning', lib: 'esp_ringbuf', message: 'IRAM_ATTR' },
    ] as unknown as LinkWarning[];
    const r = runDoctor(base({ libs: ['esp_ringbuf'], linkWarnings: warnings }));
    expect(r.findings).toEqual([
      {
        check: 'resident-library',
        severity: 'error',
        lib: 'esp_ringbuf',
        message: warnings[0].message,
        fix: 'keep esp_ringbuf in the firmware: remove it from custom_mm_libs in [env:board]',
      },
    ]);
  });

  it('no libraries: nothing checked, and it says so', () => {
    const r = runDoctor(withConfig(S3_MEMPROT_ON, { libs: [] }));
    expect(r.findings).toEqual([]);
    expect(r.notChecked.every((c) => c.why.includes('custom_mm_libs is empty'))).toBe(true);
  });
});

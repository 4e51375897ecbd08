// The build doctor in the real hook (scons + the Xtensa cross linker): after the link and
// before the map check, split and .bin, `esp32mm doctor` reads the build's sdkconfig.h — an
// ESP-IDF build's $BUILD_DIR/config/sdkconfig.h, or for Arduino's precompiled SDK the first
// sdkconfig.h on the include path — and an error stops the build with the fix. Turned off,
// the same build goes through.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newProject, scons } from './scons-run';
import { removeScratch } from './xtensa';

const MEMPROT_ON =
  '#pragma once\n#define CONFIG_IDF_TARGET "esp32"\n#define CONFIG_ESP_SYSTEM_MEMPROT_FEATURE 1\n#define CONFIG_ESP_SYSTEM_MEMPROT_FEATURE_LOCK 1\n';
const MEMPROT_OFF = '#pragma once\n#define CONFIG_IDF_TARGET "esp32"\n';

function useFramework(project: string, framework: string): void {
  const ini = join(project, 'platformio.ini');
  writeFileSync(ini, readFileSync(ini, 'utf8').replace('framework = arduino', `framework = ${framework}`));
}

afterAll(removeScratch);

describe('the build doctor in the hook', () => {
  it('ESP-IDF: memory protection on in $BUILD_DIR/config/sdkconfig.h stops the build after the link with the sdkconfig.defaults fix; off, it builds', () => {
    const project = newProject();
    useFramework(project, 'espidf');
    const config = join(project, '.pio/build/esp32dev/config');
    mkdirSync(config, { recursive: true });
    writeFileSync(join(config, 'sdkconfig.h'), MEMPROT_ON);
    const r = scons(project);
    const out = r.stdout + r.stderr;
    expect(r.status, out).not.toBe(0);
    expect(existsSync(join(project, '.pio/build/esp32dev/firmware.elf'))).toBe(true); // linked first
    expect(out).toContain(`sdkconfig: ${join(config, 'sdkconfig.h')}`);
    expect(out).toMatch(
      /error: ESP32: memory protection is on \(CONFIG_ESP_SYSTEM_MEMPROT_FEATURE=y, locked by CONFIG_ESP_SYSTEM_MEMPROT_FEATURE_LOCK=y/,
    );
    expect(out).toContain('fix: turn CONFIG_ESP_SYSTEM_MEMPROT_FEATURE off');
    expect(out).toContain('"# CONFIG_ESP_SYSTEM_MEMPROT_FEATURE is not set" to sdkconfig.defaults');
    expect(r.stderr).toContain('esp32mm: error: the build doctor (esp32mm doctor) failed');
    // Nothing after it ran: no split, no image.
    expect(out).not.toContain('esp32mm: split ');
    expect(existsSync(join(project, 'sd/mm'))).toBe(false);
    expect(existsSync(join(project, '.pio/build/esp32dev/firmware.bin'))).toBe(false);

    writeFileSync(join(config, 'sdkconfig.h'), MEMPROT_OFF);
    const fixed = scons(project);
    expect(fixed.status, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.stdout).toContain('checked memory-protection: CONFIG_ESP_SYSTEM_MEMPROT_FEATURE, CONFIG_ESP_SYSTEM_PMP_IDRAM_SPLIT in');
    expect(fixed.stdout).not.toMatch(/^error:/m);
    expect(existsSync(join(project, 'sd/mm/TinyClassifier_e'))).toBe(true);
  });

  it('Arduino: the precompiled sdkconfig.h found through the include path (the first folder that has one); the fix says what still works', () => {
    const project = newProject();
    const [sdk, other] = ['sdk/include/config', 'sdk/include/other'].map((d) => join(project, d));
    mkdirSync(sdk, { recursive: true });
    mkdirSync(other, { recursive: true });
    writeFileSync(join(sdk, 'sdkconfig.h'), MEMPROT_ON);
    writeFileSync(join(other, 'sdkconfig.h'), MEMPROT_OFF);
    const cpppath = [join(project, 'sdk/include'), sdk, other].join(':');
    const r = scons(project, { MM_CPPPATH: cpppath });
    const out = r.stdout + r.stderr;
    expect(r.status, out).not.toBe(0);
    expect(out).toContain(`--sdkconfig ${join(sdk, 'sdkconfig.h')}`);
    expect(out).toContain("fix: the Arduino core's ESP-IDF is precompiled with CONFIG_ESP_SYSTEM_MEMPROT_FEATURE=y");
    expect(out).toContain('libraries without code (data only');
    expect(existsSync(join(project, '.pio/build/esp32dev/firmware.bin'))).toBe(false);

    // The other order: the compiler would read the one without protection, and so does the hook.
    const ok = scons(project, { MM_CPPPATH: [other, sdk].join(':') });
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`--sdkconfig ${join(other, 'sdkconfig.h')}`);
  });

  it('Arduino-ESP32 3.x: include folders in @response files (nested, quoted, -iprefix/-iwithprefixbefore) ahead of CPPPATH, as the compiler searches them', () => {
    const project = newProject();
    const sdk = join(project, 'esp32 libs');
    const [config, decoy] = ['esp32 libs/include/esp_system/config', 'cpppath'].map((d) => join(project, d));
    mkdirSync(config, { recursive: true });
    mkdirSync(decoy, { recursive: true });
    writeFileSync(join(config, 'sdkconfig.h'), MEMPROT_ON);
    writeFileSync(join(decoy, 'sdkconfig.h'), MEMPROT_OFF);
    const flags = join(sdk, 'flags');
    mkdirSync(flags, { recursive: true });
    // The outer file names an empty folder, then a nested one that holds the prefixed folder.
    writeFileSync(join(flags, 'includes'), `"-I${join(sdk, 'include/none')}" @"${join(flags, 'more includes')}"\n`);
    writeFileSync(join(flags, 'more includes'), '-iwithprefixbefore esp_system/config\n');
    mkdirSync(join(sdk, 'include/none'), { recursive: true });
    const r = scons(project, {
      MM_CCFLAGS: JSON.stringify([`-iprefix${join(sdk, 'include')}/`, `@${join(flags, 'includes')}`]),
      MM_CPPPATH: decoy,
    });
    const out = r.stdout + r.stderr;
    expect(r.status, out).not.toBe(0);
    expect(out).toContain(`--sdkconfig "${join(config, 'sdkconfig.h')}"`); // quoted: the path has a space
    expect(out).toContain(
      `memory protection is on (CONFIG_ESP_SYSTEM_MEMPROT_FEATURE=y, locked by CONFIG_ESP_SYSTEM_MEMPROT_FEATURE_LOCK=y, ${join(config, 'sdkconfig.h')})`,
    );
  });

  it('Arduino without any sdkconfig.h on the include path: builds, and says memory protection was not checked', () => {
    const project = newProject();
    const r = scons(project);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^not checked memory-protection: the Arduino core's precompiled sdkconfig\.h/m);
  });
});

// resolveBuildConfig: what `esp32mm config --json` prints and the build hook acts on. The
// chip by one rule (custom_mm_chip, board_build.mcu, the board manifest's MCU, the board id,
// the sdkconfig), defaults by architecture, and each bad option named with its environment.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BuildConfigError, parseAddress, resolveBuildConfig } from '../../../src/core/platformio/build-config';
import { parseIni } from '../../../src/core/platformio/ini';
import type { PlatformioProject } from '../../../src/core/platformio/project';

const DIR = '/projects/cam';
const project = (env: string): PlatformioProject => ({
  dir: DIR,
  iniPath: join(DIR, 'platformio.ini'),
  doc: parseIni(`[env:cam]\n${env}`),
});
const config = (env: string, req = {}) => resolveBuildConfig(project(env), req);

describe('resolveBuildConfig', () => {
  it('the chip: custom_mm_chip, then board_build.mcu, the board manifest, the board id, the sdkconfig', () => {
    const all = 'custom_mm_libs = A\ncustom_mm_chip = c3\nboard_build.mcu = esp32s3\nboard = esp32-s2-saola-1\n';
    expect(config(all, { mcu: 'esp32c6', sdkconfigTarget: 'esp32h2' })).toMatchObject({ chip: 'esp32c3', chipSource: 'custom_mm_chip' });
    expect(config(all.replace('custom_mm_chip = c3\n', ''), { mcu: 'esp32c6' })).toMatchObject({
      chip: 'esp32s3',
      chipSource: 'board_build.mcu',
    });
    expect(config('custom_mm_libs = A\nboard = my_own_board\n', { mcu: 'esp32c6' })).toMatchObject({
      chip: 'esp32c6',
      chipSource: 'board manifest',
    });
    expect(config('custom_mm_libs = A\nboard = esp32-s2-saola-1\n')).toMatchObject({ chip: 'esp32s2', chipSource: 'board' });
    expect(config('custom_mm_libs = A\nboard = my_own_board\n', { sdkconfigTarget: 'esp32h2' })).toMatchObject({
      chip: 'esp32h2',
      chipSource: 'sdkconfig',
    });
  });

  it("flash slots: placed above the largest app partition of the build's table, which the fragment and the map check are given", () => {
    const dir = mkdtempSync(join(tmpdir(), 'esp32mm-config-'));
    try {
      const table = join(dir, 'parts.csv');
      writeFileSync(
        table,
        'nvs, data, nvs, 0x9000, 0x6000,\nfactory, app, factory, 0x10000, 0x180000,\nmmlib, data, 0x40, 0x190000, 1M,\n',
      );
      const flash = config('board = esp32dev\ncustom_mm_libs = A, B\ncustom_mm_slots = ai(flash): A\n', { partitions: table });
      expect(flash.flashCodeAddress).toBe(0x400d0000 + 0x180000);
      expect(flash.partitions).toBe(table);
      expect(flash.fragmentArgs).toEqual(expect.arrayContaining(['--partitions', table]));
      expect(flash.checkMapArgs).toEqual(['--chip', 'esp32', '--partitions', table]);
      const explicit = config('board = esp32dev\ncustom_mm_libs = A\ncustom_mm_code = flash\ncustom_mm_flash_code_addr = 0x40300000\n', {
        partitions: table,
      });
      expect(explicit.fragmentArgs.join(' ')).toContain('--flash-code-addr 0x40300000');
      expect(() =>
        config('board = esp32dev\ncustom_mm_libs = A\ncustom_mm_code = flash\n', { partitions: join(dir, 'missing.csv') }),
      ).toThrow(BuildConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defaults: storage sd into sd/mm, device folder /mm, ctors by architecture, every library its own slot', () => {
    const xtensa = config('board = esp32dev\ncustom_mm_libs = A, esp-tls\n');
    expect(xtensa).toMatchObject({
      storage: 'sd',
      outDir: join(DIR, 'sd/mm'),
      deviceDir: '/mm',
      code: 'iram',
      data: 'dram',
      ctors: 'ctors',
      buildDir: join(DIR, '.pio/build/cam'),
    });
    expect(xtensa.slots).toEqual([
      { name: 'A', libs: ['A'], code: 'iram' },
      { name: 'esp_tls', libs: ['esp-tls'], code: 'iram' },
    ]);
    expect(xtensa.checkMapArgs).toEqual([]); // no flash slot: the map check needs nothing more
    expect(xtensa.fragment).toBe(join(DIR, '.pio/build/cam/esp32mm.ld'));
    expect(config('board = esp32-c3-devkitm-1\ncustom_mm_libs = A\n').ctors).toBe('init_array');
  });

  it('spiffs/littlefs write into <data_dir>/mm; the fragment arguments carry the raw slot lines and the PSRAM address', () => {
    const c = config(
      'board = esp32-s3-devkitc-1\ncustom_mm_libs = A B\ncustom_mm_slots = ai: A B\ncustom_mm_storage = littlefs\ncustom_mm_code = psram\ncustom_mm_psram_code_addr = 0x42800000\n',
      { buildDir: '/b' },
    );
    expect(c.outDir).toBe(join(DIR, 'data/mm'));
    expect(c.fragmentArgs).toEqual([
      'fragment',
      '--chip',
      'esp32s3',
      '--libs',
      'A,B',
      '--slot',
      'ai: A B',
      '--code',
      'psram',
      '--data',
      'dram',
      '--ctors',
      'ctors',
      '--psram-code-addr',
      '0x42800000',
      '-o',
      '/b/esp32mm.ld',
    ]);
  });

  it('no libraries: nothing to link, and no chip needed', () => {
    expect(config('board = my_own_board\n')).toMatchObject({ libs: [], fragmentArgs: [], chip: undefined });
  });

  it.each([
    ['custom_mm_libs = A\nboard = my_own_board\n', 'cannot tell the chip of [env:cam]'],
    ['custom_mm_libs = A\ncustom_mm_chip = esp8266\n', '[env:cam] custom_mm_chip = esp8266 is not a chip this tool knows'],
    [
      'custom_mm_libs = A\nboard = esp32dev\ncustom_mm_psram_code_addr = high\n',
      '[env:cam] custom_mm_psram_code_addr = high: expected an address such as 0x42800000',
    ],
    [
      'custom_mm_libs = A\nboard = esp32dev\ncustom_mm_code = psram\ncustom_mm_psram_code_addr = 0x42800000\n',
      'esp32 cannot execute code from PSRAM',
    ],
    ['custom_mm_libs = A\nboard = esp32dev\ncustom_mm_ctors = fini\n', "constructor table 'fini' is unknown"],
  ])('refuses %j', (env, message) => {
    expect(() => config(env)).toThrow(BuildConfigError);
    expect(() => config(env)).toThrow(message);
  });

  it('parseAddress: hex or decimal 32-bit addresses only', () => {
    expect([
      parseAddress('0x42800000'),
      parseAddress('4096'),
      parseAddress(''),
      parseAddress('0x100000000'),
      parseAddress('-1'),
      parseAddress('1.5'),
    ]).toEqual([0x42800000, 4096, undefined, undefined, undefined, undefined]);
  });
});

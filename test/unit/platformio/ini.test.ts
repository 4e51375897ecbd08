import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  chooseEnv,
  defaultEnvs,
  envOption,
  listEnvs,
  optionSource,
  parseIni,
  joinLines,
  splitLines,
  splitMultiValue,
} from '../../../src/core/platformio/ini';
import { buildOutputs, readMmOptions, type PlatformioProject } from '../../../src/core/platformio/project';

const FIX = join(__dirname, '../../fixtures/platformio');
const read = (name: string) => readFileSync(join(FIX, name), 'utf8');
const project = (name: string, dir = '/proj'): PlatformioProject => ({
  dir,
  iniPath: join(dir, 'platformio.ini'),
  doc: parseIni(read(name)),
});

describe('platformio.ini parsing', () => {
  it('keeps every byte: lines and their endings join back to the input', () => {
    for (const f of ['arduino-basic.ini', 'camera-extends.ini', 'windows-crlf.ini', 'c3-own-extra-scripts.ini']) {
      expect(joinLines(parseIni(read(f)).lines), f).toBe(read(f));
    }
    expect(splitLines('a\r\nb\nc')).toEqual([
      { text: 'a', eol: '\r\n' },
      { text: 'b', eol: '\n' },
      { text: 'c', eol: '' },
    ]);
  });

  it('lists environments and default_envs, and picks one', () => {
    const doc = parseIni(read('camera-extends.ini'));
    expect(listEnvs(doc)).toEqual(['esp32cam', 'esp32cam_debug']);
    expect(defaultEnvs(doc)).toEqual(['esp32cam']);
    expect(chooseEnv(doc)).toBe('esp32cam');
    expect(chooseEnv(doc, 'esp32cam_debug')).toBe('esp32cam_debug');
    expect(() => chooseEnv(doc, 'nope')).toThrow(/no \[env:nope\].*esp32cam, esp32cam_debug/);
    expect(() => chooseEnv(parseIni(read('c3-own-extra-scripts.ini')))).toThrow(/several environments \(c3, native\)/);
  });

  it('resolves extends, [env] and ${section.option} references in multi-line values', () => {
    const doc = parseIni(read('camera-extends.ini'));
    expect(splitMultiValue(envOption(doc, 'esp32cam_debug', 'build_flags')!)).toEqual([
      '-DBOARD_HAS_PSRAM',
      '-mfix-esp32-psram-cache-issue',
      '-DCAMERA_MODEL_AI_THINKER',
      '-DCORE_DEBUG_LEVEL=1',
      '-DDEBUG_CLASSIFIER=1',
    ]);
    expect(envOption(doc, 'esp32cam_debug', 'board')).toBe('esp32cam');
    expect(envOption(doc, 'esp32cam_debug', 'extra_scripts')).toBe('pre:scripts/version.py');
    expect(optionSource(doc, 'esp32cam_debug', 'extra_scripts')?.section).toBe('env');
    expect(optionSource(doc, 'esp32cam_debug', 'board_build.partitions')?.section).toBe('env:esp32cam');
    expect(envOption(doc, 'esp32cam', 'lib_deps')).toBe('bblanchon/ArduinoJson @ ^7.0.0');
    expect(envOption(doc, 'esp32cam', 'monitor_filters')).toBe('esp32_exception_decoder, time');
  });

  it('strips inline ; comments (also on continuation lines and in CRLF files)', () => {
    const doc = parseIni(read('windows-crlf.ini'));
    expect(envOption(doc, 's3', 'extra_scripts')).toBe('pre:tools/git_rev.py\npost:tools/size_report.py');
    expect(envOption(doc, 's3', 'build_flags')).toBe('-DARDUINO_USB_CDC_ON_BOOT=1');
    expect(envOption(doc, 's3', 'board_build.arduino.memory_type')).toBe('qio_opi');
  });

  it('locates build outputs, honouring [platformio] build_dir and data_dir', () => {
    const p = project('camera-extends.ini');
    expect(buildOutputs(p, 'esp32cam')).toEqual({
      buildDir: '/proj/.pio/build/esp32cam',
      elf: '/proj/.pio/build/esp32cam/firmware.elf',
      fullElf: '/proj/.pio/build/esp32cam/firmware.full.elf',
      map: '/proj/.pio/build/esp32cam/firmware.map',
      bin: '/proj/.pio/build/esp32cam/firmware.bin',
    });
    const custom = { ...p, doc: parseIni('[platformio]\nworkspace_dir = /ws\n[env:a]\n') };
    expect(buildOutputs(custom, 'a').elf).toBe('/ws/build/a/firmware.elf');
  });

  it('reads custom_mm_* (inherited from [env] too) and the output folder per storage', () => {
    const p = project('hook-esp32.ini');
    const text = read('hook-esp32.ini').replace(
      'board = esp32dev',
      'board = esp32dev\ncustom_mm_libs = A, B C\ncustom_mm_slots =\n    ai: A B\ncustom_mm_storage = littlefs',
    );
    const o = readMmOptions({ ...p, doc: parseIni(text) });
    expect(o).toMatchObject({
      env: 'esp32dev',
      libs: ['A', 'B', 'C'],
      slots: ['ai: A B'],
      storage: 'littlefs',
      deviceDir: '/mm',
      outDir: '/proj/data/mm',
    });
    const cam = project('camera-extends.ini');
    const camText = read('camera-extends.ini').replace(
      'board = esp32cam',
      'board = esp32cam\ncustom_mm_libs = X\ncustom_mm_storage = spiffs',
    );
    expect(readMmOptions({ ...cam, doc: parseIni(camText) }, 'esp32cam_debug').outDir).toBe('/proj/fs/mm');
    const sd = readMmOptions({ ...cam, doc: parseIni(camText.replace('= spiffs', '= sd')) });
    expect(sd.outDir).toBe('/proj/sd/mm');
  });
});

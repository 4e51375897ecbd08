// `esp32mm init` brings the device side too: lib/ESP32MemoryManager (the repository's
// firmware/, with esp32mm-version.json) and include/mm_libraries.h, on copies of both
// bundled examples and of a fresh project. The generated header compiles with the real Xtensa
// cross compiler in the sketch that registers the libraries and in a second source file; a
// second init says the library is up to date, another version is only replaced when asked.
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, esp32mm, run } from '../../helpers/tools';
import { removeScratch, scratch, PROJECT } from './xtensa';

afterAll(removeScratch);

const ARDUINO_STUB = join(REPO, 'test/tools/transfer/arduino-stub');
const PROJECTS = [
  {
    name: 'examples/esp32cam-ai',
    src: join(REPO, 'examples/esp32cam-ai'),
    args: ['--env', 'esp32cam', '--libs', 'TinyClassifier,ImageFilters', '--slot', 'ai:TinyClassifier,ImageFilters'],
    libInc: ['lib/TinyClassifier/src', 'lib/ImageFilters/src'],
    calls: 'mm_lazy_if_last_histogram();',
  },
  {
    name: 'firmware/examples/SdCardClassifier',
    src: join(REPO, 'firmware/examples/SdCardClassifier'),
    args: ['--env', 'esp32cam', '--libs', 'TinyClassifier'],
    libInc: ['lib/TinyClassifier'],
    calls: '',
  },
  {
    name: 'a fresh project',
    src: PROJECT,
    args: ['--env', 'esp32dev', '--libs', 'ImageFilters,Filters'],
    libInc: ['lib/ImageFilters', 'lib/Filters'],
    calls: '',
  },
];

function copyOf(src: string, fresh: boolean): string {
  const dir = scratch('esp32mm-install-');
  cpSync(src, dir, { recursive: true, filter: (p) => !p.includes('/.pio') });
  if (fresh) writeFileSync(join(dir, 'platformio.ini'), '[env:esp32dev]\nplatform = espressif32\nboard = esp32dev\nframework = arduino\n');
  return dir;
}

/** The sketch and a second unit, both including mm_libraries.h, compiled with xtensa-lx106-elf-g++ against the Arduino stubs. */
function compileWithHeader(dir: string, libInc: string[], calls: string): { status: number; stderr: string } {
  writeFileSync(
    join(dir, 'SD.h'),
    '#pragma once\n#include <FS.h>\nnamespace fs { class SDFS : public FS { public: bool begin(); }; }\nextern fs::SDFS SD;\n',
  );
  writeFileSync(
    join(dir, 'sketch.cpp'),
    `#define MM_LIBRARIES_REGISTER\n#include "mm_libraries.h"\nvoid setup() { SD.begin(); mm.begin(); mmAgent.begin(); ${calls} }\nvoid loop() { mmAgent.poll(); }\n`,
  );
  writeFileSync(join(dir, 'other.cpp'), '#include "mm_libraries.h"\nbool loaded() { return mm.isLoaded("x"); }\n');
  const flags = [
    '-mlongcalls',
    '-std=gnu++17',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-DARDUINO=10819',
    `-I${dir}`,
    `-I${ARDUINO_STUB}`,
    `-I${join(dir, 'include')}`,
    `-I${join(dir, 'lib/ESP32MemoryManager/src')}`,
    ...libInc.map((l) => `-I${join(dir, l)}`),
  ];
  for (const unit of ['sketch.cpp', 'other.cpp']) {
    const r = run('xtensa-lx106-elf-g++', [...flags, '-c', join(dir, unit), '-o', join(dir, `${unit}.o`)]);
    if (r.status !== 0) return r;
  }
  return { status: 0, stderr: '' };
}

describe.each(PROJECTS)('init on a copy of $name', ({ name, src, args, libInc, calls }) => {
  const dir = copyOf(src, name === 'a fresh project');
  const init = (...more: string[]) => esp32mm(['init', dir, ...args, '--storage', 'sd', ...more]);

  it('vendors the device library (identical to firmware/) and writes include/mm_libraries.h; says the next steps', () => {
    const r = init();
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['library.json', 'src/mm_loader.c', 'src/MemoryManager.h', 'src/mm_agent_arduino.cpp']) {
      expect(readFileSync(join(dir, 'lib/ESP32MemoryManager', f)), f).toEqual(readFileSync(join(REPO, 'firmware', f)));
    }
    expect(JSON.parse(readFileSync(join(dir, 'lib/ESP32MemoryManager/esp32mm-version.json'), 'utf8')).version).toBe('0.1.0');
    expect(existsSync(join(dir, 'include/mm_libraries.h'))).toBe(true);
    expect(r.stdout).toContain('Device library: installed lib/ESP32MemoryManager');
    expect(r.stdout).toContain('add these two lines to setup(): SD.begin(); and mm.begin();');
  });

  it('the generated header compiles (xtensa-lx106-elf-g++ -Wall -Wextra -Werror) in the sketch and a second unit', () => {
    const r = compileWithHeader(dir, libInc, calls);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a second init: up to date; another version in the project is only replaced with --update-device-library', () => {
    expect(init().stdout).toContain('lib/ESP32MemoryManager is up to date (version 0.1.0)');
    const json = join(dir, 'lib/ESP32MemoryManager/library.json');
    writeFileSync(json, readFileSync(json, 'utf8').replace('"version": "0.1.0"', '"version": "0.0.9"'));
    const offered = init();
    expect(offered.stdout).toContain('Device library: an update is available');
    expect(offered.stdout).toContain('edited in this project since it was installed: library.json');
    expect(offered.stdout).toContain('run init again with --update-device-library');
    expect(readFileSync(json, 'utf8')).toContain('0.0.9');
    const updated = init('--update-device-library');
    expect(updated.stdout).toContain('Device library: updated');
    expect(readFileSync(json)).toEqual(readFileSync(join(REPO, 'firmware/library.json')));
  });
});

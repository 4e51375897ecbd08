// Both bundled examples as a user gets them after "Install Build Integration": no lib_deps
// (Install vendors the device library into lib/), the include/mm_libraries.h they ship is
// byte for byte what Install writes, and their main.cpp (registrations from the header,
// mm_lazy_ wrappers, the construct<> factory, the upload agent) compiles with the vendored
// library for Xtensa and RISC-V with -Wall -Wextra -Werror, against the Arduino stand-in of
// examples/esp32cam-ai/tools/framework-sim. The Xtensa link of esp32cam-ai is
// build-example.sh (test/tools/fixtures/example.test.ts).
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, esp32mm, run, tempDir } from '../../helpers/tools';

const ARDUINO_SIM = join(REPO, 'examples/esp32cam-ai/tools/framework-sim/include');
const EXAMPLES = [
  {
    dir: 'examples/esp32cam-ai',
    libInc: ['lib/TinyClassifier/src', 'lib/ImageFilters/src'],
    init: ['--env', 'esp32cam', '--libs', 'TinyClassifier,ImageFilters', '--slot', 'ai:TinyClassifier,ImageFilters'],
  },
  { dir: 'firmware/examples/SdCardClassifier', libInc: ['lib/TinyClassifier'], init: ['--env', 'esp32cam', '--libs', 'TinyClassifier'] },
];
const COMPILERS = ['xtensa-lx106-elf-g++', 'riscv64-unknown-elf-g++'];
// What the Arduino build compiles of the vendored library besides the sketch.
const ARDUINO_UNITS = ['MemoryManager.cpp', 'mm_agent_arduino.cpp', 'mm_storage_arduino.cpp'];

describe.each(EXAMPLES)('$dir after Install', ({ dir, init, libInc }) => {
  const source = join(REPO, dir);
  const copy = tempDir('esp32mm-example-');
  const objects = tempDir('esp32mm-example-obj-');
  afterAll(() => {
    for (const d of [copy, objects]) rmSync(d, { recursive: true, force: true });
  });
  cpSync(source, copy, { recursive: true, filter: (p) => !p.includes('/.pio') });
  const installed = esp32mm(['init', copy, ...init, '--storage', 'sd', '--code', 'iram', '--data', 'dram', '--dir', '/mm']);

  it('needs no lib_deps, and ships the mm_libraries.h Install writes', () => {
    expect(installed.status, installed.stderr).toBe(0);
    expect(readFileSync(join(source, 'platformio.ini'), 'utf8')).not.toMatch(/^\s*lib_deps/m);
    expect(readFileSync(join(copy, 'platformio.ini'), 'utf8')).toBe(readFileSync(join(source, 'platformio.ini'), 'utf8'));
    expect(readFileSync(join(copy, 'include/mm_libraries.h'), 'utf8')).toBe(readFileSync(join(source, 'include/mm_libraries.h'), 'utf8'));
  });

  it("main.cpp uses the header's registrations, mm_lazy_ wrappers, a factory and the upload agent", () => {
    const main = readFileSync(join(source, 'src/main.cpp'), 'utf8');
    expect(main).toMatch(/#define MM_LIBRARIES_REGISTER\n#include "mm_libraries.h"/);
    expect(main).not.toMatch(/^(MM_SLOT|MM_LIBRARY|MM_LAZY|MemoryManager mm)/m);
    for (const call of ['mm.begin()', 'mmAgent.begin(', 'mmAgent.poll()', 'mm_lazy_', 'mm.construct<']) expect(main).toContain(call);
  });

  it.each(COMPILERS)('main.cpp and the Arduino glue compile with %s -Wall -Wextra -Werror', (cxx) => {
    const mmSrc = join(copy, 'lib/ESP32MemoryManager/src');
    expect(readdirSync(mmSrc)).toEqual(expect.arrayContaining(ARDUINO_UNITS));
    const flags = [
      '-Os',
      '-std=gnu++17',
      '-fno-exceptions',
      '-fno-rtti',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-DARDUINO=10812',
      '-DMM_NO_STDIO',
      ...(cxx.startsWith('xtensa') ? ['-mlongcalls'] : ['-misa-spec=2.2', '-march=rv32imac', '-mabi=ilp32', '--specs=picolibc.specs']),
      `-I${ARDUINO_SIM}`,
      `-I${join(copy, 'include')}`,
      `-I${mmSrc}`,
      ...libInc.map((l) => `-I${join(copy, l)}`),
    ];
    const out = join(objects, cxx);
    mkdirSync(out);
    for (const unit of [join(copy, 'src/main.cpp'), ...ARDUINO_UNITS.map((u) => join(mmSrc, u))]) {
      const r = run(cxx, [...flags, '-c', unit, '-o', join(out, `${unit.split('/').pop()}.o`)]);
      expect(r.stderr, unit).toBe('');
      expect(r.status, unit).toBe(0);
    }
  });
});

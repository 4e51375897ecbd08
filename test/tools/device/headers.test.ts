// Every public header of the device library in one C and one C++ translation unit, as a
// sketch that loads libraries and runs the upload agent includes them, compiled with
// -Wall -Wextra -Werror by the host gcc and the real Xtensa and RISC-V cross compilers.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, run, tempDir } from '../../helpers/tools';

const SRC = join(REPO, 'firmware/src');
const TUS = join(REPO, 'test/device/headers');
const ARDUINO_STUB = join(REPO, 'test/tools/transfer/arduino-stub');
const STRICT = ['-Wall', '-Wextra', '-Werror', '-Wpedantic'];
const RISCV = ['-misa-spec=2.2', '-march=rv32imac', '-mabi=ilp32', '--specs=picolibc.specs'];
const work = tempDir('esp32mm-headers-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

const toolchains: { name: string; cc: string; cxx: string; flags: string[] }[] = [
  { name: 'host', cc: 'gcc', cxx: 'g++', flags: [] },
  { name: 'Xtensa', cc: 'xtensa-lx106-elf-gcc', cxx: 'xtensa-lx106-elf-g++', flags: ['-mlongcalls'] },
  { name: 'RISC-V', cc: 'riscv64-unknown-elf-gcc', cxx: 'riscv64-unknown-elf-g++', flags: RISCV },
];

describe('every public device header in one translation unit', () => {
  for (const tc of toolchains) {
    it(`C (${tc.cc}, -std=c11)`, () => {
      const r = run(tc.cc, [
        ...tc.flags,
        '-std=c11',
        ...STRICT,
        `-I${SRC}`,
        '-c',
        join(TUS, 'all_headers.c'),
        '-o',
        join(work, `${tc.name}-c.o`),
      ]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
    it(`C++ with the Arduino headers (${tc.cxx}, -std=gnu++17)`, () => {
      const r = run(tc.cxx, [
        ...tc.flags,
        '-std=gnu++17',
        ...STRICT,
        '-DARDUINO=10819',
        `-I${ARDUINO_STUB}`,
        `-I${SRC}`,
        '-c',
        join(TUS, 'all_headers.cpp'),
        '-o',
        join(work, `${tc.name}-cxx.o`),
      ]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }
});

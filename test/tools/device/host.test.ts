// Host unit tests of the device loader core (firmware/src/mm_loader.c), compiled with gcc
// and AddressSanitizer + UBSan, against a memory model that faults on any non-word store
// to IRAM (test/device/host/). Each C test case is one vitest test.
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, run, tempDir } from '../../helpers/tools';

const SRC = join(REPO, 'firmware/src');
const HOST = join(REPO, 'test/device/host');
const work = tempDir('esp32mm-device-host-');

const SANITIZED = [
  '-std=c11',
  '-D_DEFAULT_SOURCE',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-g',
  '-O1',
  '-fsanitize=address,undefined',
  '-fno-sanitize-recover=all',
  '-fno-omit-frame-pointer',
  `-I${SRC}`,
  `-I${HOST}`,
];
const CORE = ['mm_loader.c', 'mm_crc32.c', 'mm_storage_posix.c', 'mm_port_generic.c', 'mm_build_id.c'];
const FLASH = ['mm_flash.c', 'mm_mmu_table.c', 'mm_mmu_esp32.c', 'mm_mmu_esp32s3.c', 'mm_mmu_esp32c3.c', 'mm_mmu_esp32c6.c'];
afterAll(() => rmSync(work, { recursive: true, force: true }));

/* Build one C test program, run it, and make each of its "ok - name" lines a vitest test. */
function hostSuite(title: string, program: string, sources: string[], hostFiles: string[], atLeast: number) {
  const exe = join(work, program);
  const build = run('gcc', [
    ...SANITIZED,
    ...sources.map((f) => join(SRC, f)),
    ...hostFiles.map((f) => join(HOST, f)),
    join(HOST, `${program}.c`),
    '-lz',
    '-o',
    exe,
  ]);
  const result = build.status === 0 ? run(exe, [work]) : undefined;
  const lines = result ? result.stdout.split('\n').filter((l) => /^(not )?ok - /.test(l)) : [];

  describe(title, () => {
    it('compiles with -Wall -Wextra -Werror and the sanitizers', () => {
      expect(build.stderr + build.stdout).toBe('');
      expect(build.status).toBe(0);
    });

    it('runs every case without a sanitizer report', () => {
      expect(result?.stderr ?? '').not.toMatch(/AddressSanitizer|runtime error|MODEL FAULT/);
      expect(result?.stdout).toMatch(/# \d+ tests, 0 failed/);
      expect(result?.status).toBe(0);
      expect(lines.length).toBeGreaterThanOrEqual(atLeast);
    });

    for (const line of lines) {
      const name = line.replace(/^(not )?ok - /, '').replace(/:.*$/, '');
      it(name.replace(/_/g, ' '), () => {
        expect(line).toBe(`ok - ${name}`);
      });
    }
  });
}

hostSuite(
  'device loader core on the host (gcc, ASan + UBSan, IRAM word-only model)',
  'test_loader',
  [...CORE, 'mm_cxa_atexit.c'],
  ['memory_model.c', 'lib_files.c'],
  35,
);
hostSuite(
  'flash slots on the host (gcc, ASan + UBSan, NOR-flash and MMU models)',
  'test_flash',
  [...CORE, ...FLASH, 'mm_agent.c', 'mm_agent_flash.c'],
  ['memory_model.c', 'lib_files.c', 'flash_model.c'],
  17,
);

describe('C++ API on the host (MemoryManager.cpp over the loader, ASan + UBSan)', () => {
  it('a folder of 32 characters or more is an error from begin() and load(), never shortened', () => {
    const cxxWork = tempDir('esp32mm-device-cxx-');
    onTestFinished(() => rmSync(cxxWork, { recursive: true, force: true }));
    const bin = join(cxxWork, 'test_memory_manager');
    const common = [
      '-D_DEFAULT_SOURCE',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-g',
      '-fsanitize=address,undefined',
      '-fno-sanitize-recover=all',
      `-I${SRC}`,
    ];
    const objects = ['mm_loader.c', 'mm_crc32.c', 'mm_storage_posix.c', 'mm_port_generic.c', 'mm_build_id.c'].map((f) => {
      const o = join(cxxWork, `${f}.o`);
      const c = run('gcc', ['-std=c11', ...common, '-c', join(SRC, f), '-o', o]);
      expect(c.stderr).toBe('');
      return o;
    });
    const b = run('g++', [
      '-std=c++17',
      ...common,
      join(HOST, 'test_memory_manager.cpp'),
      join(SRC, 'MemoryManager.cpp'),
      ...objects,
      '-o',
      bin,
    ]);
    expect(b.stderr).toBe('');
    const r = run(bin, []);
    expect(r.stdout).toMatch(/# 0 failed/);
    expect(r.status).toBe(0);
  });
});

describe('device sources that cannot run here still compile', () => {
  it('C++ API (MemoryManager.h, factories) with g++ -Wall -Wextra -Werror', () => {
    const r = run('g++', [
      '-std=c++17',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-fsyntax-only',
      `-I${SRC}`,
      `-I${HOST}`,
      join(HOST, 'cxx_api_check.cpp'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('Arduino fs::FS backend against the FS.h API signatures (declarations only; no Arduino core here)', () => {
    const r = run('g++', [
      '-std=gnu++17',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-fsyntax-only',
      '-DARDUINO=10819',
      '-DESP_PLATFORM',
      `-I${join(HOST, 'arduino_stub')}`,
      `-I${SRC}`,
      join(SRC, 'mm_storage_arduino.cpp'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('example library (examples/SdCardClassifier/lib/TinyClassifier) with g++ -Wall -Wextra -Werror', () => {
    const lib = join(REPO, 'firmware/examples/SdCardClassifier/lib/TinyClassifier');
    const r = run('g++', ['-std=c++17', '-Wall', '-Wextra', '-Werror', '-fsyntax-only', `-I${lib}`, join(lib, 'TinyClassifier.cpp')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  // mm_port_esp.c with ESP-IDF's target macro (from a one-line sdkconfig.h); the S3 branch
  // needs ESP-IDF's cache headers and is not compiled here.
  const targets: [string, string, string[]][] = [
    ['ESP32', 'xtensa-lx106-elf-gcc', ['-mlongcalls']],
    ['ESP32S2', 'xtensa-lx106-elf-gcc', ['-mlongcalls']],
    ['ESP32C3', 'riscv64-unknown-elf-gcc', ['-misa-spec=2.2', '-march=rv32imac', '-mabi=ilp32', '--specs=picolibc.specs']],
    ['ESP32C6', 'riscv64-unknown-elf-gcc', ['-misa-spec=2.2', '-march=rv32imac', '-mabi=ilp32', '--specs=picolibc.specs']],
  ];
  // The flash-slot core and the chips' MMU descriptions (their pure part; the register
  // writes need ESP-IDF) for both cross targets, freestanding: mm_flash.c calls no C library.
  for (const [target, cc, flags] of [targets[0], targets[2]]) {
    it(`flash slots (${FLASH.join(', ')}, mm_flash_semihost.c) with ${cc}`, () => {
      const out = tempDir('esp32mm-flash-cross-');
      onTestFinished(() => rmSync(out, { recursive: true, force: true }));
      for (const f of [...FLASH, 'mm_flash_semihost.c', 'mm_agent_flash.c']) {
        const r = run(cc, [
          ...flags,
          '-std=gnu11',
          '-Os',
          '-Wall',
          '-Wextra',
          '-Werror',
          '-ffreestanding',
          '-DMM_SEMIHOSTING',
          `-I${SRC}`,
          '-c',
          join(SRC, f),
          '-o',
          join(out, `${f}.o`),
        ]);
        expect(r.stderr, `${target} ${f}`).toBe('');
        expect(r.status).toBe(0);
      }
    });
  }
  for (const [target, cc, flags] of targets) {
    it(`chip port for ${target} (mm_port_esp.c) with ${cc}`, () => {
      const inc = tempDir('esp32mm-sdkconfig-');
      writeFileSync(join(inc, 'sdkconfig.h'), `#define CONFIG_IDF_TARGET_${target} 1\n`);
      const r = run(cc, [
        ...flags,
        '-std=gnu11',
        '-Os',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-DESP_PLATFORM',
        `-I${inc}`,
        `-I${SRC}`,
        '-c',
        join(SRC, 'mm_port_esp.c'),
        '-o',
        join(inc, 'port.o'),
      ]);
      rmSync(inc, { recursive: true, force: true });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  }
});

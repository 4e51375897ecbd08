// The agent's C core on its own: ASan/UBSan unit + fuzz run (path table, dormant console
// pass-through, HELLO wake-up, 200k random/corrupted frames against a filesystem that
// aborts on any path outside the served folder), and warning-free cross builds for the
// two device ISAs we have compilers for, with their code size.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './harness';

const SRC = join(REPO, 'firmware/src');
const out = mkdtempSync(join(tmpdir(), 'mm-agent-c-'));
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('agent C core', () => {
  it('passes its sanitizer unit and fuzz run', () => {
    const bin = join(out, 'agent_test');
    sh('gcc', [
      '-std=c99',
      '-O1',
      '-g',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-fsanitize=address,undefined',
      '-fno-sanitize-recover=all',
      `-I${SRC}`,
      join(REPO, 'firmware/host-agent/agent_test.c'),
      join(SRC, 'mm_agent.c'),
      join(SRC, 'mm_crc32.c'),
      '-o',
      bin,
    ]);
    expect(sh(bin, [])).toMatch(/^ok \d+ checks, 0 failures/m);
  });

  it('Arduino glue compiles against the Arduino-ESP32 FS/Stream declarations (g++ -fsyntax-only)', () => {
    sh('g++', [
      '-std=c++11',
      '-DARDUINO',
      '-fsyntax-only',
      '-Wall',
      '-Wextra',
      '-Werror',
      `-I${join(__dirname, 'arduino-stub')}`,
      `-I${SRC}`,
      join(SRC, 'mm_agent_arduino.cpp'),
    ]);
  });

  it.each([
    ['xtensa-lx106-elf-gcc', ['-mlongcalls'], 'xtensa-lx106-elf-size'],
    ['riscv64-unknown-elf-gcc', ['--specs=picolibc.specs', '-march=rv32imac', '-mabi=ilp32', '-misa-spec=2.2'], 'riscv64-unknown-elf-size'],
  ])('cross-compiles warning-free with %s, small enough for a device', (cc, flags, size) => {
    const obj = join(out, `${cc}.o`);
    sh(cc, [
      ...flags,
      '-std=c99',
      '-Os',
      '-Wall',
      '-Wextra',
      '-Wconversion',
      '-Wno-sign-conversion',
      '-Werror',
      `-I${SRC}`,
      '-c',
      join(SRC, 'mm_agent.c'),
      '-o',
      obj,
    ]);
    const [text, data, bss] = sh(size, [obj]).split('\n')[1].trim().split(/\s+/).map(Number);
    expect(text).toBeLessThan(8 * 1024);
    expect(data + bss).toBe(0); // all state lives in the caller's mm_agent_t
  });
});

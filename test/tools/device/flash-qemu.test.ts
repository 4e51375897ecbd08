// The flash-slot test back end for QEMU (firmware/src/mm_flash_semihost.c) on
// qemu-system-riscv32 -M virt: a small firmware (test/device/qemu-flash/main.c) built with
// the real cross compiler, a semihosting file as the mmlib partition, a RAM region as the
// instruction window. The first round writes, the second only remaps; a call into the
// window after unload faults (illegal instruction at the window address).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeLibraryFile } from '../../../src/core/split/format';
import { REPO, run, tempDir } from '../../helpers/tools';

const SRC = join(REPO, 'firmware/src');
const WINDOW = 0x80800000;
const work = tempDir('esp32mm-flash-qemu-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

// li a0, n; ret, then filler so that each image spans two 4 KB sectors
function code(n: number): Uint8Array {
  const out = new Uint8Array(8 + 5120);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x00000513 | (n << 20), true);
  v.setUint32(4, 0x00008067, true);
  for (let i = 8; i < out.length; i++) out[i] = (i * 7) & 0xff;
  return out;
}
function writeLibrary(dir: string, name: string, result: number) {
  const common = { flags: 0, bssAddress: 0, bssLength: 0, ctorAddress: 0, ctorCount: 0, name, buildId: new Uint8Array(32).fill(0x11) };
  writeFileSync(join(dir, `${name}_e`), encodeLibraryFile({ ...common, kind: 'code', loadAddress: WINDOW }, code(result)));
  writeFileSync(join(dir, `${name}_d`), encodeLibraryFile({ ...common, kind: 'data', loadAddress: 0 }, new Uint8Array(0)));
}

describe('flash-slot test back end under qemu-system-riscv32 (semihosting partition, RAM window)', () => {
  const elf = join(work, 'fw.elf');
  const build = run('riscv64-unknown-elf-gcc', [
    '-misa-spec=2.2',
    '-march=rv32imac',
    '-mabi=ilp32',
    '--specs=picolibc.specs',
    '--oslib=semihost',
    '--crt0=semihost',
    '-Os',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-DMM_SEMIHOSTING',
    `-I${SRC}`,
    join(REPO, 'test/device/qemu-flash/main.c'),
    ...[
      'mm_loader.c',
      'mm_crc32.c',
      'mm_build_id.c',
      'mm_port_generic.c',
      'mm_storage_semihost.c',
      'mm_flash.c',
      'mm_flash_semihost.c',
    ].map((f) => join(SRC, f)),
    // picolibc.ld's regions: the firmware in the first 6 MB of virt's RAM, below the window
    '-Wl,--defsym=__flash=0x80000000',
    '-Wl,--defsym=__flash_size=0x400000',
    '-Wl,--defsym=__ram=0x80400000',
    '-Wl,--defsym=__ram_size=0x200000',
    '-o',
    elf,
  ]);

  it('builds with the cross compiler', () => {
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
  });

  it('writes on the first round, remaps only on the second, and a call after unload faults', () => {
    mkdirSync(join(work, 'mm'), { recursive: true });
    writeLibrary(join(work, 'mm'), 'La', 42);
    writeLibrary(join(work, 'mm'), 'Lb', 7);
    writeFileSync(join(work, 'mmlib.bin'), new Uint8Array(0x40000).fill(0xff));
    const r = run(
      'qemu-system-riscv32',
      [
        '-M',
        'virt',
        '-bios',
        'none',
        '-display',
        'none',
        '-monitor',
        'none',
        '-serial',
        'none',
        '-semihosting-config',
        'enable=on,target=native',
        '-kernel',
        elf,
      ],
      { cwd: work },
    );
    const out = r.stdout + r.stderr;
    const lines = out.split('\n');
    const upTo = lines.indexOf('calling the unmapped window');
    expect(lines.slice(0, upTo + 1)).toEqual([
      'init: OK',
      'attach: OK',
      'load La: OK',
      'La() = 42',
      'load Lb: OK',
      'Lb() = 7',
      // per image: header sector + 2 data sectors; tally + 2 sectors + header + valid word
      'round 1: 6 erases, 10 programs',
      'load La: OK',
      'La() = 42',
      'load Lb: OK',
      'Lb() = 7',
      'round 2: 0 erases, 0 programs',
      'unload Lb: OK',
      'window word after unload: 00000000',
      'calling the unmapped window',
    ]);
    expect(out).not.toContain('stale call returned');
    expect(out).toMatch(/mepc:\s+0x80800000/);
    expect(out).toMatch(/mcause:\s+0x00000002/); // illegal instruction
    // the partition file: two valid headers ("MMFH", valid word last), one tally bit each
    const part = readFileSync(join(work, 'mmlib.bin'));
    for (const at of [0, 0x1000]) {
      expect(part.subarray(at, at + 4).toString('latin1')).toBe('MMFH');
      expect(part.readUInt32LE(at + 92)).toBe(0xa55a5aa5);
    }
    expect(part[0xf000]).toBe(0xfe);
    expect(part[0xf100]).toBe(0xfe);
  });
});

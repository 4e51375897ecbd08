// Hostile and unusual input to the real CLI (issue 14 items 2, 5, 6): a section name that
// is a path, links that real ld makes (a NOBITS-only segment starting with a library's bss,
// library bss inside the firmware's data segment), and inputs that are not regular files.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../../src/core/elf/reader';
import { SegmentType } from '../../../src/core/elf/types';
import { esp32mm, fixtureElfs, run, runOk, tempDir } from '../../helpers/tools';

const FIXTURE = fixtureElfs().find((f) => f.endsWith('xtensa/fw.elf'))!;

/** Every path under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

function readelfClean(path: string) {
  const r = run('xtensa-lx106-elf-readelf', ['-a', '-W', path]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

describe('a library name from the ELF that is a path', () => {
  it('.mm.../../../x/PWNED.text: refused, naming the section; nothing written anywhere', () => {
    const root = tempDir('esp32mm-pwn-');
    const project = join(root, 'a', 'b');
    mkdirSync(project, { recursive: true });
    const elf = join(project, 'fw.elf');
    runOk('xtensa-lx106-elf-objcopy', ['--rename-section', '.mm.fastmath.text=.mm.../../../x/PWNED.text', FIXTURE, elf]);
    const before = tree(root);
    const r = esp32mm(['split', elf, '--out', join(project, 'out')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /library name "\.\.\/\.\.\/\.\.\/x\/PWNED" \(from ELF section "\.mm\.\.\.\/\.\.\/\.\.\/x\/PWNED\.text"\) cannot be used/,
    );
    expect(tree(root)).toEqual(before);
    expect(existsSync(join(root, 'x'))).toBe(false);
  });

  it('names differing only in case are refused: their files would be one on Windows and macOS', () => {
    const dir = tempDir('esp32mm-case-');
    const elf = join(dir, 'fw.elf');
    runOk('xtensa-lx106-elf-objcopy', [
      '--rename-section',
      '.mm.shapes.text=.mm.FastMath.text',
      '--rename-section',
      '.mm.shapes.data=.mm.FastMath.data',
      '--rename-section',
      '.mm.shapes.bss=.mm.FastMath.bss',
      FIXTURE,
      elf,
    ]);
    const r = esp32mm(['split', elf, '--out', join(dir, 'out')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/libraries "\w+" and "\w+" differ only in case/);
    expect(tree(dir)).toEqual(['fw.elf']);
  });
});

// A plain ld link: no mutation. The library's bss opens a NOBITS-only segment that the
// firmware's .bss shares, and in the second layout it sits between firmware data and bss.
const LIB = 'int lib_buf[16];\nint lib_fn(int x) { return x * 3 + lib_buf[x & 15]; }\n';
const FW =
  'extern int lib_fn(int);\nint fw_buf[8];\nint fw_value = 11;\nvoid _start(void) { for (;;) fw_value = lib_fn(fw_value) + fw_buf[1]; }\n';

function link(dataSections: string): { dir: string; elf: string } {
  const dir = tempDir('esp32mm-bss-');
  writeFileSync(join(dir, 'lib.c'), LIB);
  writeFileSync(join(dir, 'fw.c'), FW);
  writeFileSync(
    join(dir, 'fw.ld'),
    `ENTRY(_start)
MEMORY { iram (RX) : org = 0x40080000, len = 0x10000
         dram (RW) : org = 0x3FFB0000, len = 0x10000 }
PHDRS { code PT_LOAD; lib PT_LOAD; data PT_LOAD; bss PT_LOAD; }
SECTIONS {
  .fw.text : { *fw.o(.literal .text .literal.* .text.*) . = ALIGN(4); } > iram :code
  .mm.lib.text : { *lib.o(.literal .text .literal.* .text.*) . = ALIGN(4); } > iram :lib
  ${dataSections}
  /DISCARD/ : { *(.comment) *(.xtensa.info) *(.xt.*) }
}`,
  );
  const cc = ['-Os', '-mlongcalls', '-ffunction-sections', '-fdata-sections', '-fno-common', '-nostdlib', '-c'];
  runOk('xtensa-lx106-elf-gcc', [...cc, 'lib.c', '-o', 'lib.o'], { cwd: dir });
  runOk('xtensa-lx106-elf-gcc', [...cc, 'fw.c', '-o', 'fw.o'], { cwd: dir });
  runOk('xtensa-lx106-elf-ld', ['-T', 'fw.ld', 'fw.o', 'lib.o', '-o', 'fw.elf'], { cwd: dir });
  return { dir, elf: join(dir, 'fw.elf') };
}

describe('library bss in real ld layouts', () => {
  it('a NOBITS-only segment starting with .mm.lib.bss: the stripped ELF reads back (p_filesz 0, not 0xFFFFFFC0)', () => {
    const { dir, elf } = link(`.fw.data : { *fw.o(.data .data.*) } > dram :data
  .mm.lib.bss (NOLOAD) : { *lib.o(.bss .bss.* COMMON) } > dram :bss
  .bss (NOLOAD) : { *fw.o(.bss .bss.* COMMON) } > dram :bss`);
    const bssSegment = readElf(new Uint8Array(readFileSync(elf))).segments.find((p) => p.type === SegmentType.LOAD && p.filesz === 0)!;
    expect(bssSegment.memsz).toBe(0x60);
    const r = esp32mm(['split', elf, '--out', join(dir, 'mm')]);
    expect(r.status, r.stderr).toBe(0);
    readelfClean(elf);
    const after = readElf(new Uint8Array(readFileSync(elf))).segments.find((p) => p.vaddr === bssSegment.vaddr + 0x40)!;
    expect(after).toMatchObject({ filesz: 0, memsz: 0x20 });
  });

  it('.mm.lib.bss between firmware data and bss in one segment: no "sat inside a firmware segment" warning', () => {
    const { dir, elf } = link(`.fw.data : { *fw.o(.data .data.*) } > dram :data
  .mm.lib.bss (NOLOAD) : { *lib.o(.bss .bss.* COMMON) } > dram :data
  .bss (NOLOAD) : { *fw.o(.bss .bss.* COMMON) } > dram :data`);
    const r = esp32mm(['split', elf, '--out', join(dir, 'mm')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/sat inside a firmware segment/);
    readelfClean(elf);
    const json = esp32mm(['split', join(dir, 'fw.full.elf'), '--out', join(dir, 'mm2'), '--json']);
    // The hole is still reported in the result; it just costs no image bytes.
    expect(JSON.parse(json.stdout).holes).toEqual([{ section: '.mm.lib.bss', segment: 2, fileBytes: 0 }]);
  });
});

describe('inputs that are not regular files', () => {
  const dir = tempDir('esp32mm-input-');
  symlinkSync('/dev/zero', join(dir, 'firmware.elf'));
  execFileSync('mkfifo', [join(dir, 'fifo.elf')]);
  mkdirSync(join(dir, 'folder.elf'));
  copyFileSync(FIXTURE, join(dir, 'real.elf'));
  symlinkSync(join(dir, 'real.elf'), join(dir, 'link.elf'));

  const cases: [string, RegExp][] = [
    ['firmware.elf', /firmware\.elf is a character device, not a regular file/],
    ['fifo.elf', /fifo\.elf is a FIFO \(named pipe\), not a regular file/],
    ['folder.elf', /folder\.elf is a folder, not a regular file/],
    ['missing.elf', /cannot read the ELF file .*missing\.elf: no such file \(build the project first\)/],
  ];
  for (const [name, message] of cases) {
    it(`split, inspect and map refuse ${name} at once`, () => {
      for (const args of [
        ['split', join(dir, name), '--out', join(dir, 'mm')],
        ['inspect', join(dir, name)],
        ['map', join(dir, name)],
      ]) {
        const r = esp32mm(args);
        expect(r.status, `${args[0]}: ${r.stderr}`).toBeGreaterThan(0);
        expect(r.stderr, args[0]).toMatch(
          args[0] === 'split' ? message : new RegExp(message.source.replace(/ \\\(build the project first\\\)/, '')),
        );
      }
      expect(existsSync(join(dir, 'mm'))).toBe(false);
    });
  }

  it('a symlink to a real ELF is followed', () => {
    const r = esp32mm(['inspect', join(dir, 'link.elf')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Dynamic libraries \(4\)/);
  });
});

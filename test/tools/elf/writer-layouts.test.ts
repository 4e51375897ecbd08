// Segment fixing in the writer, on firmware linked by the real Xtensa linker with library
// sections deliberately placed inside firmware segments: at the end of one (the segment is
// shrunk), at its start (shrunk from the front) and in its middle (a reported hole whose
// bytes are zeroed).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../../src/core/elf/reader';
import { splitFirmware } from '../../../src/core/split/split';
import { readelfSegments, run, runOk, tempDir } from '../../helpers/tools';

const SOURCE = `
int lib_value = 7;
int lib_fn(int x) { return x * 3 + lib_value; }
int fw_value = 11;
int fw_fn(int x) { return lib_fn(x) + fw_value; }
void _start(void) { for (;;) fw_fn(fw_value); }
`;

/** One PT_LOAD for code holding firmware and library text in the given order. */
function script(order: string[]): string {
  const parts: Record<string, string> = {
    lib: '.mm.lib.text : { *lib.o(.literal .text .literal.* .text.*) . = ALIGN(4); } > iram :code',
    fwA: '.fw.a : { *fw.o(.literal.fw_fn .text.fw_fn) . = ALIGN(4); } > iram :code',
    fwB: '.fw.b : { *fw.o(.literal._start .text._start) . = ALIGN(4); } > iram :code',
  };
  return `ENTRY(_start)
MEMORY { iram (RX) : org = 0x40080000, len = 0x10000
         dram (RW) : org = 0x3FFB0000, len = 0x10000 }
PHDRS { code PT_LOAD; data PT_LOAD; }
SECTIONS {
  ${order.map((k) => parts[k]).join('\n  ')}
  .mm.lib.data : { *lib.o(.data .data.*) } > dram :data
  .fw.data : { *fw.o(.data .data.*) } > dram :data
  /DISCARD/ : { *(.comment) *(.xtensa.info) *(.xt.*) }
}`;
}

function build(order: string[]) {
  const dir = tempDir('esp32mm-layout-');
  const [lib, fw] = SOURCE.trim()
    .split('\nint fw_value')
    .map((s, i) => (i ? 'int fw_value' + s : s));
  writeFileSync(join(dir, 'lib.c'), lib + '\n');
  writeFileSync(join(dir, 'fw.c'), 'extern int lib_fn(int);\n' + fw + '\n');
  writeFileSync(join(dir, 'fw.ld'), script(order));
  const cc = ['-Os', '-mlongcalls', '-ffunction-sections', '-fdata-sections', '-nostdlib', '-c'];
  runOk('xtensa-lx106-elf-gcc', [...cc, 'lib.c', '-o', 'lib.o'], { cwd: dir });
  runOk('xtensa-lx106-elf-gcc', [...cc, 'fw.c', '-o', 'fw.o'], { cwd: dir });
  runOk('xtensa-lx106-elf-ld', ['-T', 'fw.ld', 'fw.o', 'lib.o', '-o', 'fw.elf'], { cwd: dir });
  const original = new Uint8Array(readFileSync(join(dir, 'fw.elf')));
  const result = splitFirmware(original);
  writeFileSync(join(dir, 'stripped.elf'), result.strippedElf);
  return { dir, original: readElf(original), result, stripped: join(dir, 'stripped.elf') };
}

function checkClean(path: string) {
  const r = run('xtensa-lx106-elf-readelf', ['-a', '-W', path]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

describe('writer: removed sections at segment edges and in the middle (xtensa ld)', () => {
  it('library text at the end of the code segment: segment shrunk, no hole', () => {
    const b = build(['fwA', 'fwB', 'lib']);
    checkClean(b.stripped);
    const lib = b.original.section('.mm.lib.text')!;
    const code = readelfSegments(b.stripped).find((p) => p.vaddr === 0x40080000)!;
    expect(code.vaddr + code.memsz).toBe(lib.addr);
    expect(b.result.holes).toEqual([]);
  });

  it('library text at the start of the code segment: segment starts after it', () => {
    const b = build(['lib', 'fwA', 'fwB']);
    checkClean(b.stripped);
    const lib = b.original.section('.mm.lib.text')!;
    const code = readelfSegments(b.stripped).find((p) => p.memsz > 0 && p.vaddr >= 0x40080000 && p.vaddr < 0x40090000)!;
    expect(code.vaddr).toBe(lib.addr + lib.size);
    expect(code.paddr).toBe(code.vaddr);
    expect(b.result.holes).toEqual([]);
  });

  it('library text in the middle: a hole reported with its bytes, zeroed in the image', () => {
    const b = build(['fwA', 'lib', 'fwB']);
    checkClean(b.stripped);
    const lib = b.original.section('.mm.lib.text')!;
    expect(b.result.holes).toEqual([{ section: '.mm.lib.text', segment: 0, fileBytes: lib.size }]);
    expect(b.result.warnings.map((w) => w.message).join('\n')).toMatch(
      /\.mm\.lib\.text sat inside a firmware segment: its \d+ bytes were zeroed/,
    );
    // the warning names its library (the extension marks it on custom_mm_libs)
    expect(b.result.warnings.find((w) => /sat inside/.test(w.message))?.library).toBe('lib');
    const stripped = readElf(new Uint8Array(readFileSync(b.stripped)));
    const code = stripped.segments.find((p) => p.vaddr === 0x40080000)!;
    const at = code.offset + (lib.addr - code.vaddr);
    expect(stripped.bytes.subarray(at, at + lib.size).every((x) => x === 0)).toBe(true);
    // The firmware's own code on both sides of the hole is untouched.
    for (const name of ['.fw.a', '.fw.b'])
      expect(stripped.sectionData(stripped.section(name)!)).toEqual(b.original.sectionData(b.original.section(name)!));
  });
});

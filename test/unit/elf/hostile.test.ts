// What the writer trusts, checked (issue 14 item 5): sections over the headers, alignments
// no real file has, and the writer reading back its own output. Each case is one field of
// the committed fixture changed; before these checks the split returned a broken ELF or
// allocated hundreds of MiB.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../../src/core/elf/reader';
import { ElfError } from '../../../src/core/elf/types';
import { removeSections } from '../../../src/core/elf/writer';
import { splitFirmware } from '../../../src/core/split/split';
import { fixtureElfs } from '../../helpers/tools';

const FIXTURE = fixtureElfs().find((f) => f.endsWith('xtensa/fw.elf'))!;
const original = new Uint8Array(readFileSync(FIXTURE));
const elf = readElf(original);
const h = elf.header;

/** The fixture with one 32-bit field of section `name`'s header set (ELF32 offsets). */
function withSectionField(name: string, fieldOffset: number, value: number): Uint8Array {
  const s = elf.section(name)!;
  const copy = original.slice();
  new DataView(copy.buffer).setUint32(h.shoff + s.index * h.shentsize + fieldOffset, value, true);
  return copy;
}
const SH_OFFSET = 16,
  SH_ADDRALIGN = 32;

function elfError(f: () => unknown): ElfError {
  try {
    f();
  } catch (e) {
    if (e instanceof ElfError) return e;
    throw e;
  }
  throw new Error('expected an ElfError, nothing was thrown');
}

describe('ELF input the writer must not trust', () => {
  it('a removed section whose bytes lie over the ELF header is refused, naming its section header', () => {
    const lib = elf.section('.mm.fastmath.text')!;
    const e = elfError(() => splitFirmware(withSectionField('.mm.fastmath.text', SH_OFFSET, 0)));
    expect(e.message).toMatch(/section \.mm\.fastmath\.text .* overlaps the ELF file header/);
    expect(e.offset).toBe(h.shoff + lib.index * h.shentsize);
  });

  it('a section over the program header table is refused too', () => {
    const e = elfError(() => readElf(withSectionField('.mm.fastmath.text', SH_OFFSET, h.phoff + 8)));
    expect(e.message).toMatch(/overlaps the program header table/);
  });

  it('a table aligned to more than the whole file is refused instead of a 256 MiB output', () => {
    const e = elfError(() => splitFirmware(withSectionField('.symtab', SH_ADDRALIGN, 0x10000000)));
    expect(e.message).toMatch(/section \.symtab has alignment 0x10000000, larger than the whole file \(11428 bytes\)/);
    expect(e.offset).toBe(elf.sectionHeaderOffset(elf.section('.symtab')!));
    // 2^31 on the string table: the 4 GiB case.
    expect(() => splitFirmware(withSectionField('.strtab', SH_ADDRALIGN, 0x80000000))).toThrow(/larger than the whole file/);
  });

  it('every other huge section or segment alignment still gives an output no larger than the input plus its rebuilt tables', () => {
    // A pinned alignment keeps every old file offset, so the output may be the input plus
    // what the split writes anew (symbol and string tables, placeholder names, the marker);
    // a huge alignment honoured would add hundreds of MiB.
    const rebuilt = (e: ReturnType<typeof readElf>) =>
      e.sections
        .filter((s) => ['.symtab', '.strtab', '.shstrtab', '.esp32mm'].includes(s.name))
        .reduce((n, s) => n + s.size, e.header.shnum * e.header.shentsize);
    const growth = Math.max(0, rebuilt(readElf(splitFirmware(original).strippedElf)) - rebuilt(elf));
    const cases: Uint8Array[] = elf.sections
      .filter((s) => s.index > 0 && !['.symtab', '.strtab', '.shstrtab'].includes(s.name))
      .map((s) => withSectionField(s.name, SH_ADDRALIGN, 0x40000000));
    for (const p of elf.segments) {
      const copy = original.slice();
      new DataView(copy.buffer).setUint32(h.phoff + p.index * h.phentsize + 28, 0x80000000, true);
      cases.push(copy);
    }
    for (const bytes of cases) {
      try {
        expect(splitFirmware(bytes).strippedElf.length).toBeLessThanOrEqual(original.length + growth);
      } catch (e) {
        expect(e).toBeInstanceOf(ElfError);
      }
    }
  });

  it('an alignment that is not a power of two is named with its offset', () => {
    const e = elfError(() => readElf(withSectionField('.iram0.text', SH_ADDRALIGN, 12)));
    expect(e.message).toMatch(/section \d+ has alignment 12, which is not a power of two/);
    expect(e.offset).toBe(elf.sectionHeaderOffset(elf.section('.iram0.text')!) + SH_ADDRALIGN);
  });

  it('an ELF header size beyond the file is refused', () => {
    const copy = original.slice();
    new DataView(copy.buffer).setUint16(40, 0xffff, true);
    expect(() => readElf(copy)).toThrow(/ELF header size 65535/);
  });

  it('the writer reads its output back: what it wrote parses and keeps every kept section', () => {
    const r = removeSections(elf, ['.mm.fastmath.text']);
    const back = readElf(r.bytes);
    expect(back.sections.map((s) => s.name)).toEqual(elf.sections.filter((s) => s.name !== '.mm.fastmath.text').map((s) => s.name));
  });
});

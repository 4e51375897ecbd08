// Our ELF reader against the real readelf: every section, segment and symbol, on every
// fixture firmware, on an ELF64 system binary, on a host-compiled ELF64 with .symtab and on
// a big-endian ELF made by objcopy.
import { readFileSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../../src/core/elf/reader';
import { SectionType } from '../../../src/core/elf/types';
import { fixtureElfs, readelfSections, readelfSegments, readelfSymbols, runOk, tempDir } from '../../helpers/tools';

const SEGMENT_TYPES: Record<number, string> = {
  1: 'LOAD',
  2: 'DYNAMIC',
  3: 'INTERP',
  4: 'NOTE',
  6: 'PHDR',
  7: 'TLS',
  0x70000003: 'RISCV_ATTRIBUT',
  0x6474e550: 'GNU_EH_FRAME',
  0x6474e551: 'GNU_STACK',
  0x6474e552: 'GNU_RELRO',
  0x6474e553: 'GNU_PROPERTY',
};

function extraElfs(): string[] {
  const dir = tempDir('esp32mm-elf64-');
  writeFileSync(
    join(dir, 'hello.c'),
    'int counter; const char msg[] = "hi"; int add(int a, int b) { return a + b + counter; }\nint main(void) { return add(1, 2); }\n',
  );
  runOk('gcc', ['-O1', '-o', join(dir, 'hello64'), join(dir, 'hello.c')]);
  // Big-endian ELF32 and ELF64 (PowerPC relocatables) made by binutils-multiarch's objcopy.
  writeFileSync(join(dir, 'blob.bin'), Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff)));
  runOk('objcopy', ['-I', 'binary', '-O', 'elf32-powerpc', '-B', 'powerpc', 'blob.bin', 'be32.o'], { cwd: dir });
  runOk('objcopy', ['-I', 'binary', '-O', 'elf64-powerpc', '-B', 'powerpc', 'blob.bin', 'be64.o'], { cwd: dir });
  copyFileSync('/bin/ls', join(dir, 'ls'));
  return [join(dir, 'hello64'), join(dir, 'be32.o'), join(dir, 'be64.o'), join(dir, 'ls')];
}

const files = [...fixtureElfs(), ...extraElfs()];

describe('ELF reader agrees with readelf', () => {
  it('has fixtures to check', () => {
    expect(fixtureElfs().length).toBeGreaterThanOrEqual(2);
  });

  for (const file of files) {
    describe(file.split('/').slice(-2).join('/'), () => {
      const elf = readElf(new Uint8Array(readFileSync(file)));

      it('sections', () => {
        const ours = elf.sections.slice(1).map((s) => ({
          index: s.index,
          name: s.name,
          addr: s.addr,
          offset: s.offset,
          size: s.size,
          link: s.link,
          info: s.info,
          align: s.addralign,
        }));
        const theirs = readelfSections(file).map((s) => ({
          index: s.index,
          name: s.name,
          addr: s.addr,
          offset: s.offset,
          size: s.size,
          link: s.link,
          info: s.info,
          align: s.align,
        }));
        expect(ours).toEqual(theirs);
      });

      it('segments', () => {
        const ours = elf.segments.map((p) => ({
          type: SEGMENT_TYPES[p.type] ?? `0x${p.type.toString(16)}`,
          offset: p.offset,
          vaddr: p.vaddr,
          paddr: p.paddr,
          filesz: p.filesz,
          memsz: p.memsz,
        }));
        expect(ours).toEqual(readelfSegments(file));
      });

      for (const table of ['.symtab', '.dynsym']) {
        it(`symbols of ${table}`, () => {
          const section = elf.sections.find((s) => s.name === table);
          const ours = section ? elf.symbolsOf(section) : [];
          const theirs = readelfSymbols(file, table);
          expect(ours.length).toBe(theirs.length);
          ours.forEach((s, i) => {
            const t = theirs[i];
            expect({ index: s.index, value: s.value, size: s.size }).toEqual({ index: t.index, value: t.value, size: t.size });
            // readelf names nameless section symbols after their section, and appends
            // symbol versions (name@VER (n)) in .dynsym
            const expected = s.name === '' && s.type === 3 ? elf.sections[s.shndx].name : s.name;
            expect(table === '.dynsym' ? t.name.replace(/@.*$/, '') : t.name).toBe(expected);
            const ndx = s.shndx === 0 ? 'UND' : s.shndx === 0xfff1 ? 'ABS' : s.shndx === 0xfff2 ? 'COM' : String(s.shndx);
            expect(t.ndx).toBe(ndx);
          });
          if (table === '.symtab' && section) expect(section.type).toBe(SectionType.SYMTAB);
        });
      }
    });
  }
});

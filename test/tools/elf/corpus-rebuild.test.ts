// The corpus ELF rebuild (test/helpers/corpus-elf.ts) against the real readelf: for every
// case of the real-builds corpus, the rebuilt ELF is written out and Debian's readelf
// (binutils) and the chip's cross readelf print `-h`, `-S -W`, `-l -W` and `-s -W` exactly as
// the case's txt files, which readelf printed for the original firmware.elf. Our reader sees
// the same sections, segments and symbols.
//
// Lines allowed to differ, and why:
// - the "Key to Flags" legend under `-S`: it describes readelf (it changes between binutils
//   versions), not the file;
// - the section rows of a string table the rebuild had to move to the end of the file
//   because our names did not fit in the original size (`RebuiltElf.moved`; on this corpus
//   none: ours come out exactly as large as the linker's).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readElf } from '../../../src/core/elf/reader';
import { SymbolType } from '../../../src/core/elf/types';
import { corpusAvailable, corpusCases, reportMissingCorpus } from '../../helpers/corpus';
import { readCorpusTables, rebuildCorpusElfDetails, sectionFlagsFromLetters } from '../../helpers/corpus-elf';
import { binutilsFor, runOk, tempDir } from '../../helpers/tools';

const TABLES = [
  { file: 'elf-header.txt', args: ['-h'] },
  { file: 'elf-sections.txt', args: ['-S', '-W'] },
  { file: 'elf-segments.txt', args: ['-l', '-W'] },
  { file: 'elf-symbols.txt', args: ['-s', '-W'] },
];

/** Drops the lines that may differ (see the top of the file). */
function comparable(text: string, movedNames: string[]): string[] {
  const lines = text.split('\n');
  const key = lines.findIndex((l) => l.startsWith('Key to Flags:'));
  const kept = key >= 0 ? lines.slice(0, key) : lines;
  return kept.filter((l) => !movedNames.some((n) => new RegExp(`^\\s*\\[\\s*\\d+\\] ${n.replace(/\./g, '\\.')} `).test(l)));
}

describe('section flag letters', () => {
  it('map to the ELF bits binutils documents', () => {
    expect(sectionFlagsFromLetters('WAX')).toBe(7);
    expect(sectionFlagsFromLetters('MS')).toBe(0x30);
    expect(sectionFlagsFromLetters('AIL')).toBe(0xc2);
    expect(sectionFlagsFromLetters('OGTC')).toBe(0xf00);
    expect(sectionFlagsFromLetters('')).toBe(0);
    expect(() => sectionFlagsFromLetters('Ap')).toThrow(/p/);
  });
});

describe('corpus ELF rebuild matches readelf of the original', () => {
  if (!corpusAvailable()) {
    reportMissingCorpus();
    return;
  }

  const dir = tempDir('esp32mm-corpus-elf-');
  afterAll(() => rmSync(dir, { recursive: true, force: true })); // ~55 MB of rebuilt ELFs
  for (const c of corpusCases()) {
    describe(c.name, () => {
      const rebuilt = rebuildCorpusElfDetails(c);
      const path = join(dir, `${c.name}.elf`);
      writeFileSync(path, rebuilt.bytes);
      const moved = rebuilt.moved.map((m) => m.name);

      it('string tables fit where they were', () => {
        console.log(
          `${c.name}: ${rebuilt.stringTables.map((s) => `${s.name} ${s.ours}/${s.original} B`).join(', ')}` +
            (moved.length ? `; moved to the end: ${moved.join(', ')}` : ''),
        );
        expect(rebuilt.moved).toEqual([]);
        expect(rebuilt.bytes.length).toBe(Number(readFileSync(join(c.dir, 'elf-bytes.txt'), 'utf8').trim()));
      });

      // Debian's multi-target readelf and the chip's own cross readelf
      for (const readelf of ['readelf', `${binutilsFor(path)}readelf`]) {
        it(`${readelf} prints the case's tables`, () => {
          for (const t of TABLES) {
            const ours = runOk(readelf, [...t.args, path]);
            const theirs = readFileSync(join(c.dir, t.file), 'utf8');
            expect(comparable(ours, moved), `${readelf} ${t.args.join(' ')} vs ${t.file}`).toEqual(comparable(theirs, moved));
          }
        });
      }

      it('readElf sees the same sections, segments and symbols', () => {
        const tables = readCorpusTables(c);
        const elf = readElf(rebuilt.bytes);
        const movedTo = new Map(rebuilt.moved.map((m) => [m.name, m]));
        expect(elf.header.machine).toBe(tables.header.machine);
        expect(elf.header.entry).toBe(tables.header.entry);
        expect(elf.header.flags).toBe(tables.header.flags);
        expect(
          elf.sections.map((s) => ({
            index: s.index,
            name: s.name,
            type: s.type,
            flags: s.flags,
            addr: s.addr,
            offset: s.offset,
            size: s.size,
            entsize: s.entsize,
            link: s.link,
            info: s.info,
            align: s.addralign,
          })),
        ).toEqual(
          tables.sections.map((s) => {
            const m = movedTo.get(s.name);
            return { ...s, offset: m ? m.offset[1] : s.offset, size: m ? m.size[1] : s.size };
          }),
        );
        expect(elf.segments.map(({ index: _, ...p }) => p)).toEqual(tables.segments);
        const syms = elf.symbols();
        expect(syms.length).toBe(tables.symbols.length - 1);
        expect(
          syms.map((s) => ({
            index: s.index,
            name: s.type === SymbolType.SECTION && s.name === '' ? elf.sections[s.shndx].name : s.name,
            value: s.value,
            size: s.size,
            type: s.type,
            bind: s.binding,
            other: s.other,
            shndx: s.shndx,
          })),
        ).toEqual(tables.symbols.slice(1));
      });
    });
  }
});

// Our reader against an independent JavaScript parser (elfinfo, a devDependency used only
// here and in bench/): sections, segments and symbols of every committed fixture.
import { readFileSync } from 'node:fs';
import { open } from 'elfinfo';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../../src/core/elf/reader';
import { fixtureElfs } from '../../helpers/tools';

const num = (v: number | bigint) => Number(v);

describe('ELF reader agrees with elfinfo', () => {
  it('has fixtures', () => expect(fixtureElfs().length).toBeGreaterThanOrEqual(2));

  for (const file of fixtureElfs()) {
    it(file.split('/').slice(-2).join('/'), async () => {
      const bytes = readFileSync(file);
      const ours = readElf(new Uint8Array(bytes));
      const theirs = await open(bytes);
      expect(theirs.success).toBe(true);
      const t = theirs.elf!;
      expect(ours.sections.slice(1).map((s) => [s.name, s.type, s.flags, s.addr, s.offset, s.size, s.link, s.info])).toEqual(
        t.sections.slice(1).map((s) => [s.name, s.type, num(s.flags), num(s.addr), num(s.offset), num(s.size), s.link, s.info]),
      );
      expect(ours.segments.map((p) => [p.type, p.offset, p.vaddr, p.paddr, p.filesz, p.memsz, p.flags])).toEqual(
        t.segments.map((p) => [p.type, num(p.offset), num(p.vaddr), num(p.paddr), num(p.filesz), num(p.memsz), p.flags]),
      );
      const symtab = t.sections.find((s) => s.name === '.symtab') as unknown as {
        symbols: { name: string; value: number | bigint; size: number | bigint; shndx: number; type: number; binding: number }[];
      };
      const theirSymbols = symtab.symbols.slice(1).map((s) => [s.name, num(s.value), num(s.size), s.shndx, s.type, s.binding]);
      expect(ours.symbols().map((s) => [s.name, s.value, s.size, s.shndx, s.type, s.binding])).toEqual(theirSymbols);
      // The prefix lookup (the memory map's path), on a fresh reader so no full decode is cached.
      const prefixed = readElf(new Uint8Array(bytes)).symbolsStartingWith('_');
      const theirPrefixed = theirSymbols.filter(([name]) => (name as string).startsWith('_'));
      expect(theirPrefixed.length).toBeGreaterThan(0);
      expect(prefixed.map((s) => [s.name, s.value, s.size, s.shndx, s.type, s.binding])).toEqual(theirPrefixed);
    });
  }
});

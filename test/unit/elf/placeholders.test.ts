// Placeholders the writer leaves for removed sections (issue 13, crash decoding): NOBITS at
// the removed section's address, in no segment, keeping the symbols that pointed into it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadableBytes, readElf } from '../../../src/core/elf/reader';
import { ElfError, SectionType } from '../../../src/core/elf/types';
import { removeSections } from '../../../src/core/elf/writer';
import { fixtureElfs } from '../../helpers/tools';

const elf = readElf(new Uint8Array(readFileSync(fixtureElfs().find((f) => f.endsWith('xtensa/fw.elf'))!)));
const removed = ['.mm.fastmath.text', '.mm.fastmath.data', '.mm.fastmath.bss'];
const names = new Map(removed.map((n) => [n, n.replace('.mm.', '.stub.')]));

describe('removeSections with placeholders', () => {
  const plain = removeSections(elf, removed);
  const stubbed = removeSections(elf, removed, [], [], { placeholders: names });
  const out = readElf(stubbed.bytes);

  it('leaves a NOBITS section with the old address, size and flags, in no segment', () => {
    for (const name of removed) {
      const old = elf.section(name)!;
      const p = out.section(names.get(name)!)!;
      expect({ type: p.type, addr: p.addr, size: p.size, flags: p.flags }).toEqual({
        type: SectionType.NOBITS,
        addr: old.addr,
        size: old.size,
        flags: old.flags,
      });
      expect(out.segments.filter((s) => out.sectionsInSegment(s).includes(p))).toEqual([]);
    }
    expect(stubbed.placeholders.map((s) => s.name)).toEqual([...names.values()]);
  });

  it('keeps the symbols of the removed sections, pointing at their placeholder', () => {
    expect(plain.droppedSymbols).toBeGreaterThan(0);
    expect(stubbed.droppedSymbols).toBe(0);
    const dot = out.symbol('fm_dot')!;
    expect(dot.value).toBe(elf.symbol('fm_dot')!.value);
    expect(out.sections[dot.shndx].name).toBe('.stub.fastmath.text');
  });

  it('changes no segment and no loadable byte', () => {
    expect(stubbed.segments).toEqual(plain.segments);
    expect(loadableBytes(out.segments)).toBe(loadableBytes(readElf(plain.bytes).segments));
  });

  it('refuses a placeholder name that a kept section has', () => {
    expect(() => removeSections(elf, removed, [], [], { placeholders: new Map([['.mm.fastmath.text', '.flash.text']]) })).toThrow(ElfError);
    expect(() => removeSections(elf, removed, [], [], { placeholders: new Map([['.mm.fastmath.text', '.flash.text']]) })).toThrow(
      /placeholder \.flash\.text for \.mm\.fastmath\.text would have the name of a section that stays/,
    );
  });
});

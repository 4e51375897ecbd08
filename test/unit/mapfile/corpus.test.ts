// The map parser on the real-builds corpus: 16 ESP-IDF builds made by Espressif's toolchains
// (GCC 8.2 to 14.2, ESP-IDF 4.1 to 5.5, Linux and Windows). Each case's independent count
// (expected/independent-count.json), made from the map without this parser, must come out of
// the parser's records byte for byte: per output section, per archive and per object file.
// Without the corpus this file fails, unless ESP32MM_CORPUS_OPTIONAL=1 makes it a visible skip.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  baseName,
  decodeMapFile,
  parseMapFile,
  splitArchiveMember,
  type MapFile,
  type MapOutputSection,
} from '../../../src/core/mapfile/parse';
import { corpusAvailable, corpusCases, corpusExpected, type CorpusCase, reportMissingCorpus } from '../../helpers/corpus';

interface IndependentCount {
  sections: Record<string, { addr: number; size: number; inputs: number; fill: number; data: number }>;
  libraries: Record<string, { bySection: Record<string, number> }>;
  objects: Record<string, number>;
}

/** Bytes per key, adding up. */
class Tally {
  readonly bytes: Record<string, number> = {};
  add(key: string, n: number): void {
    this.bytes[key] = (this.bytes[key] ?? 0) + n;
  }
}

/**
 * The bytes each record of a section owns, counted as the independent count does: up to where
 * the next record starts (ld lists a merged `.str`/`.cst` blob with its whole size over the
 * records that follow it), the last one up to the end of the section.
 */
function ownedBytes(s: MapOutputSection): number[] {
  return s.inputs.map((r, k) => {
    if (r.kind !== 'input') return r.size;
    const next = s.inputs[k + 1]?.address ?? s.address + s.size;
    return Math.min(r.size, Math.max(0, next - r.address));
  });
}

/** The parser's records summed the way the independent count sums the map. */
function countRecords(map: MapFile, counted: Set<string>) {
  const sections: Record<string, { address: number; size: number; inputs: number; fill: number; data: number }> = {};
  const libraries: Record<string, Tally> = {};
  const objects = new Tally();
  for (const s of map.sections.filter((x) => counted.has(x.name))) {
    const sum = { address: s.address, size: s.size, inputs: 0, fill: 0, data: 0 };
    ownedBytes(s).forEach((owned, k) => {
      const r = s.inputs[k];
      if (r.kind !== 'input') return void (sum[r.kind] += owned);
      sum.inputs += owned;
      const file = r.file ?? '';
      (libraries[baseName(splitArchiveMember(file).path)] ??= new Tally()).add(s.name, owned);
      objects.add(file, owned);
    });
    sections[s.name] = sum;
  }
  return { sections, libraries, objects: objects.bytes };
}

/** Drops zero entries: the independent count lists only archives and objects that own bytes. */
function nonZero(bytes: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(bytes).filter(([, n]) => n !== 0));
}

/** The allocated sections of the build's ELF (`readelf -S -W`): name, address, size. */
function elfAllocatedSections(c: CorpusCase): { name: string; address: number; size: number }[] {
  const rows = readFileSync(join(c.dir, 'elf-sections.txt'), 'utf8').split('\n');
  const out = [];
  for (const row of rows) {
    const m = /^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]{8})\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]{2}\s+([A-Za-z]*)\s/.exec(row);
    if (m && m[4].includes('A')) out.push({ name: m[1], address: parseInt(m[2], 16), size: parseInt(m[3], 16) });
  }
  return out;
}

if (!corpusAvailable()) {
  reportMissingCorpus();
} else {
  const cases = corpusCases();

  it('corpus present', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  describe.each(cases)('map of $name', (c) => {
    const map = parseMapFile(decodeMapFile(readFileSync(c.mapPath)));
    const expected = corpusExpected<IndependentCount>(c, 'independent-count.json');
    const counted = new Set(Object.keys(expected.sections));
    const got = countRecords(map, counted);

    it('has each output section the independent count lists, once', () => {
      for (const name of counted)
        expect(
          map.sections.filter((s) => s.name === name),
          name,
        ).toHaveLength(1);
    });

    it('adds up per output section: input sections, *fill* and data statements', () => {
      const want = Object.fromEntries(
        Object.entries(expected.sections).map(([name, s]) => [
          name,
          { address: s.addr, size: s.size, inputs: s.inputs, fill: s.fill, data: s.data },
        ]),
      );
      expect(got.sections).toEqual(want);
    });

    it('adds up per archive (base name, `/` and `\\` alike) and output section', () => {
      const want = Object.fromEntries(Object.entries(expected.libraries).map(([lib, l]) => [lib, nonZero(l.bySection)]));
      const have = Object.fromEntries(
        Object.entries(got.libraries)
          .map(([lib, t]) => [lib, nonZero(t.bytes)])
          .filter(([, b]) => Object.keys(b).length > 0),
      );
      expect(have).toEqual(want);
    });

    it('adds up per object file (archive(member) as written)', () => {
      expect(nonZero(got.objects)).toEqual(nonZero(expected.objects));
    });

    it("has every allocated section of the build's ELF at its address with its size", () => {
      const sections = elfAllocatedSections(c);
      expect(sections.length).toBeGreaterThan(3);
      for (const s of sections)
        expect(
          map.sections.find((o) => o.name === s.name),
          s.name,
        ).toMatchObject({ address: s.address, size: s.size });
    });

    it('names the symbol that pulled in each archive member, and the file when there is one', () => {
      expect(map.archiveMembers.length).toBeGreaterThan(100);
      for (const a of map.archiveMembers) {
        expect(a.symbol, `line ${a.line}`).not.toBe('');
        expect(a.referencedBy, `line ${a.line}`).not.toMatch(/^\(/);
      }
      // ESP-IDF requires some components by `-u symbol`: ld lists those without a file.
      expect(map.archiveMembers.some((a) => a.referencedBy === '')).toBe(true);
    });
  });
}

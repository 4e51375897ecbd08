// The map parser reads most memory-map lines on a fast path (`fastLine`, in place, no
// copies) and everything else on a careful one (`line`). Both must read every map to the same
// records: this runs each committed map, and each map of the real-builds corpus when it is
// present (corpus.test.ts says loudly when it is not), through both and compares them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeMapFile, parseMapFile, type MapFile } from '../../../src/core/mapfile/parse';
import { corpusCases } from '../../helpers/corpus';
import { abs } from '../memmap/fixtures';

const EXAMPLE_MAP = 'examples/esp32cam-ai/.pio/build/esp32cam/firmware.map';

/** Every map under test/fixtures (quirks and the Windows variant included) and the example's. */
function committedMaps(): { name: string; path: string }[] {
  const fixtures = readdirSync(abs('test/fixtures'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.map'))
    .sort()
    .map((f) => ({ name: `test/fixtures/${f.split('\\').join('/')}`, path: join(abs('test/fixtures'), f) }));
  return [...fixtures, { name: EXAMPLE_MAP, path: abs(EXAMPLE_MAP) }];
}

/** Everything the parser read, without the count of lines that took the careful path. */
function records(map: MapFile): Omit<MapFile, 'carefulLines'> {
  const { carefulLines: _, ...rest } = map;
  return rest;
}

function expectSamePaths(text: string): MapFile {
  const fast = parseMapFile(text);
  const careful = parseMapFile(text, undefined, { careful: true });
  // Compared part by part first, so that a difference names what differs.
  expect(careful.memory).toEqual(fast.memory);
  expect(careful.archiveMembers).toEqual(fast.archiveMembers);
  expect(careful.discarded).toEqual(fast.discarded);
  expect(careful.sections.map((s) => s.name)).toEqual(fast.sections.map((s) => s.name));
  fast.sections.forEach((s, k) => expect(careful.sections[k], s.name).toEqual(s));
  expect(records(careful)).toEqual(records(fast));
  return fast;
}

describe('fast and careful paths read the same records', () => {
  const maps = committedMaps();

  it('finds the committed maps', () => {
    expect(maps.map((m) => m.name)).toEqual(
      expect.arrayContaining([
        'test/fixtures/mapfiles/variants/windows.map',
        'test/fixtures/mapfiles/quirks/sixty-four-bit-numbers.map',
        'test/fixtures/firmware/out/xtensa/fw.map',
        EXAMPLE_MAP,
      ]),
    );
  });

  it.each(maps)('$name', ({ path }) => {
    const map = expectSamePaths(readFileSync(path, 'utf8'));
    expect(map.sections.length).toBeGreaterThan(0);
  });

  const corpus = corpusCases();
  if (corpus.length > 0) {
    it.each(corpus)('corpus: $name', (c) => {
      const map = expectSamePaths(decodeMapFile(readFileSync(c.mapPath)));
      // The careful path is for the rare lines: headers, patterns, blank lines.
      expect(map.carefulLines).toBeLessThan(map.lines / 10);
    });
  }
});

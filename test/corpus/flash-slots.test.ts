// The corpus tier for flash slots (docs/design.md §6a): for every real build, the default
// flash-slot base computed from the build's own partition table lies above everything the
// app itself has in the instruction window (its `.flash.text`, and on C6/H2 its
// `.flash.rodata`, which shares that window), on a 64 KB page and inside the window.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { instructionWindow, parseChipId } from '../../src/core/chips/chips';
import { validateLinkConfig } from '../../src/core/link/config';
import { decodeMapFile, parseMapFile } from '../../src/core/mapfile/parse';
import { largestAppPartition, parsePartitionFile } from '../../src/core/platformio/partitions';
import { corpusAvailable, corpusCases, reportMissingCorpus } from '../helpers/corpus';

const cases = corpusCases();

describe('default flash-slot base of the real builds', () => {
  if (!corpusAvailable()) {
    reportMissingCorpus();
    return;
  }

  it('has all 16 builds, each with a partition table', () => {
    expect(cases).toHaveLength(16);
    expect(cases.filter((c) => !c.partitionsPath).map((c) => c.name)).toEqual([]);
  });

  for (const c of cases) {
    it(`${c.name} (${c.chip}): above the app's own flash mapping, inside the instruction window`, () => {
      const chip = parseChipId(c.chip)!;
      const window = instructionWindow(chip);
      const app = largestAppPartition(parsePartitionFile(new Uint8Array(readFileSync(c.partitionsPath!)), c.partitionsPath!))!;
      const base = validateLinkConfig({ chip, libs: ['Model'], code: 'flash', largestAppPartition: app.size }).flashCodeAddress!;
      expect(base % 0x10000).toBe(0);
      expect(base).toBeGreaterThanOrEqual(window.start + app.size);
      expect(base).toBeLessThan(window.end);

      const map = parseMapFile(decodeMapFile(readFileSync(c.mapPath)));
      const flashText = map.sections.find((s) => s.name === '.flash.text');
      expect(flashText, 'the map has a .flash.text').toBeDefined();
      expect(flashText!.address).toBeGreaterThanOrEqual(window.start);
      // everything the app has in the window: .flash.text and whatever else is mapped there
      const inWindow = map.sections.filter((s) => s.size > 0 && s.address >= window.start && s.address < window.end);
      expect(inWindow.map((s) => s.name)).toContain('.flash.text');
      const appEnd = Math.max(...inWindow.map((s) => s.address + s.size));
      expect(appEnd).toBeLessThanOrEqual(base);
      // and the app's image (all it maps from flash) fits its partition, as the bound assumes
      expect(appEnd - window.start).toBeLessThanOrEqual(app.size);
    });
  }
});

// The link-map check on the maps of 16 real ESP-IDF builds (../shared/real-builds): every
// archive of each map named as a dynamic library at once. None of these builds used an
// esp32mm fragment, so every library that has bytes must be reported as not in its .mm
// sections, with the bytes per output section that the corpus's independent count gives.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkLinkMap } from '../../../src/core/link/mapcheck';
import { baseName, decodeMapFile, parseMapFile } from '../../../src/core/mapfile/parse';
import { corpusAvailable, corpusCases, corpusExpected, reportMissingCorpus } from '../../helpers/corpus';

interface IndependentCount {
  libraries: Record<string, { bySection: Record<string, number> }>;
}

if (!corpusAvailable()) {
  reportMissingCorpus();
} else {
  describe.each(corpusCases().map((c) => [c.name, c] as const))('link-map check on %s', (_name, c) => {
    const text = decodeMapFile(readFileSync(c.mapPath));
    const map = parseMapFile(text);
    const archives = [...new Set(map.archiveMembers.map((a) => baseName(a.archive)))];
    const libs = archives.map((a) => /^lib(\w+)\.a$/.exec(a)?.[1]).filter((l): l is string => l !== undefined);
    const warnings = checkLinkMap(text, libs);
    const counted = corpusExpected<IndependentCount>(c, 'independent-count.json').libraries;

    it('every archive the link pulled in is seen: none is "not linked"', () => {
      expect(libs.length).toBeGreaterThan(15);
      expect(warnings.filter((w) => w.kind === 'not-linked').map((w) => w.lib)).toEqual([]);
      // Pulled in and then dropped whole by --gc-sections: said so, and nothing counted.
      for (const w of warnings.filter((x) => x.kind === 'gc-discarded')) expect(counted[`lib${w.lib}.a`], w.lib).toBeUndefined();
    });

    it('bytes per output section are those of the independent count, for every library', () => {
      for (const lib of libs) {
        const ours: Record<string, number> = {};
        for (const w of warnings.filter((x) => x.lib === lib))
          for (const s of w.sections ?? []) ours[s.section] = (ours[s.section] ?? 0) + s.bytes;
        expect(ours, lib).toEqual(counted[`lib${lib}.a`]?.bySection ?? {});
      }
    });

    it('no fragment in this link: the warnings say so, not that a rule lost', () => {
      expect(warnings.filter((w) => w.kind === 'rule-lost')).toEqual([]);
      const lib = text.includes('libmain.a(') ? 'main' : 'freertos';
      const w = warnings.find((x) => x.lib === lib && x.kind === 'no-fragment')!;
      expect(w.message).toMatch(new RegExp(`^${lib} is not in its \\.mm sections: \\d+ B in \\.`));
      expect(w.message).toContain(`the map has no .mm.${lib}.* section`);
    });
  });
}

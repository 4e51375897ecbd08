// `esp32mm fragment --check-map` (what the build hook runs after every link) on the maps of
// 16 real ESP-IDF builds (../shared/real-builds): Windows paths, 64-bit numbers, CRLF. With
// no library named it only checks the map; with a library the map shows linked (libmain.a,
// else a component archive no ESP-IDF placement rule names) it warns truly and still exits 0.
// (An archive ESP-IDF keeps in IRAM, such as freertos, is refused: see test/tools/link.)
import { describe, expect, it } from 'vitest';
import { corpusAvailable, corpusCases, reportMissingCorpus } from '../../helpers/corpus';
import { esp32mm } from '../../helpers/tools';
import { readFileSync } from 'node:fs';

/**
 * libmain.a when the build has it, else the first of a few flash-only components that the map
 * shows linked and whose archive no linker-script rule echoed in the map names.
 */
function linkedFlashLibrary(map: string): string {
  if (map.includes('libmain.a(')) return 'main';
  const candidate = ['vfs', 'nvs_flash', 'console', 'cxx', 'pthread', 'driver'].find(
    (n) => map.includes(`lib${n}.a(`) && !map.includes(`*lib${n}.a:`),
  );
  if (!candidate) throw new Error('no flash-only component archive in this map');
  return candidate;
}

if (!corpusAvailable()) {
  reportMissingCorpus();
} else {
  describe.each(corpusCases().map((c) => [c.name, c] as const))('fragment --check-map on %s', (_name, c) => {
    it('no libraries named (no --libs, or --libs ""): exit 0, the map is read', () => {
      for (const args of [[], ['--libs', '']]) {
        const r = esp32mm(['fragment', '--check-map', c.mapPath, ...args]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain('a complete link map; no dynamic libraries named');
        expect(r.stderr).toBe('');
      }
    });

    it('a library the map shows linked: exit 0, it is not in its .mm sections (no fragment in this build)', () => {
      const lib = linkedFlashLibrary(readFileSync(c.mapPath, 'latin1'));
      const r = esp32mm(['fragment', '--check-map', c.mapPath, '--libs', lib]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/cannot read|error/i);
      expect(r.stderr).toMatch(new RegExp(`^warning: ${lib} is not in its \\.mm sections: \\d+ B in `, 'm'));
      expect(r.stderr).toContain(`the map has no .mm.${lib}.* section`);
      expect(r.stderr).not.toContain('nothing from lib');
      // --strict turns the warnings into a failure.
      expect(esp32mm(['fragment', '--check-map', c.mapPath, '--libs', lib, '--strict']).status).toBe(1);
    });
  });
}

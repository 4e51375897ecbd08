// ESP-IDF's own placements on the 16 real builds (../shared/real-builds): every archive that
// an ldgen rule puts in internal RAM (IRAM, DRAM, RTC), named as a dynamic library, is refused
// by `esp32mm fragment --check-map` with the rule that places it. The oracle is a plain line
// scan of the map written here (the rule lines under each output section), independent of
// src/core/link/ldgen.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusAvailable, corpusCases, reportMissingCorpus } from '../../helpers/corpus';
import { esp32mm } from '../../helpers/tools';

/** Archive → rule lines (trimmed) under output sections outside flash. */
function residentRules(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let section = '';
  let inMap = false;
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('Linker script and memory map')) inMap = true;
    if (!inMap) continue;
    if (/^\.\S/.test(line)) section = line.split(/\s+/)[0];
    const m = /^ \*lib(\S+?)\.a:\S*?\((.*)\)$/.exec(line);
    // Rules that take code or data the fragment would move (not e.g. .wifirxiram).
    if (
      !m ||
      section.startsWith('.flash') ||
      !/(^|\s)\.(literal|text|data|rodata|bss|sbss|sdata|srodata)(\s|\.|$)|COMMON/.test(m[2].replace(/EXCLUDE_FILE\([^)]*\)/g, ''))
    )
      continue;
    out.set(m[1], [...(out.get(m[1]) ?? []), line.trim()]);
  }
  return out;
}

if (!corpusAvailable()) {
  reportMissingCorpus();
} else {
  describe.each(corpusCases().map((c) => [c.name, c] as const))('ESP-IDF placement rules in %s', (_name, c) => {
    const rules = residentRules(readFileSync(c.mapPath, 'latin1'));
    // Names a library can have (libclang_rt.builtins.a cannot: '.' is no identifier character).
    const libs = [...rules.keys()].filter((l) => /^[A-Za-z_][\w-]*$/.test(l));

    it('the map has such rules (every ESP-IDF build keeps archives in IRAM)', () => {
      expect(libs.length).toBeGreaterThan(5);
      expect(libs).toContain('esp_ringbuf');
    });

    it('each archive placed resident, named as a library, is an error naming its rule; exit 1', () => {
      const r = esp32mm(['fragment', '--check-map', c.mapPath, '--libs', libs.join(',')]);
      expect(r.status, r.stderr).toBe(1);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: ') && l.includes('ESP-IDF places'));
      expect(errors.map((l) => /^error: ([\w-]+): /.exec(l)![1]).sort()).toEqual([...libs].sort());
      for (const lib of libs) {
        const line = errors.find((l) => l.startsWith(`error: ${lib}: `))!;
        const first = rules.get(lib)![0];
        expect(line, lib).toContain(`\`${first.length > 120 ? first.slice(0, 117) + '…' : first}\``);
        const more = rules.get(lib)!.length - 3;
        if (more > 0) expect(line, lib).toContain(` and ${more} more`);
      }
    });

    it('an archive ESP-IDF leaves in flash gets no such error', () => {
      const text = readFileSync(c.mapPath, 'latin1');
      const flashOnly = ['main', 'json', 'nvs_flash', 'wpa_supplicant', 'console'].find(
        (l) => text.includes(`lib${l}.a(`) && !rules.has(l),
      );
      if (!flashOnly) return;
      const r = esp32mm(['fragment', '--check-map', c.mapPath, '--libs', flashOnly]);
      expect(r.stderr).not.toContain('ESP-IDF places');
    });
  });
}

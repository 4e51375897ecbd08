// Every command that reads a build, as a real CLI process, on every real build of
// ../shared/real-builds (ELFs rebuilt from their readelf tables): inspect, map (with the ELF
// found beside it, as a PlatformIO build leaves it), split (these builds have no dynamic
// libraries: a clear refusal, nothing written) and, where the case ships its platformio.ini,
// init and uninstall on a copy of the project.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusAvailable, corpusCases, reportMissingCorpus, type CorpusCase } from '../helpers/corpus';
import { rebuildCorpusElf } from '../helpers/corpus-elf';
import { esp32mm, tempDir } from '../helpers/tools';

/** A PlatformIO-shaped build folder: firmware.elf, the project's map under its own name, partitions.bin. */
function buildFolder(c: CorpusCase): { dir: string; elf: string } {
  const dir = join(tempDir('esp32mm-corpus-cmd-'), '.pio', 'build', 'env');
  mkdirSync(dir, { recursive: true });
  const elf = join(dir, 'firmware.elf');
  writeFileSync(elf, rebuildCorpusElf(c));
  copyFileSync(c.mapPath, join(dir, basename(c.mapPath)));
  if (c.partitionsPath) copyFileSync(c.partitionsPath, join(dir, 'partitions.bin'));
  return { dir, elf };
}

/** `[env:<name>]` sections of an ini text. */
const envsOf = (ini: string) => [...ini.matchAll(/^\[env:([^\]]+)\]/gm)].map((m) => m[1]);

if (!corpusAvailable()) {
  describe('real-builds corpus', () => reportMissingCorpus());
}

describe.each(corpusCases())('$name', (c) => {
  it("inspect --json: every section of the ELF's table but the null one", () => {
    const { elf } = buildFolder(c);
    const r = esp32mm(['inspect', elf, '--json']);
    expect(r.status, r.stderr).toBe(0);
    // readelf lists the null section [0] too; inspect lists the real ones.
    const sections = readFileSync(join(c.dir, 'elf-sections.txt'), 'utf8')
      .split('\n')
      .filter((l) => /^\s*\[\s*[1-9]\d*\]/.test(l)).length;
    const printed = JSON.parse(r.stdout) as { sections: unknown[] };
    expect(printed.sections.length).toBe(sections);
  });

  it('map finds the project-named map and the partition table beside firmware.elf', () => {
    const { elf } = buildFolder(c);
    const r = esp32mm(['map', elf]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Map: .*${basename(c.mapPath).replace('.', '\\.')} \\(the only map file in `, 'm'));
    expect(r.stdout).toMatch(/^App partition factory\s+0x00010000\s/m);
  });

  it('split refuses a build without dynamic libraries, clearly, and writes nothing', () => {
    const { dir, elf } = buildFolder(c);
    const before = readFileSync(elf);
    const r = esp32mm(['split', elf, '--out', join(dir, 'mm')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no dynamic libraries in this firmware/);
    expect(existsSync(join(dir, 'mm'))).toBe(false);
    expect(readFileSync(elf).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  const ini = join(c.dir, 'platformio.ini');
  const envs = existsSync(ini) ? envsOf(readFileSync(ini, 'utf8')) : [];
  // Cases built with idf.py ship no platformio.ini: there is nothing to install into.
  if (envs.length > 0)
    it('init on a copy of the project, then uninstall: platformio.ini back byte for byte', () => {
      const project = tempDir('esp32mm-corpus-init-');
      const original = readFileSync(ini);
      writeFileSync(join(project, 'platformio.ini'), original);
      const env = envs[0];
      const r = esp32mm(['init', project, '--env', env, '--libs', 'Classifier', '--storage', 'sd']);
      expect(r.status, r.stderr).toBe(0);
      expect(readFileSync(join(project, 'platformio.ini'), 'utf8')).toContain('custom_mm_libs = Classifier');
      expect(existsSync(join(project, 'memory_manager.py'))).toBe(true);
      const u = esp32mm(['init', project, '--uninstall', '--env', env]);
      expect(u.status, u.stderr).toBe(0);
      expect(readFileSync(join(project, 'platformio.ini')).equals(original)).toBe(true);
    });
});

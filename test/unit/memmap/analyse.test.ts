// One rule for a linker map that cannot be read (src/core/memmap/analyse.ts), shared by
// `esp32mm map` and the Memory Map view: a map found beside the ELF falls back to the ELF's
// symbols with a note saying why; a map the caller named is an error.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseBuild } from '../../../src/core/memmap/analyse';
import { MapFileError } from '../../../src/core/mapfile/parse';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'firmware', 'out', 'xtensa');
let dir: string;
let elf: string;
let map: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'esp32mm-analyse-'));
  elf = join(dir, 'firmware.elf');
  map = join(dir, 'firmware.map');
  copyFileSync(join(FIXTURE, 'fw.elf'), elf);
  // a map cut off in the middle of its memory map: not a complete GNU ld map
  const text = readFileSync(join(FIXTURE, 'fw.map'), 'utf8');
  const at = text.indexOf('Linker script and memory map');
  writeFileSync(map, text.slice(0, at + Math.floor((text.length - at) / 2)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('analyseBuild', () => {
  it('a damaged map found beside the ELF: symbols instead, and a note says why', async () => {
    const m = await analyseBuild({ elf });
    expect(m.attribution).not.toBe('map');
    expect(m.notes[0]).toMatch(/^The linker map found beside the ELF could not be read \(.+\); bytes are attributed by symbols instead\.$/);
    expect(m.regions.length).toBeGreaterThan(0);
  });

  it('a damaged map the caller named is an error', async () => {
    await expect(analyseBuild({ elf, map })).rejects.toBeInstanceOf(MapFileError);
  });

  it('a good map is used as it is', async () => {
    const good = join(dir, 'good.map');
    copyFileSync(join(FIXTURE, 'fw.map'), good);
    const m = await analyseBuild({ elf, map: good });
    expect(m.attribution).toBe('map');
  });
});

// The one rule for an ELF that was already split (src/core/split/workflow.ts), used by
// `esp32mm split --again` and the extension's Split Libraries, on the committed fixture
// firmware (four libraries linked at fixed addresses): refused without --again; split again
// from the kept original when it is this ELF's original; refused when the original is gone
// or belongs to another link.
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fullElfPath } from '../../../src/core/split/split';
import { isSplitElf, splitBuild, splitMarkerBuildId } from '../../../src/core/split/workflow';
import { splitCommand } from '../../../src/cli/split';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'firmware', 'out', 'xtensa');
let dir: string;
let elf: string;
const out = () => join(dir, 'sd', 'mm');
const manifest = () => JSON.parse(readFileSync(join(out(), 'manifest.json'), 'utf8'));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'esp32mm-resplit-'));
  elf = join(dir, 'firmware.elf');
  copyFileSync(join(FIXTURE, 'fw.elf'), elf);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('splitBuild', () => {
  it('splits a fresh link and marks it with the build id of the original', async () => {
    const original = readFileSync(elf);
    const r = await splitBuild({ elf, outDir: out() });
    expect(r.resplit).toBe(false);
    expect(isSplitElf(elf)).toBe(true);
    expect(readFileSync(fullElfPath(elf)).equals(original)).toBe(true);
    expect(splitMarkerBuildId(new Uint8Array(readFileSync(elf)))).toBe(r.buildId);
    expect(manifest().buildId).toBe(r.buildId);
  });

  it('refuses an already split ELF without again, and changes nothing', async () => {
    await splitBuild({ elf, outDir: out() });
    const stamp = readdirSync(out()).map((f) => [f, statSync(join(out(), f)).mtimeMs]);
    const before = readFileSync(elf);
    await expect(splitBuild({ elf, outDir: out() })).rejects.toThrow(
      /already split .*split the original .*firmware\.full\.elf.* or rebuild/,
    );
    expect(readFileSync(elf).equals(before)).toBe(true);
    expect(readdirSync(out()).map((f) => [f, statSync(join(out(), f)).mtimeMs])).toEqual(stamp);
  });

  it('with again, splits from the kept original: other libraries, same build id, the original kept as it was', async () => {
    const original = readFileSync(elf);
    const first = await splitBuild({ elf, outDir: out() });
    const libs = first.libraries.map((l) => l.name);
    expect(libs.length).toBeGreaterThan(1);
    const phases: string[] = [];
    const again = await splitBuild({ elf, outDir: join(dir, 'data', 'mm'), libs: [libs[0]], again: true, onPhase: (p) => phases.push(p) });
    expect(phases).toEqual(['read', 'split']);
    expect(again.resplit).toBe(true);
    expect(again.buildId).toBe(first.buildId);
    expect(again.libraries.map((l) => l.name)).toEqual([libs[0]]);
    expect(readFileSync(fullElfPath(elf)).equals(original)).toBe(true);
    // the ELF now lacks only the one library: the other libraries' sections are back
    expect(again.loadableBytesAfter).toBeGreaterThan(first.loadableBytesAfter);
  });

  it('refuses to split again when the original is gone or is another link', async () => {
    await splitBuild({ elf, outDir: out() });
    const full = fullElfPath(elf);
    copyFileSync(join(FIXTURE, 'fw_nomm.elf'), full);
    await expect(splitBuild({ elf, outDir: out(), again: true })).rejects.toThrow(/is the original of another build .*rebuild/);
    rmSync(full);
    await expect(splitBuild({ elf, outDir: out(), again: true })).rejects.toThrow(/its original .* is gone: rebuild/);
  });

  it('stops before writing anything when cancelled', async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(splitBuild({ elf, outDir: out(), signal: abort.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(isSplitElf(elf)).toBe(false);
  });

  it('esp32mm split runs the same rule: refused, then split again with --again', async () => {
    const log = console.log;
    console.log = () => {};
    try {
      expect(await splitCommand.run([elf], { out: out() })).toBe(0);
      await expect(splitCommand.run([elf], { out: out() })).rejects.toThrow(/already split/);
      expect(await splitCommand.run([elf], { out: out(), libs: 'codec', again: true })).toBe(0);
    } finally {
      console.log = log;
    }
    expect(manifest().libraries.map((l: { name: string }) => l.name)).toEqual(['codec']);
  });
});

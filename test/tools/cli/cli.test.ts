// The esp32mm command line as users run it: help, exit codes, messages, --libs, inspect.
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHIP_IDS } from '../../../src/core/chips/chips';
import { esp32mm, fixtureElfs, readelfSections, tempDir } from '../../helpers/tools';

const FW = fixtureElfs().find((f) => f.endsWith('xtensa/fw.elf'))!;

function copyFixture() {
  const dir = tempDir();
  copyFileSync(FW, join(dir, 'firmware.elf'));
  return dir;
}

describe('esp32mm CLI', () => {
  it('lists its commands and exits 2 without one', () => {
    const r = esp32mm([]);
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/split .*\n/);
    expect(r.stdout).toMatch(/inspect /);
  });

  it('--help works for every listed command', () => {
    const names = [...esp32mm(['--help']).stdout.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1]);
    expect(names).toEqual(expect.arrayContaining(['split', 'inspect']));
    for (const name of names) {
      const r = esp32mm([name, '--help']);
      expect(r.status, name).toBe(0);
      expect(r.stdout, name).toMatch(new RegExp(`Usage: esp32mm ${name}`));
    }
  });

  it.each(['map', 'fragment'])('%s --help names every chip of the chip table', (cmd) => {
    const help = esp32mm([cmd, '--help']).stdout;
    for (const id of CHIP_IDS) expect(help, id).toContain(id);
  });

  it('unknown command and unknown option exit 2 with the reason', () => {
    expect(esp32mm(['frobnicate']).stderr).toMatch(/unknown command 'frobnicate'/);
    const r = esp32mm(['split', FW, '--out', '/tmp/x', '--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--bogus'/);
  });

  it('split without --out says so', () => {
    const r = esp32mm(['split', FW]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--out <dir> is required/);
  });

  it('split of a missing file says to build first', () => {
    const r = esp32mm(['split', '/nonexistent/firmware.elf', '--out', '/tmp/x']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot read .*firmware\.elf: no such file \(build the project first\)/);
  });

  it('split of a foreign file names the problem and writes nothing', () => {
    const dir = tempDir();
    const text = join(dir, 'notes.elf');
    writeFileSync(text, 'hello');
    const r = esp32mm(['split', text, '--out', join(dir, 'mm')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/invalid ELF at offset 0x0: file is 5 bytes/);
    expect(existsSync(join(dir, 'mm'))).toBe(false);
  });

  it('--libs with an unknown library lists the ones found and writes nothing', () => {
    const dir = copyFixture();
    const r = esp32mm(['split', join(dir, 'firmware.elf'), '--out', join(dir, 'mm'), '--libs', 'nosuchlib']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/library nosuchlib not found in the firmware .*libraries found: fastmath, shapes, filters, codec/);
    expect(readdirSync(dir)).toEqual(['firmware.elf']);
    expect(readFileSync(join(dir, 'firmware.elf')).equals(readFileSync(FW))).toBe(true);
  });

  it('--libs splits only the named libraries', () => {
    const dir = copyFixture();
    const r = esp32mm(['split', join(dir, 'firmware.elf'), '--out', join(dir, 'mm'), '--libs', 'fastmath']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/fastmath: code \d+ B @ 0x40090000/);
    expect(readdirSync(join(dir, 'mm')).sort()).toEqual(['fastmath_d', 'fastmath_e', 'manifest.json']);
    const left = readelfSections(join(dir, 'firmware.elf'))
      .filter((s) => s.name.startsWith('.mm.'))
      .map((s) => s.name);
    expect(left).toContain('.mm.shapes.text');
    expect(left.some((n) => n.startsWith('.mm.fastmath'))).toBe(false);
  });

  it('inspect --json reports sections, segments, symbols and libraries', () => {
    const r = esp32mm(['inspect', FW, '--json']);
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.sections.length).toBe(readelfSections(FW).length);
    expect(info.libraries.map((l: { name: string }) => l.name)).toEqual(['fastmath', 'shapes', 'filters', 'codec']);
    expect(info.symbols).toBeGreaterThan(10);
    expect(info.split).toBe(false);
    const human = esp32mm(['inspect', FW]);
    expect(human.stdout).toMatch(/Dynamic libraries \(4\):/);
  });
});

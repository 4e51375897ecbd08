import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLinkMap, libraryOfInput, scanMemoryMap } from '../../../src/core/link/mapcheck';

// Maps made by the real lx106 ld (test/fixtures/esp32-ld/build-maps.sh).
const MAPS = join(__dirname, '../../fixtures/esp32-ld/maps');
const map = (name: string) => readFileSync(join(MAPS, name), 'utf8');
const LIBS = ['TinyClassifier', 'ImageFilters', 'Filters'];

/** The same map as a Windows build prints it: drive letter, backslashes, CRLF. */
function windowsMap(text: string): string {
  return text.replace(/(^|\s)build\/([^\s]+)/gm, (_m, pre: string, rest: string) => `${pre}C:\\Users\\dev\\proj\\.pio\\build\\${rest.replace(/\//g, '\\')}`).replace(/\n/g, '\r\n');
}

describe('scanMemoryMap', () => {
  it('reads output sections and their input sections, including wrapped long names', () => {
    const secs = scanMemoryMap(map('fw.map'));
    const tc = secs.find((s) => s.name === '.mm.TinyClassifier.text')!;
    expect(tc.address).toBe(0x4008000c);
    expect(tc.size).toBeGreaterThan(0);
    const names = tc.inputs.map((i) => i.name);
    expect(names).toContain('.literal.tc_classify');
    expect(names).toContain('.text.tc_classify');
    const text = tc.inputs.find((i) => i.name === '.text.tc_classify')!;
    expect(text.file).toBe('build/liba10/libTinyClassifier.a(classifier.c.o)');
    expect(text.symbols).toEqual(['tc_classify']);
    expect(tc.inputs.reduce((n, i) => n + i.size, 0)).toBeLessThanOrEqual(tc.size);
    expect(secs.find((s) => s.name === '.iram0.text')!.inputs.map((i) => i.name)).toContain('.iram1.tc_isr');
  });

  it('reads a Windows map (drive letters, backslashes, CRLF) the same way', () => {
    const unix = scanMemoryMap(map('fw.map'));
    const win = scanMemoryMap(windowsMap(map('fw.map')));
    expect(win.map((s) => [s.name, s.address, s.size, s.inputs.length])).toEqual(unix.map((s) => [s.name, s.address, s.size, s.inputs.length]));
    expect(win.find((s) => s.name === '.mm.Filters.text')!.inputs[0].file).toMatch(/^C:\\Users\\dev\\proj\\\.pio\\build\\liba12\\libFilters\.a\(filters_base\.c\.o\)$/);
  });
});

describe('checkLinkMap', () => {
  it('a good link: only the IRAM_ATTR function that stays resident', () => {
    const w = checkLinkMap(map('fw.map'), LIBS);
    expect(w.map((x) => [x.kind, x.lib])).toEqual([['iram-resident', 'TinyClassifier']]);
    expect(w[0].message).toMatch(/^TinyClassifier: \d+ B of IRAM_ATTR code stays resident in \.iram0\.text \(.*tc_isr\)/);
    expect(checkLinkMap(windowsMap(map('fw.map')), LIBS)).toEqual(w);
  });

  it('loose object files: the rules lost, everything in flash/DRAM, with the lib_archive hint', () => {
    const lost = checkLinkMap(map('loose.map'), LIBS).filter((x) => x.kind === 'rule-lost');
    expect(lost).toHaveLength(1);
    expect(lost[0].message).toContain('.mm.TinyClassifier.text is empty');
    expect(lost[0].message).toMatch(/B in \.flash\.text \(.*tc_classify/);
    expect(lost[0].message).toMatch(/B in \.dram0\.data \(.*tc_weights/);
    expect(lost[0].message).toContain('lib_archive = yes');
  });

  it('an earlier script took one function: partial loss, with the -T order hint', () => {
    const lost = checkLinkMap(map('early.map'), LIBS).filter((x) => x.kind === 'rule-lost');
    expect(lost.map((x) => x.lib)).toEqual(['TinyClassifier']);
    expect(lost[0].message).toContain('part of it is outside .mm.TinyClassifier.*');
    expect(lost[0].message).toMatch(/B in \.iram0\.user \(.*tc_label\)/);
    expect(lost[0].message).toContain('pass the esp32mm fragment with -T before every other linker script');
  });

  it('a library that is not linked at all', () => {
    const w = checkLinkMap(map('fw.map'), ['Camera']);
    expect(w).toEqual([{ kind: 'not-linked', lib: 'Camera', message: expect.stringContaining('nothing from libCamera.a is in the link map') }]);
  });

  it('attributes archives by exact name, never by suffix', () => {
    expect(libraryOfInput('build/x/libImageFilters.a(f.o)', ['Filters'])).toBeUndefined();
    expect(libraryOfInput('build\\x\\libFilters.a(f.o)', ['Filters'])).toEqual({ lib: 'Filters', loose: false });
    expect(libraryOfInput('.pio/build/e/lib1a2/Filters/f.c.o', ['Filters'])).toEqual({ lib: 'Filters', loose: true });
    expect(libraryOfInput('.pio/build/e/src/main.c.o', ['Filters'])).toBeUndefined();
  });
});

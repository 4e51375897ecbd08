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
  return text
    .replace(
      /(^|\s)build\/([^\s]+)/gm,
      (_m, pre: string, rest: string) => `${pre}C:\\Users\\dev\\proj\\.pio\\build\\${rest.replace(/\//g, '\\')}`,
    )
    .replace(/\n/g, '\r\n');
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
    expect(win.map((s) => [s.name, s.address, s.size, s.inputs.length])).toEqual(
      unix.map((s) => [s.name, s.address, s.size, s.inputs.length]),
    );
    expect(win.find((s) => s.name === '.mm.Filters.text')!.inputs[0].file).toMatch(
      /^C:\\Users\\dev\\proj\\\.pio\\build\\liba12\\libFilters\.a\(filters_base\.c\.o\)$/,
    );
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
    expect(w).toEqual([
      {
        kind: 'not-linked',
        severity: 'warning',
        lib: 'Camera',
        message: expect.stringContaining('nothing from libCamera.a is in the link map'),
      },
    ]);
    expect(w[0].message).toMatch(/^Camera: not linked \(removed by --gc-sections or unused\): /);
  });

  it('attributes archives by exact name, never by suffix', () => {
    expect(libraryOfInput('build/x/libImageFilters.a(f.o)', ['Filters'])).toBeUndefined();
    expect(libraryOfInput('build\\x\\libFilters.a(f.o)', ['Filters'])).toEqual({ lib: 'Filters', loose: false });
    expect(libraryOfInput('.pio/build/e/lib1a2/Filters/f.c.o', ['Filters'])).toEqual({ lib: 'Filters', loose: true, pioLib: true });
    expect(libraryOfInput('.pio\\build\\e\\lib1a2\\Filters\\src\\f.c.o', ['Filters'])).toEqual({
      lib: 'Filters',
      loose: true,
      pioLib: true,
    });
    expect(libraryOfInput('.pio/build/e/src/main.c.o', ['Filters'])).toBeUndefined();
  });

  it("loose objects: PlatformIO's lib<hash>/<Name>/ or a folder <Name> right above the file, no other folder of the path", () => {
    // The project's own source folder (PlatformIO with src_dir = main).
    expect(libraryOfInput('.pio/build/esp32dev/main/app_main.c.o', ['main'])).toEqual({ lib: 'main', loose: true, pioLib: false });
    // A build folder named after the environment, the toolchain's lib/gcc/: not libraries.
    expect(libraryOfInput('.pio/build/esp32/src/main.cpp.o', ['esp32'])).toBeUndefined();
    expect(
      libraryOfInput('c:/users/x/.platformio/packages/toolchain-xtensa32/bin/../lib/gcc/xtensa-esp32-elf/8.4.0/crti.o', ['gcc']),
    ).toBeUndefined();
    expect(
      libraryOfInput('c:/users/x/.platformio/packages/toolchain-xtensa32/bin/../lib/gcc/xtensa-esp32-elf/8.4.0/libgcc.a(_divsf3.o)', [
        'gcc',
      ]),
    ).toEqual({ lib: 'gcc', loose: false });
  });

  it('no libraries: nothing to warn about, but the map must still be a map', () => {
    expect(checkLinkMap(map('fw.map'), [])).toEqual([]);
    expect(() => checkLinkMap('not a map\n', [])).toThrow(/not a GNU ld map file/);
  });
});

/** A small map as ld writes it (archive members, discarded sections, memory, memory map). */
function tinyMap(opts: { sections: string; members?: string[]; discarded?: string; crlf?: boolean }): string {
  const text = [
    'Archive member included to satisfy reference by file (symbol)',
    '',
    ...(opts.members ?? []).flatMap((m) => [
      m.length >= 30 ? m : m.padEnd(30) + 'build/src/main.c.o (ref)',
      ...(m.length >= 30 ? ['                              build/src/main.c.o (ref)'] : []),
    ]),
    '',
    'Discarded input sections',
    '',
    opts.discarded ?? '',
    '',
    'Memory Configuration',
    '',
    'Name             Origin             Length             Attributes',
    'iram0_0_seg      0x0000000040080000 0x0000000000020000 xr',
    'dram0_0_seg      0x000000003ffb0000 0x000000000002c200 rw',
    'drom0_0_seg      0x000000003f400010 0x00000000003fffe0 r',
    '*default*        0x0000000000000000 0xffffffffffffffff',
    '',
    'Linker script and memory map',
    '',
    opts.sections,
    'OUTPUT(build/fw.elf elf32-xtensa-le)',
    '',
  ].join('\n');
  return opts.crlf ? text.replace(/\n/g, '\r\n') : text;
}

describe('checkLinkMap on maps of builds without the fragment (real ESP-IDF shapes)', () => {
  const MAIN = '.pio\\build\\esp32dev\\esp-idf\\main\\libmain.a';
  const sections = [
    '.flash.rodata   0x000000003f400020       0x30',
    // ld lists a merged string section with the size of the whole merged blob over the
    // records that follow it: each record owns its bytes only up to where the next starts.
    ' .rodata.app_main.str1.4',
    `                0x000000003f400020       0x28 ${MAIN}(main.c.obj)`,
    ' .rodata.blink.str1.4',
    `                0x000000003f400020        0x8 ${MAIN}(main.c.obj)`,
    ' *fill*         0x000000003f400028        0x8 ',
    ` .rodata.table  0x000000003f400030       0x20 ${MAIN}(main.c.obj)`,
    '',
    '.flash.text     0x00000000400d0020       0x40',
    ' *(.literal .text .literal.* .text.*)',
    ` .text.app_main 0x00000000400d0020       0x40 ${MAIN}(main.c.obj)`,
    '                0x00000000400d0020                app_main',
    '',
    '.iram0.vectors  0x0000000040080000       0x10',
    ` .WindowVectors.text`,
    `                0x0000000040080000       0x10 ${MAIN}(vectors.S.obj)`,
    '                0x0000000040080000                _WindowOverflow4',
    '',
    '.debug_info     0x0000000000000000      0x100',
    ` .debug_info    0x0000000000000000      0x100 ${MAIN}(main.c.obj)`,
    '',
  ].join('\n');

  it('main is not in its .mm sections: bytes per output section (merged strings clipped), the real cause', () => {
    for (const crlf of [false, true]) {
      const w = checkLinkMap(tinyMap({ sections, crlf }), ['main']);
      expect(w.map((x) => x.kind)).toEqual(['no-fragment', 'other-resident']);
      expect(w[0].sections).toEqual([
        { section: '.flash.rodata', bytes: 8 + 0x20 },
        { section: '.flash.text', bytes: 0x40 },
      ]);
      expect(w[0].message).toMatch(
        /^main is not in its \.mm sections: 40 B in \.flash\.rodata \(\.rodata\.blink\.str1\.4, \.rodata\.table\); 64 B in \.flash\.text \(app_main\)/,
      );
      expect(w[0].message).toContain('the map has no .mm.main.* section, so this link did not use an esp32mm fragment that names main');
      expect(w[1].sections).toEqual([{ section: '.iram0.vectors', bytes: 0x10 }]);
      expect(w[1].message).toContain('(_WindowOverflow4)');
    }
  });

  it('a library ld read but dropped whole (--gc-sections) is not "not linked"', () => {
    const text = tinyMap({
      sections,
      members: ['esp-idf/mbedtls/libmbedcrypto.a(sha256.c.obj)'],
      discarded: [
        ' .text.mbedtls_sha256',
        '                0x0000000000000000       0x2a esp-idf/mbedtls/libmbedcrypto.a(sha256.c.obj)',
      ].join('\n'),
    });
    const w = checkLinkMap(text, ['mbedcrypto', 'camera']);
    expect(w.map((x) => [x.kind, x.lib])).toEqual([
      ['gc-discarded', 'mbedcrypto'],
      ['not-linked', 'camera'],
    ]);
    expect(w[0].message).toContain('libmbedcrypto.a is in the link, but ld discarded all of it (1 input sections, --gc-sections)');
  });

  it("the project's own loose objects: no lib_archive hint (that is for lib/ folders)", () => {
    const loose = sections.replaceAll(`${MAIN}(main.c.obj)`, '.pio/build/esp32dev/main/app_main.c.o');
    const withFragment = loose.replace('.debug_info ', '.mm.main.text   0x0000000040080010        0x0\n\n.debug_info ');
    const [w] = checkLinkMap(tinyMap({ sections: withFragment }), ['main']);
    expect(w.kind).toBe('rule-lost');
    expect(w.message).toContain('linked as loose object files (.pio/build/esp32dev/main/app_main.c.o), not from an archive libmain.a');
    expect(w.message).not.toContain('lib_archive');
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateLinkConfig, type LinkConfigInput } from '../../../src/core/link/config';
import { archivePattern, generateFragment } from '../../../src/core/link/fragment';

const gen = (input: LinkConfigInput) => generateFragment(validateLinkConfig(input));

describe('link config', () => {
  it('gives every library not named in a slot its own slot, named after it', () => {
    const c = validateLinkConfig({ chip: 'ESP32-S3', libs: ['A', 'B', 'C'], slots: ['ai: A, B'] });
    expect(c.chip).toBe('esp32s3');
    expect(c.slots).toEqual([
      { name: 'ai', libs: ['A', 'B'], code: 'iram' },
      { name: 'C', libs: ['C'], code: 'iram' },
    ]);
    expect(c).toMatchObject({ code: 'iram', data: 'dram', ctors: 'ctors' }); // Xtensa toolchains emit .ctors
    expect(validateLinkConfig({ chip: 'esp32c6', libs: ['A'] }).ctors).toBe('init_array');
  });

  it.each<[string, LinkConfigInput, RegExp]>([
    ['unknown chip', { chip: 'esp8266', libs: ['A'] }, /unknown chip 'esp8266': use one of esp32, esp32s2/],
    ['no libraries', { chip: 'esp32', libs: [] }, /no libraries given/],
    [
      'name with a character no archive name may have',
      { chip: 'esp32', libs: ['Tiny.Classifier'] },
      /library name 'Tiny.Classifier' cannot be used.*letters, digits, _ and -/,
    ],
    ['name starting with -', { chip: 'esp32', libs: ['-tls'] }, /library name '-tls' cannot be used/],
    [
      'two names with one identifier',
      { chip: 'esp32', libs: ['esp-tls', 'esp_tls'] },
      /'esp-tls' and 'esp_tls' cannot both be dynamic: both become the identifier 'esp_tls'/,
    ],
    [
      'a hyphenated library whose own slot clashes with a slot',
      { chip: 'esp32', libs: ['esp-tls', 'B'], slots: ['esp_tls: B'] },
      /library 'esp-tls' has no slot of its own but a slot with that name exists/,
    ],
    ['library in two slots', { chip: 'esp32', libs: ['A', 'B'], slots: ['x: A', 'y: A B'] }, /'A' is in two slots \('x' and 'y'\)/],
    ['slot names an unknown library', { chip: 'esp32', libs: ['A'], slots: ['x: A Z'] }, /names 'Z', which is not in the library list/],
    ['slot without colon', { chip: 'esp32', libs: ['A'], slots: ['x A'] }, /has no ':'/],
    ['PSRAM data without PSRAM', { chip: 'esp32c3', libs: ['A'], data: 'psram' }, /esp32c3 has no PSRAM/],
    ['PSRAM code on the ESP32', { chip: 'esp32', libs: ['A'], code: 'psram' }, /cannot execute code from PSRAM/],
    ['PSRAM code without address', { chip: 'esp32s3', libs: ['A'], code: 'psram' }, /needs the execution address/],
    [
      'an unknown code placement',
      { chip: 'esp32', libs: ['A'], code: 'rom' },
      /code placement 'rom' is not supported: use iram, psram or flash/,
    ],
  ])('refuses %s with a message saying what to do', (_name, input, message) => {
    expect(() => validateLinkConfig(input)).toThrow(message);
  });
});

describe('hyphenated library names (ESP-IDF components such as esp-tls)', () => {
  const f = gen({ chip: 'esp32', libs: ['esp-tls', 'protobuf-c'], slots: ['net: esp-tls protobuf-c'] });

  it('matches the archive by its own name and derives sections and symbols with - written as _', () => {
    expect(f).toContain('*[/\\\\]libesp-tls.a:*(.literal .literal.* .text .text.*)');
    expect(f).toContain('*[/\\\\]libprotobuf-c.a:*(.data');
    expect(f).toMatch(/^ {4}\.mm\.esp_tls\.text$/m);
    expect(f).toContain('_mm_esp_tls_text_start = ABSOLUTE(.);');
    expect(f).toContain('_mm_slot_net_text_end = MAX(_mm_esp_tls_text_end, _mm_protobuf_c_text_end);');
    // No symbol or section name keeps a hyphen (ld would read `a-b` in an expression as a minus).
    expect(
      f
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/lib[\w-]+\.a/g, '')
        .match(/[\w.]+-[\w.]+/g),
    ).toBeNull();
  });

  it("names a library's own slot by its identifier", () => {
    expect(validateLinkConfig({ chip: 'esp32', libs: ['esp-tls'] }).slots).toEqual([{ name: 'esp_tls', libs: ['esp-tls'], code: 'iram' }]);
  });
});

describe('fragment text', () => {
  it('inserts code after .iram0.text and data after .dram0.data, loading in mm_load_seg', () => {
    const f = gen({ chip: 'esp32', libs: ['TinyClassifier'], ctors: 'init_array' });
    expect(f.indexOf('INSERT AFTER .iram0.text;')).toBeLessThan(f.indexOf('INSERT AFTER .dram0.data;'));
    expect(f).toContain(`${archivePattern('TinyClassifier')}(.literal .literal.* .text .text.*)`);
    expect(f).toContain('*[/\\\\]libTinyClassifier.a:*(.literal');
    expect(f).toMatch(/\.mm\.TinyClassifier\.text : ALIGN\(4\)\n {2}\{[\s\S]*?\} > iram0_0_seg AT> mm_load_seg/);
    expect(f).toMatch(/\.mm\.TinyClassifier\.bss \(NOLOAD\) : ALIGN\(4\)/);
    expect(f).toContain('_mm_slot_TinyClassifier_text_start = _mm_TinyClassifier_text_start;');
    expect(f).toContain('_mm_slot_TinyClassifier_data_end = MAX(_mm_TinyClassifier_data_end, _mm_TinyClassifier_bss_end);');
    expect(f).not.toContain('OVERLAY :');
    expect(f).not.toContain('.sdata');
    expect(f).not.toContain('_ctors_reversed');
    for (const k of ['text', 'data', 'bss', 'ctors']) {
      expect(f).toContain(`_mm_TinyClassifier_${k}_start = ABSOLUTE(.);`);
      expect(f).toContain(`_mm_TinyClassifier_${k}_end = ABSOLUTE(.);`);
    }
  });

  it('puts the libraries of one slot into OVERLAYs (data, then bss)', () => {
    const f = gen({ chip: 'esp32', libs: ['A', 'B'], slots: ['ai: A B'] });
    expect(f.match(/OVERLAY : NOCROSSREFS/g)).toHaveLength(3);
    expect(f).toContain('_mm_slot_ai_text_end = MAX(_mm_A_text_end, _mm_B_text_end);');
    expect(f).toContain('_mm_slot_ai_data_end = MAX(_mm_A_data_end, MAX(_mm_A_bss_end, MAX(_mm_B_data_end, _mm_B_bss_end)));');
  });

  it('moves RISC-V small data with the library', () => {
    const f = gen({ chip: 'esp32c3', libs: ['A'] });
    expect(f).toContain('(.data .data.* .rodata .rodata.* .sdata .sdata.* .srodata .srodata.*)');
    expect(f).toContain('(.bss .bss.* .sbss .sbss.* COMMON)');
  });

  it('places PSRAM data in extern_ram_seg and S3 PSRAM code in its own region', () => {
    const f = gen({ chip: 'esp32s3', libs: ['A'], data: 'psram', code: 'psram', psramCodeAddress: 0x42800000 });
    expect(f).toContain('mm_psram_code_seg (RX) : org = 0x42800000, len = 0x00100000');
    expect(f).toMatch(/\.mm\.A\.text[^}]*\}\s*> mm_psram_code_seg AT> mm_load_seg/);
    expect(f).toMatch(/\.mm\.A\.data[^}]*\}\s*> extern_ram_seg AT> mm_load_seg/);
    expect(f).toContain('INSERT BEFORE .ext_ram.bss;');
    expect(f).not.toContain('INSERT AFTER .dram0.data;');
  });

  it("captures the library's destructor tables (.dtors, .fini_array) in its data, with bounds", () => {
    const f = gen({ chip: 'esp32', libs: ['A'] });
    expect(f).toContain('KEEP(*[/\\\\]libA.a:*(SORT_BY_INIT_PRIORITY(.fini_array.*) .fini_array SORT(.dtors.*) .dtors))');
    expect(f.indexOf('_mm_A_dtors_start = ABSOLUTE(.);')).toBeGreaterThan(f.indexOf('_mm_A_ctors_end'));
    expect(f.indexOf('_mm_A_dtors_end = ABSOLUTE(.);')).toBeLessThan(f.indexOf('_mm_A_data_end = ABSOLUTE(.);'));
  });

  it('marks .ctors tables as reversed when the toolchain emits .ctors', () => {
    expect(gen({ chip: 'esp32', libs: ['A'], ctors: 'ctors' })).toContain('_mm_A_ctors_reversed = 1;');
  });

  it('is what the committed test maps were linked with (rerun test/fixtures/esp32-ld/build-maps.sh if not)', () => {
    const committed = readFileSync(join(__dirname, '../../fixtures/esp32-ld/maps/esp32mm.ld'), 'utf8');
    expect(
      gen({
        chip: 'esp32',
        libs: ['TinyClassifier', 'ImageFilters', 'Filters'],
        slots: ['ai:TinyClassifier,ImageFilters'],
        ctors: 'ctors',
      }),
    ).toBe(committed);
  });

  it('is what the bundled example was linked with (copy it to examples/esp32cam-ai/tools/framework-sim/ld and rebuild the example if not)', () => {
    const committed = readFileSync(join(__dirname, '../../../examples/esp32cam-ai/tools/framework-sim/ld/esp32mm.ld'), 'utf8');
    expect(gen({ chip: 'esp32', libs: ['TinyClassifier', 'ImageFilters'], slots: ['ai:TinyClassifier,ImageFilters'] })).toBe(committed);
  });

  it("falls back to the C library's __cxa_atexit when the device library's wrapper is not linked", () => {
    expect(gen({ chip: 'esp32', libs: ['A'] })).toContain('PROVIDE(__wrap___cxa_atexit = __real___cxa_atexit);');
  });
});

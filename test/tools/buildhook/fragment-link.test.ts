// The generated fragment against ESP32-framework-like memory.ld + sections.ld, linked by
// the real Xtensa GNU ld (Debian lx106). Checked with objdump/nm, and the map checker.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateLinkConfig } from '../../../src/core/link/config';
import { generateFragment, MM_LOAD_REGION_ORIGIN } from '../../../src/core/link/fragment';
import { checkLinkMap } from '../../../src/core/link/mapcheck';
import { runOk } from '../../helpers/tools';
import { type Built, LD_DIR, LIBS, X, compileFixture, copyInto, link, sectionsOf, symbolsOf, removeScratch, scratch } from './xtensa';

let work: string;
let built: Built;
let fragment: string;

function writeFragment(name: string, slots: string[] = ['ai: TinyClassifier ImageFilters'], ctors = 'ctors'): string {
  const path = join(work, name);
  writeFileSync(path, generateFragment(validateLinkConfig({ chip: 'esp32', libs: LIBS, slots, ctors })));
  return path;
}

beforeAll(() => {
  work = scratch('esp32mm-fragment-');
  built = compileFixture(work);
  fragment = writeFragment('esp32mm.ld');
});

const archives = () => [built.main, ...LIBS.map((l) => built.archives[l])];

afterAll(removeScratch);
describe('fragment given first (-T esp32mm.ld -T memory.ld -T sections.ld)', () => {
  let elf: string;
  let map: string;
  beforeAll(() => {
    const r = link(work, 'fw', [fragment, 'memory.ld', 'sections.ld'], archives());
    expect(r.status, r.stderr).toBe(0);
    // The only complaints: regions named before memory.ld declares them (harmless).
    const other = r.stderr
      .split('\n')
      .filter((l) => l.trim() && !/memory region `\w+' not declared|redeclaration of memory region/.test(l));
    expect(other).toEqual([]);
    ({ elf, map } = r);
  });

  it('puts each library in its own .mm sections, ahead of the generic flash rules', () => {
    const secs = sectionsOf(elf);
    const syms = symbolsOf(elf);
    const inside = (sym: string, sec: string) => {
      const s = secs.get(sec)!;
      const a = syms.get(sym)!;
      return a >= s.vma && a < s.vma + s.size;
    };
    expect(inside('tc_classify', '.mm.TinyClassifier.text')).toBe(true);
    expect(inside('tc_weights', '.mm.TinyClassifier.data')).toBe(true);
    expect(inside('tc_labels', '.mm.TinyClassifier.data')).toBe(true);
    expect(inside('tc_calls', '.mm.TinyClassifier.bss')).toBe(true);
    expect(inside('if_blur', '.mm.ImageFilters.text')).toBe(true);
    expect(inside('fl_apply', '.mm.Filters.text')).toBe(true);
    expect(inside('call_start_cpu0', '.flash.text')).toBe(true);
    // libFilters.a's rule did not take libImageFilters.a's code (the [/\\] separator).
    expect(inside('if_blur', '.mm.Filters.text')).toBe(false);
    // Literals (no -mtext-section-literals) moved with the code.
    const mapText = readFileSync(map, 'utf8');
    expect(mapText).toMatch(/\.mm\.TinyClassifier\.text[\s\S]*?\.literal\.tc_classify[\s\S]*?\.mm\.ImageFilters\.text/);
  });

  it('lets two libraries of one slot share an address; the slot spans the larger', () => {
    const secs = sectionsOf(elf);
    const syms = symbolsOf(elf);
    const tc = secs.get('.mm.TinyClassifier.text')!;
    const img = secs.get('.mm.ImageFilters.text')!;
    expect(tc.vma).toBe(img.vma);
    expect(secs.get('.mm.TinyClassifier.data')!.vma).toBe(secs.get('.mm.ImageFilters.data')!.vma);
    expect(syms.get('_mm_slot_ai_text_start')).toBe(tc.vma);
    expect(syms.get('_mm_slot_ai_text_end')).toBe(tc.vma + Math.max(tc.size, img.size));
    // The single-library slot Filters starts after the whole ai slot.
    expect(secs.get('.mm.Filters.text')!.vma).toBeGreaterThanOrEqual(syms.get('_mm_slot_ai_text_end')!);
    for (const lib of LIBS) {
      for (const k of ['text', 'data', 'bss', 'ctors']) {
        expect(syms.get(`_mm_${lib}_${k}_end`)! >= syms.get(`_mm_${lib}_${k}_start`)!, `${lib} ${k}`).toBe(true);
      }
    }
    const dataEnd = Math.max(...['TinyClassifier', 'ImageFilters'].map((l) => syms.get(`_mm_${l}_bss_end`)!));
    expect(syms.get('_mm_slot_ai_data_end')).toBe(dataEnd);
  });

  it('puts _iram_end (IRAM heap start) and _heap_start after every slot', () => {
    const syms = symbolsOf(elf);
    const lastText = Math.max(...['ai', 'Filters'].map((s) => syms.get(`_mm_slot_${s}_text_end`)!));
    const lastData = Math.max(...['ai', 'Filters'].map((s) => syms.get(`_mm_slot_${s}_data_end`)!));
    expect(syms.get('_iram_end')!).toBeGreaterThanOrEqual(lastText);
    expect(syms.get('_iram_text_end')!).toBeGreaterThanOrEqual(lastText);
    expect(syms.get('_heap_start')!).toBeGreaterThanOrEqual(lastData);
    expect(syms.get('_mm_slot_ai_text_start')!).toBeGreaterThanOrEqual(syms.get('_iram_text_start')!);
  });

  it('keeps the library constructor out of the firmware table', () => {
    const syms = symbolsOf(elf);
    expect(syms.get('__init_array_end')! - syms.get('__init_array_start')!).toBe(0);
    expect(syms.get('_mm_ImageFilters_ctors_end')! - syms.get('_mm_ImageFilters_ctors_start')!).toBe(4);
    expect(syms.has('_mm_ImageFilters_ctors_reversed')).toBe(true); // lx106 emits .ctors
  });

  it('loads .mm sections in mm_load_seg, so the framework keeps LMA = VMA and each .mm section has its own segment', () => {
    const secs = sectionsOf(elf);
    for (const s of secs.values()) {
      if (!s.size) continue;
      if (s.name.startsWith('.mm.')) expect(s.lma, s.name).toBeGreaterThanOrEqual(MM_LOAD_REGION_ORIGIN);
      else if (s.vma) expect(s.lma, s.name).toBe(s.vma);
    }
    // Every segment holding a loadable .mm section holds nothing else (readelf also lists
    // NOBITS sections under any segment whose address range covers them: ignore those).
    const segs = runOk(`${X}readelf`, ['-lW', elf]);
    const mapping = segs.slice(segs.indexOf('Section to Segment mapping')).split('\n');
    const loadableMm = [...secs.values()].filter((s) => s.name.startsWith('.mm.') && s.loadable && s.size).map((s) => s.name);
    expect(loadableMm.length).toBe(6); // 3 × text, 3 × data
    for (const name of loadableMm) {
      const rows = mapping.filter((l) => l.split(/\s+/).includes(name));
      expect(rows.length, name).toBe(1);
      expect(
        rows[0]
          .trim()
          .split(/\s+/)
          .slice(1)
          .filter((n) => secs.get(n)?.loadable),
        rows[0],
      ).toEqual([name]);
    }
  });

  it('framework sections with contents after a slot keep load address = run address', () => {
    // ld gives a section without its own AT the load offset of the section before it in the
    // same region; after an .mm section that would move .iram0.data into mm_load_seg.
    const extra = join(work, 'iram_data.c');
    writeFileSync(extra, 'int iram_value __attribute__((used, section(".iram.data"))) = 42;\n');
    runOk(`${X}gcc`, ['-c', extra, '-o', join(work, 'iram_data.o')]);
    // Also without the framework's empty .iram0.text_end marker in between.
    const noMarker = readFileSync(join(LD_DIR, 'sections.ld'), 'utf8').replace(
      /\.iram0\.text_end \(NOLOAD\) :\s*\{[^}]*\} > iram0_0_seg/,
      '',
    );
    writeFileSync(join(work, 'sections-nomarker.ld'), noMarker);
    for (const sections of ['sections.ld', join(work, 'sections-nomarker.ld')]) {
      const r = link(
        work,
        'fw-iramdata',
        [fragment, 'memory.ld', sections],
        [...archives(), join(work, 'iram_data.o'), '-Wl,--undefined=iram_value'],
      );
      expect(r.status, r.stderr).toBe(0);
      const secs = sectionsOf(r.elf);
      const iramData = secs.get('.iram0.data')!;
      expect(iramData.size, sections).toBe(4);
      expect(iramData.lma, sections).toBe(iramData.vma);
      expect(secs.get('.dram0.bss')!.lma, sections).toBe(secs.get('.dram0.bss')!.vma);
    }
  });

  it('warns only about the IRAM_ATTR function that stays resident', () => {
    const warnings = checkLinkMap(readFileSync(map, 'utf8'), LIBS);
    expect(warnings.map((w) => [w.kind, w.lib])).toEqual([['iram-resident', 'TinyClassifier']]);
    expect(warnings[0].message).toContain('tc_isr');
    expect(warnings[0].message).toContain('.iram0.text');
  });
});

describe('when a rule loses', () => {
  it('warns when the library is linked as loose objects (lib_archive = no) and its code stays in flash', () => {
    const inputs = [built.main, ...built.objects.TinyClassifier, built.archives.ImageFilters, built.archives.Filters];
    const r = link(work, 'loose', [fragment, 'memory.ld', 'sections.ld'], inputs);
    expect(r.status, r.stderr).toBe(0);
    expect(sectionsOf(r.elf).get('.mm.TinyClassifier.text')?.size ?? 0).toBe(0);
    const lost = checkLinkMap(readFileSync(r.map, 'utf8'), LIBS).filter((w) => w.kind === 'rule-lost');
    expect(lost.map((w) => w.lib)).toEqual(['TinyClassifier']);
    expect(lost[0].message).toMatch(/\.flash\.text.*tc_classify/);
    expect(lost[0].message).toContain('lib_archive');
  });

  it('warns when an earlier linker script matches the library first', () => {
    // A user script given before ours takes one function into its own IRAM section.
    const early = join(work, 'user-early.ld');
    writeFileSync(early, 'SECTIONS { .iram0.user : { *(.text.tc_label .literal.tc_label) } > iram0_0_seg }\nINSERT AFTER .iram0.text;\n');
    const r = link(work, 'early', [early, fragment, 'memory.ld', 'sections.ld'], archives());
    expect(r.status, r.stderr).toBe(0);
    const lost = checkLinkMap(readFileSync(r.map, 'utf8'), LIBS).filter((w) => w.kind === 'rule-lost');
    expect(lost.map((w) => w.lib)).toEqual(['TinyClassifier']);
    expect(lost[0].message).toMatch(/in \.iram0\.user \(.*tc_label/);
    expect(lost[0].message).toContain('earlier linker rule');
  });

  it('reports a library that is not in the link at all', () => {
    const r = link(
      work,
      'nolib',
      [fragment, 'memory.ld', 'sections.ld'],
      [built.main, built.archives.TinyClassifier, built.archives.ImageFilters, built.archives.Filters],
    );
    const w = checkLinkMap(readFileSync(r.map, 'utf8'), [...LIBS, 'Missing']).filter((x) => x.kind === 'not-linked');
    expect(w.map((x) => x.lib)).toEqual(['Missing']);
  });

  it('fails to link when the fragment comes after the framework scripts (docs/design.md §4)', () => {
    const r = link(work, 'after', ['memory.ld', 'sections.ld', fragment], archives());
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('.iram0.text not found for insert');
  });
});

describe('data in PSRAM', () => {
  it('places library data in extern_ram_seg before .ext_ram.bss, so the PSRAM heap starts after it', () => {
    const psram = join(work, 'esp32mm-psram.ld');
    writeFileSync(psram, generateFragment(validateLinkConfig({ chip: 'esp32', libs: LIBS, data: 'psram' })));
    const r = link(work, 'psram', [psram, 'memory.ld', 'sections.ld'], archives());
    expect(r.status, r.stderr).toBe(0);
    const secs = sectionsOf(r.elf);
    const syms = symbolsOf(r.elf);
    for (const lib of LIBS) {
      const d = secs.get(`.mm.${lib}.data`)!;
      expect(d.vma, lib).toBeGreaterThanOrEqual(0x3f800000);
      expect(d.vma, lib).toBeLessThan(0x3fc00000);
    }
    expect(syms.get('tc_weights')!).toBeGreaterThanOrEqual(0x3f800000);
    const dataEnd = Math.max(...LIBS.map((l) => syms.get(`_mm_slot_${l}_data_end`)!));
    expect(syms.get('_ext_ram_bss_start')!).toBeGreaterThanOrEqual(dataEnd);
    expect(syms.get('_mm_TinyClassifier_text_start')!).toBeGreaterThanOrEqual(0x40080000); // code stays in IRAM
  });
});

describe('data in PSRAM behind an S3-style .ext_ram.dummy', () => {
  it('comes after the skipped flash-rodata window', () => {
    // ESP32-S2/S3 scripts first skip the part of the shared window used by flash rodata.
    const s3 = join(work, 'sections-s3.ld');
    const dummy =
      '  .ext_ram.dummy (NOLOAD) :\n  {\n    . = ORIGIN(extern_ram_seg);\n    . = . + 0x10000;\n  } > extern_ram_seg\n\n  .ext_ram.bss (NOLOAD) :';
    writeFileSync(s3, readFileSync(join(LD_DIR, 'sections.ld'), 'utf8').replace('  .ext_ram.bss (NOLOAD) :', dummy));
    const psram = join(work, 'esp32mm-psram-s3.ld');
    writeFileSync(psram, generateFragment(validateLinkConfig({ chip: 'esp32s3', libs: LIBS, data: 'psram' })));
    const r = link(work, 'psram-s3', [psram, 'memory.ld', s3], archives());
    expect(r.status, r.stderr).toBe(0);
    const secs = sectionsOf(r.elf);
    for (const lib of LIBS) expect(secs.get(`.mm.${lib}.data`)!.vma, lib).toBeGreaterThanOrEqual(0x3f800000 + 0x10000);
  });
});

describe('static destructors (the build hook links with --wrap=__cxa_atexit)', () => {
  // A firmware object whose static constructor registers a destructor with __cxa_atexit,
  // and a stand-in C library that defines it.
  let inputs: string[];
  beforeAll(() => {
    const dir = join(work, 'dtors');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'logger.cpp'), 'struct Logger { int open; Logger() : open(1) {} ~Logger() { open = 0; } };\nLogger logger;\n');
    writeFileSync(
      join(dir, 'libc.c'),
      'void *__dso_handle;\nint __cxa_atexit(void (*fn)(void *), void *arg, void *dso) { (void)fn; (void)arg; (void)dso; return 0; }\n',
    );
    runOk(`${X}g++`, [
      '-mlongcalls',
      '-fuse-cxa-atexit',
      '-fno-exceptions',
      '-fno-rtti',
      '-c',
      join(dir, 'logger.cpp'),
      '-o',
      join(dir, 'logger.o'),
    ]);
    runOk(`${X}gcc`, ['-mlongcalls', '-c', join(dir, 'libc.c'), '-o', join(dir, 'libc.o')]);
    runOk(`${X}ar`, ['rcs', join(dir, 'libcstub.a'), join(dir, 'libc.o')]);
    expect(runOk(`${X}nm`, [join(dir, 'logger.o')])).toMatch(/U __cxa_atexit/);
    inputs = [...archives(), join(dir, 'logger.o'), join(dir, 'libcstub.a'), '-Wl,--wrap=__cxa_atexit'];
  });

  it("without the device library, the wrapper is the C library's __cxa_atexit and the link succeeds", () => {
    const r = link(work, 'dtors-plain', [fragment, 'memory.ld', 'sections.ld'], inputs);
    expect(r.status, r.stderr).toBe(0);
    const syms = symbolsOf(r.elf);
    expect(syms.get('__cxa_atexit')).toBeDefined();
    expect(syms.get('__wrap___cxa_atexit')).toBe(syms.get('__cxa_atexit'));
  });

  it("the device library's __wrap___cxa_atexit, when linked, wins over the fallback", () => {
    const wrapper = join(work, 'dtors', 'wrap.c');
    writeFileSync(
      wrapper,
      'int __wrap___cxa_atexit(void (*fn)(void *), void *arg, void *dso) { (void)fn; (void)arg; (void)dso; return 1; }\n',
    );
    runOk(`${X}gcc`, ['-mlongcalls', '-c', wrapper, '-o', `${wrapper}.o`]);
    const r = link(work, 'dtors-wrapped', [fragment, 'memory.ld', 'sections.ld'], [...inputs, `${wrapper}.o`]);
    expect(r.status, r.stderr).toBe(0);
    const syms = symbolsOf(r.elf);
    expect(syms.get('__wrap___cxa_atexit')).toBeDefined();
    expect(syms.get('__wrap___cxa_atexit')).not.toBe(syms.get('__cxa_atexit'));
  });
});

describe('archive paths', () => {
  it('matches an archive named with Windows separators (backslashes)', () => {
    const dir = join(work, 'win');
    mkdirSync(dir, { recursive: true });
    // On Linux a backslash is an ordinary file-name character: the file name ld sees is
    // `build\lib1\libTinyClassifier.a`, as on Windows.
    const renamed = LIBS.map((l) => copyInto(built.archives[l], join(dir, `build\\lib1\\lib${l}.a`)));
    const r = link(dir, 'win', [fragment, 'memory.ld', 'sections.ld'], [built.main, ...renamed]);
    expect(r.status, r.stderr).toBe(0);
    expect(sectionsOf(r.elf).get('.mm.TinyClassifier.text')!.size).toBeGreaterThan(0);
    expect(checkLinkMap(readFileSync(r.map, 'utf8'), LIBS).filter((w) => w.kind !== 'iram-resident')).toEqual([]);
  });
});

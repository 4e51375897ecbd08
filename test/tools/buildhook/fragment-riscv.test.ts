// The fragment for an ESP32-C3 against a C3-like memory.ld + sections.ld, linked by the
// real RISC-V GNU ld: small data (.sdata/.sbss) moves with the library, the IRAM slot
// ends before _iram_end, and the DRAM data does not overlap the SRAM used through IRAM.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateLinkConfig } from '../../../src/core/link/config';
import { generateFragment } from '../../../src/core/link/fragment';
import { checkLinkMap } from '../../../src/core/link/mapcheck';
import { run, runOk } from '../../helpers/tools';
import { LD_DIR, PROJECT, removeScratch, scratch } from './xtensa';

const R = 'riscv64-unknown-elf-';
const CFLAGS = [
  '-misa-spec=2.2',
  '-march=rv32imac',
  '-mabi=ilp32',
  '-msmall-data-limit=8',
  '-ffunction-sections',
  '-fdata-sections',
  '-Os',
];
const LIBS = ['TinyClassifier', 'Filters'];
const I_D_OFFSET = 0x700000; // C3: IRAM address = DRAM address + 0x700000

function symbols(elf: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of runOk(`${R}nm`, [elf]).split('\n')) {
    const x = /^([0-9a-f]+)\s+\S\s+(\S+)$/.exec(line);
    if (x) m.set(x[2], parseInt(x[1], 16));
  }
  return m;
}

function sections(elf: string): Map<string, { addr: number; size: number }> {
  const m = new Map<string, { addr: number; size: number }>();
  for (const line of runOk(`${R}readelf`, ['-SW', elf]).split('\n')) {
    const x = /\]\s+(\S+)\s+\S+\s+([0-9a-f]{8})\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(line);
    if (x) m.set(x[1], { addr: parseInt(x[2], 16), size: parseInt(x[3], 16) });
  }
  return m;
}

afterAll(removeScratch);
describe('ESP32-C3 (RISC-V) fragment with the real riscv ld', () => {
  let elf: string;
  let map: string;
  beforeAll(() => {
    const work = scratch('esp32mm-riscv-');
    const archives = LIBS.map((lib) => {
      const dir = join(work, 'build', 'lib0f0', lib);
      mkdirSync(dir, { recursive: true });
      const src = lib === 'Filters' ? 'filters_base.c' : 'classifier.c';
      const obj = join(dir, `${src}.o`);
      runOk(`${R}gcc`, [...CFLAGS, '-c', join(PROJECT, 'lib', lib, src), '-o', obj]);
      const a = join(work, 'build', 'lib0f0', `lib${lib}.a`);
      runOk(`${R}ar`, ['rcs', a, obj]);
      return a;
    });
    // The fixture main also calls ImageFilters (C++); here a C stand-in provides if_blur.
    writeFileSync(join(work, 'stub.c'), 'int if_blur(int x) { return x; }\n');
    const objs = ['src/main.c', 'stub.c'].map((s, i) => {
      const o = join(work, `m${i}.o`);
      runOk(`${R}gcc`, [...CFLAGS, '-c', s === 'stub.c' ? join(work, s) : join(PROJECT, s), '-o', o]);
      return o;
    });
    const fragment = join(work, 'esp32mm.ld');
    writeFileSync(fragment, generateFragment(validateLinkConfig({ chip: 'esp32c3', libs: LIBS, slots: ['ai: TinyClassifier Filters'] })));
    elf = join(work, 'fw.elf');
    map = join(work, 'fw.map');
    const r = run(`${R}gcc`, [
      ...CFLAGS,
      '-nostdlib',
      '-Wl,--gc-sections',
      `-Wl,-Map=${map}`,
      `-L${join(LD_DIR, 'riscv')}`,
      '-T',
      fragment,
      '-T',
      'memory.ld',
      '-T',
      'sections.ld',
      ...objs,
      ...archives,
      '-o',
      elf,
    ]);
    expect(r.status, r.stderr).toBe(0);
  });

  it('moves .sdata/.sbss of the library into its .mm sections', () => {
    const text = readFileSync(map, 'utf8');
    expect(text).toMatch(/\.mm\.Filters\.data[\s\S]*?\.sdata\.fl_state/);
    expect(text).toMatch(/\.mm\.TinyClassifier\.bss[\s\S]*?\.sbss\.tc_calls/);
    const secs = sections(elf);
    const syms = symbols(elf);
    const d = secs.get('.mm.Filters.data')!;
    expect(syms.get('fl_state')! >= d.addr && syms.get('fl_state')! < d.addr + d.size).toBe(true);
    expect(checkLinkMap(text, LIBS).map((w) => w.kind)).toEqual(['iram-resident']);
  });

  it('keeps the IRAM slot before _iram_end and the data after the SRAM used as IRAM', () => {
    const syms = symbols(elf);
    const secs = sections(elf);
    expect(secs.get('.mm.TinyClassifier.text')!.addr).toBe(secs.get('.mm.Filters.text')!.addr);
    expect(syms.get('_iram_end')!).toBeGreaterThanOrEqual(syms.get('_mm_slot_ai_text_end')!);
    for (const name of ['.mm.TinyClassifier.data', '.mm.Filters.data', '.dram0.data']) {
      const s = secs.get(name);
      if (s) expect(s.addr + I_D_OFFSET, name).toBeGreaterThanOrEqual(syms.get('_iram_end')!);
    }
    expect(syms.get('_heap_start')!).toBeGreaterThanOrEqual(syms.get('_mm_slot_ai_data_end')!);
  });
});

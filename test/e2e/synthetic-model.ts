// A generated memory-map model in the shape src/core/memmap builds (`esp32mm map --json`):
// N libraries spread over the ESP32's regions. Used to time and look at the webview
// without a build; the real models come from the e2e flow.
import type { MemoryMapModel } from '../../webview-ui/model';

const REGIONS: [string, number, number, boolean][] = [
  ['IRAM', 0x40080000, 131072, false],
  ['DRAM', 0x3ffb0000, 327680, false],
  ['RTC Fast', 0x3ff80000, 8192, false],
  ['RTC Slow', 0x50000000, 8192, false],
  ['Flash Code', 0x400d0020, 3342304, true],
  ['Flash Data', 0x3f400020, 4194272, true],
  ['PSRAM', 0x3f800000, 4194304, false],
];

/** Deterministic pseudo-random numbers (the same model every run). */
function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

export function syntheticModel(libraries: number, regions = 7, seed = 1): MemoryMapModel {
  const rand = rng(seed);
  const regs = REGIONS.slice(0, regions).map(([name, start, size, flash]) => ({
    name,
    start,
    size,
    sizeSource: 'chip-table',
    used: 0,
    free: 0,
    fill: 0,
    flash,
  }));
  const libs: MemoryMapModel['libraries'] = [];
  for (let i = 0; i < libraries; i++) {
    const byRegion: Record<string, number> = {};
    let total = 0;
    for (const r of regs) {
      if (rand() < 0.55) continue;
      const n = Math.floor((rand() * r.size) / (libraries * 3));
      if (n === 0) continue;
      byRegion[r.name] = n;
      r.used += n;
      total += n;
    }
    const dynamic = i < 2;
    libs.push({
      name: i < 3 ? ['TinyClassifier', 'ImageFilters', 'esp32-camera'][i] : `lib${String(i).padStart(3, '0')}`,
      archive: `lib${i}.a`,
      dynamic,
      total,
      byRegion,
      byKind: { text: total },
      bySection: {},
      ...(dynamic ? { slot: 'ai', flashSaved: total } : {}),
    });
  }
  regs[0].fill = 1680;
  regs[0].used += 1680;
  for (const r of regs) r.free = r.flash ? 0 : r.size - r.used;
  return {
    chip: 'esp32',
    chipName: 'ESP32',
    chipSource: 'board',
    sectionsFrom: 'elf',
    attribution: 'map',
    split: true,
    regions: regs,
    fill: 1680,
    fillDetail: { padding: 1680, linkerData: 0, placeholder: 0 },
    libraries: libs,
    sections: regs.map((r) => ({
      name: `.${r.name.toLowerCase().replace(/ /g, '')}`,
      region: r.name,
      address: r.start,
      size: r.used,
      kind: 'text' as const,
      fill: r.fill,
    })),
    slots: [
      {
        name: 'ai',
        region: 'IRAM',
        size: 24576,
        libraries: ['TinyClassifier', 'ImageFilters'],
        flashSaved: 41230,
        ranges: [{ kind: 'text', region: 'IRAM', start: 0x40090000, size: 24576 }],
      },
    ],
    imageBytes: 1_234_567,
    flashSaved: 41230,
    notes: [],
  };
}

// A generated memory-map model in the shape of `esp32mm map --json` (issue 3): N libraries
// spread over the given regions. Used to measure and look at the webview without a build.
import type { MemoryMapModel } from '../../webview-ui/model';

const REGIONS: [string, number, number][] = [
  ['IRAM', 0x40080000, 131072], ['DRAM', 0x3ffb0000, 180736], ['PSRAM', 0x3f800000, 4194304],
  ['Flash Code', 0x400d0020, 3342304], ['Flash Data', 0x3f400020, 4194272], ['RTC Fast', 0x3ff80000, 8192],
  ['RTC Slow', 0x50000000, 8192],
];

/** Deterministic pseudo-random numbers (the same model every run). */
function rng(seed: number) {
  let x = seed >>> 0;
  return () => { x = (x * 1664525 + 1013904223) >>> 0; return x / 2 ** 32; };
}

export function syntheticModel(libraries: number, regions = 7, seed = 1): MemoryMapModel {
  const rand = rng(seed);
  const regs = REGIONS.slice(0, regions).map(([name, start, size]) => ({ name, start, size, used: 0 }));
  const libs = [];
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
    libs.push({ name: i < 3 ? ['TinyClassifier', 'ImageFilters', 'esp32-camera'][i] : `lib${String(i).padStart(3, '0')}`,
      archive: `lib${i}.a`, dynamic: i < 2, total, byRegion, ...(i < 2 ? { slot: 'ai' } : {}) });
  }
  const fill = 1680;
  regs[0].used += fill;
  return {
    chip: 'esp32', regions: regs, fill, libraries: libs,
    sections: regs.map((r) => ({ name: `.${r.name.toLowerCase().replace(/ /g, '')}`, region: r.name, address: r.start, size: r.used })),
    slots: [{ name: 'ai', region: 'IRAM', size: 24576, libraries: ['TinyClassifier', 'ImageFilters'], flashSaved: 41230 }],
    flashSaved: 41230,
  };
}

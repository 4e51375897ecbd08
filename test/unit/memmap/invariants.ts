// The checks every model must pass, shared by the unit and the tools tests.
import { expect } from 'vitest';
import type { MemoryMapModel } from '../../../src/core/memmap/model';

/** Bytes covered by the union of [address, address + size) ranges — written independently of the model's. */
export function union(ranges: { address: number; size: number }[]): number {
  const points = ranges
    .filter((r) => r.size > 0)
    .map((r) => [r.address, r.address + r.size])
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [curStart, curEnd] = [NaN, NaN];
  for (const [s, e] of points) {
    if (Number.isNaN(curStart) || s > curEnd) {
      if (!Number.isNaN(curStart)) total += curEnd - curStart;
      [curStart, curEnd] = [s, e];
    } else curEnd = Math.max(curEnd, e);
  }
  if (!Number.isNaN(curStart)) total += curEnd - curStart;
  return total;
}

export function checkInvariants(m: MemoryMapModel): void {
  const sectionTotal = m.sections.reduce((a, s) => a + s.size, 0);
  const libraryTotal = m.libraries.reduce((a, l) => a + l.total, 0);
  // Library totals plus fill add up to the section totals, exactly.
  expect(libraryTotal + m.fill).toBe(sectionTotal);
  expect(m.fillDetail.padding + m.fillDetail.linkerData + m.fillDetail.placeholder).toBe(m.fill);
  for (const region of m.regions) {
    const mine = m.sections.filter((s) => s.region === region.name);
    const sum = mine.reduce((a, s) => a + s.size, 0);
    // Used = its sections (not ESP-IDF's *dummy* placeholders); overlay members that share addresses count once.
    const real = mine.filter((s) => !s.placeholder);
    expect(region.used, region.name).toBe(union(real));
    if (union(real) === real.reduce((a, s) => a + s.size, 0)) expect(region.used).toBe(real.reduce((a, s) => a + s.size, 0));
    // Per region: the libraries' bytes plus the fill in the region = its sections.
    const libs = m.libraries.reduce((a, l) => a + (l.byRegion[region.name] ?? 0), 0);
    expect(libs + region.fill, `${region.name} libraries + fill`).toBe(sum);
    expect(region.free).toBeGreaterThanOrEqual(0);
  }
  for (const lib of m.libraries) {
    expect(
      Object.values(lib.byRegion).reduce((a, b) => a + b, 0),
      lib.name,
    ).toBe(lib.total);
    expect(
      Object.values(lib.byKind).reduce((a, b) => a + (b ?? 0), 0),
      lib.name,
    ).toBe(lib.total);
  }
  // Every section is in a listed region.
  for (const s of m.sections) expect(m.regions.map((r) => r.name)).toContain(s.region);
}

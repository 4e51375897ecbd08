// The webview's number formatting and sorting. Bytes are checked against Intl's en-US
// grouping (the CLI table uses toLocaleString('en-US')), so the view and the CLI print the
// same digits.
import { describe, expect, it } from 'vitest';
import { bytes, kib, percent } from '../../../webview-ui/format';
import { sortLibraries } from '../../../webview-ui/render';
import type { MapLibrary } from '../../../webview-ui/model';

describe('webview formatting', () => {
  it('groups bytes exactly like en-US toLocaleString', () => {
    let x = 1;
    for (let i = 0; i < 2000; i++) {
      x = (x * 48271) % 2147483647;
      const n = i < 20 ? i * 111 : x % (i * 1000);
      expect(bytes(n)).toBe(n.toLocaleString('en-US'));
    }
  });

  it('shortens to KiB/MiB and gives percentages', () => {
    expect(kib(1023)).toBe('1023 B');
    expect(kib(1536)).toBe('1.5 KiB');
    expect(kib(4 * 1024 * 1024)).toBe('4.00 MiB');
    expect(percent(1, 4)).toBe('25.0%');
    expect(percent(1, 0)).toBe('–');
  });
});

describe('library table sorting', () => {
  const lib = (name: string, total: number, iram = 0): MapLibrary => ({
    name,
    archive: `lib${name}.a`,
    dynamic: false,
    total,
    byRegion: iram ? { IRAM: iram } : {},
    byKind: {},
    bySection: {},
  });
  const libs = [lib('b', 10, 5), lib('A', 30), lib('c', 20, 7)];

  it('sorts by name (case-insensitive), total and a region column, both directions', () => {
    expect(sortLibraries(libs, { column: 'name', descending: false }).map((l) => l.name)).toEqual(['A', 'b', 'c']);
    expect(sortLibraries(libs, { column: 'total', descending: true }).map((l) => l.name)).toEqual(['A', 'c', 'b']);
    expect(sortLibraries(libs, { column: 'IRAM', descending: true }).map((l) => l.name)).toEqual(['c', 'b', 'A']);
    expect(sortLibraries(libs, { column: 'IRAM', descending: false }).map((l) => l.name)).toEqual(['A', 'b', 'c']);
  });

  it('does not reorder its input', () => {
    sortLibraries(libs, { column: 'total', descending: true });
    expect(libs.map((l) => l.name)).toEqual(['b', 'A', 'c']);
  });
});

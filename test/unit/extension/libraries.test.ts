// The Dynamic Libraries tree's data: names from platformio.ini, dynamic libraries from the
// model, and split files on disk, with slots and the per-file "on the board" state.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectLibraries } from '../../../src/extension/libraries';
import type { MemoryMapModel } from '../../../webview-ui/model';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function outDir(files: Record<string, number>): string {
  const d = mkdtempSync(join(tmpdir(), 'mm-libs-'));
  dirs.push(d);
  for (const [name, size] of Object.entries(files)) writeFileSync(join(d, name), Buffer.alloc(size));
  return d;
}

const model = {
  libraries: [
    { name: 'TinyClassifier', dynamic: true, slot: 'ai' },
    { name: 'driver', dynamic: false },
  ],
  slots: [{ name: 'ai', libraries: ['TinyClassifier', 'ImageFilters'] }],
} as unknown as MemoryMapModel;

describe('collectLibraries', () => {
  it('lists ini names before a split, with slots from the model and no files', () => {
    const libs = collectLibraries(['ImageFilters', 'TinyClassifier'], model, join(tmpdir(), 'does-not-exist-mm'), () => false);
    expect(libs.map((l) => [l.name, l.slot, l.files.length])).toEqual([
      ['ImageFilters', 'ai', 0],
      ['TinyClassifier', 'ai', 0],
    ]);
  });

  it('finds the _e/_d files with sizes, ignores other files, and marks what was uploaded', () => {
    const d = outDir({
      TinyClassifier_e: 1200,
      TinyClassifier_d: 28000,
      ImageFilters_e: 700,
      'manifest.json': 10,
      Orphan_d: 5,
      notes_txt: 1,
    });
    const libs = collectLibraries(['TinyClassifier', 'ImageFilters'], model, d, (file) => file.endsWith('TinyClassifier_d'));
    expect(libs.map((l) => l.name)).toEqual(['ImageFilters', 'Orphan', 'TinyClassifier']);
    const tc = libs.find((l) => l.name === 'TinyClassifier')!;
    expect(tc.files.map((f) => [f.name, f.size, f.uploaded])).toEqual([
      ['TinyClassifier_e', 1200, false],
      ['TinyClassifier_d', 28000, true],
    ]);
    expect(libs.find((l) => l.name === 'Orphan')!.slot).toBeUndefined();
  });
});

// Drill-down for the full view (src/extension/mapDetail.ts) on a split copy of the example:
// the firmware to be flashed and the unsplit one (firmware.full.elf with the same map) each
// give the rows core's views give for that firmware, and a project library's symbols open
// its source at the definition line (core's definitionLine), the others open nothing.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMemoryMap } from '../../../src/core/memmap/load';
import { filesView } from '../../../src/core/memmap/views';
import { definitionLine } from '../../../src/core/memmap/definitions';
import { splitFile } from '../../../src/core/split/split';
import { MapDetails } from '../../../src/extension/mapDetail';
import { librarySources } from '../../../src/extension/sources';
import type { MemoryMapModel } from '../../../src/core/memmap/model';
import { abs } from '../memmap/fixtures';

let tmp: string;
let after: MemoryMapModel;
let details: MapDetails;
let project: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'esp32mm-detail-'));
  project = join(tmp, 'p');
  cpSync(abs('examples/esp32cam-ai'), project, { recursive: true });
  const elf = join(project, '.pio/build/esp32cam/firmware.elf');
  await splitFile(elf, join(project, 'sd/mm'));
  after = await loadMemoryMap({ elf });
  const roots = {
    projectRoot: project,
    srcDir: join(project, 'src'),
    libDir: join(project, 'lib'),
    libdepsDir: join(project, '.pio/libdeps/esp32cam'),
  };
  details = new MapDetails(after, after.before!, librarySources([...after.libraries, ...after.before!.libraries], roots));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('MapDetails on the split example', () => {
  it('the unsplit firmware: a dynamic library has its object files (= filesView of the unsplit model)', () => {
    const rows = details.drill('TinyClassifier', undefined, 'before');
    expect(rows.type).toBe('objects');
    if (rows.type !== 'objects') return;
    const map = readFileSync(join(project, '.pio/build/esp32cam/firmware.map'), 'utf8');
    expect(rows.objects).toEqual(filesView(after.before!, map).objects.filter((o) => o.archive === 'libTinyClassifier.a'));
    expect(rows.objects.length).toBeGreaterThan(0);
    expect(rows.sources['TinyClassifier.cpp.o']).toBe(join(project, 'lib/TinyClassifier/src/TinyClassifier.cpp'));
  });

  it('the firmware to be flashed: the dynamic library has no bytes left', () => {
    expect(details.drill('TinyClassifier', undefined, 'after')).toMatchObject({ type: 'unavailable', build: 'after' });
  });

  it('symbols open the source at their definition line; a framework archive opens nothing', () => {
    const rows = details.drill('TinyClassifier', 'TinyClassifier.cpp.o', 'before');
    expect(rows.type).toBe('symbols');
    if (rows.type !== 'symbols') return;
    const file = join(project, 'lib/TinyClassifier/src/TinyClassifier.cpp');
    expect(rows.source).toBe(file);
    const text = readFileSync(file, 'utf8');
    const expected = Object.fromEntries(
      rows.symbols.flatMap((s) => {
        const line = definitionLine(text, s.name, s.type === 'FUNC' ? 'function' : 'variable');
        return line === undefined ? [] : [[s.name, line]];
      }),
    );
    expect(rows.lines).toEqual(expected);
    expect(Object.keys(expected).length).toBeGreaterThan(3);
    const framework = details.drill('FrameworkArduino', undefined, 'before');
    expect(framework.type === 'objects' && Object.keys(framework.sources)).toEqual([]);
  });
});

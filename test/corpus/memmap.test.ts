// The corpus tier: every real build of ../shared/real-builds through the memory map, map-only
// and with a shape-identical ELF rebuilt from the case's readelf tables, checked against the
// independent per-archive count and against esp-idf-size 2.0.0's numbers. Where our numbers
// differ from esp-idf-size's, they differ only by the definitions docs/memmap-json.md names.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMapFile, decodeMapFile } from '../../src/core/mapfile/parse';
import { loadMemoryMap } from '../../src/core/memmap/load';
import type { MemoryMapModel } from '../../src/core/memmap/model';
import { firstAppPartition, parsePartitionTable } from '../../src/core/platformio/partitions';
import { corpusAvailable, corpusCases, corpusExpected, type CorpusCase, reportMissingCorpus } from '../helpers/corpus';
import { rebuildCorpusElf } from '../helpers/corpus-elf';
import { tempDir } from '../helpers/tools';

interface IndependentCount {
  sections: Record<string, { size: number; inputs: number; fill: number; data: number }>;
  libraries: Record<string, { total: number; bySection: Record<string, number> }>;
}
interface IdfSizeSummary {
  layout: { name: string; total: number; used: number }[];
}

const cases = corpusCases();

if (!corpusAvailable()) {
  describe('real-builds corpus', () => {
    reportMissingCorpus();
  });
}

const mapOnly = new Map<string, Promise<MemoryMapModel>>();
const withElf = new Map<string, Promise<MemoryMapModel>>();
const modelMapOnly = (c: CorpusCase) => mapOnly.get(c.name) ?? mapOnly.set(c.name, loadMemoryMap({ map: c.mapPath })).get(c.name)!;
const modelWithElf = (c: CorpusCase) => {
  if (!withElf.has(c.name)) {
    const dir = tempDir('esp32mm-corpus-');
    const elf = join(dir, 'firmware.elf');
    writeFileSync(elf, rebuildCorpusElf(c));
    withElf.set(c.name, loadMemoryMap({ elf, map: c.mapPath, partitions: c.partitionsPath, sdkconfig: undefined }));
  }
  return withElf.get(c.name)!;
};

const region = (m: MemoryMapModel, name: string) => m.regions.find((r) => r.name === name);
/** Output sections with no input section at all, only linker padding (`.iram0.text_end`). */
function fillOnlyBytes(c: CorpusCase, names: string[]): number {
  const ind = corpusExpected<IndependentCount>(c, 'independent-count.json');
  return Object.entries(ind.sections)
    .filter(([n, s]) => names.includes(n) && s.inputs === 0 && s.data === 0)
    .reduce((a, [, s]) => a + s.size, 0);
}

describe.each(cases)('$name', (c) => {
  it("map-only: detects the chip; IRAM/DRAM sizes are the map's memory regions; no PSRAM row", async () => {
    const m = await modelMapOnly(c);
    expect(m.chip).toBe(c.chip);
    expect(m.sectionsFrom).toBe('map');
    const memory = parseMapFile(decodeMapFile(readFileSync(c.mapPath))).memory;
    for (const [name, seg] of [
      ['IRAM', 'iram0_0_seg'],
      ['DRAM', 'dram0_0_seg'],
    ] as const) {
      const seg0 = memory.find((r) => r.name === seg) ?? memory.find((r) => r.name === 'sram_seg')!;
      expect(region(m, name), name).toMatchObject({ size: seg0.length, sizeSource: `map:${seg0.name}` });
    }
    expect(region(m, 'PSRAM')).toBeUndefined();
    if (c.chip === 'esp32c2') expect(m.regions.map((r) => r.name)).not.toContain('RTC Fast');
  });

  it('per archive and output section, bytes equal the independent count exactly', async () => {
    const m = await modelMapOnly(c);
    const ind = corpusExpected<IndependentCount>(c, 'independent-count.json');
    for (const [archive, counted] of Object.entries(ind.libraries)) {
      const ours = m.libraries.filter((l) => l.archive === archive);
      for (const [section, bytes] of Object.entries(counted.bySection)) {
        expect(
          ours.reduce((a, l) => a + (l.bySection[section] ?? 0), 0),
          `${archive} ${section}`,
        ).toBe(bytes);
      }
      expect(
        ours.reduce((a, l) => a + l.total, 0),
        archive,
      ).toBe(counted.total);
    }
    for (const s of m.sections) {
      const counted = ind.sections[s.name];
      expect(counted, s.name).toBeDefined();
      expect([s.size, s.fill], s.name).toEqual([counted.size, counted.fill + counted.data]);
    }
  });

  it('with the rebuilt ELF: the same regions and libraries as map-only, and the app partition of the table', async () => {
    const [a, b] = await Promise.all([modelWithElf(c), modelMapOnly(c)]);
    expect(a.sectionsFrom).toBe('elf');
    expect(a.chip).toBe(c.chip);
    const usage = (m: MemoryMapModel) =>
      m.regions.map(({ name, used, size, fill, sizeSource }) => ({ name, used, size, fill, sizeSource }));
    expect(usage(a)).toEqual(usage(b));
    expect(a.sections.map(({ name, kind, region: r, size }) => ({ name, kind, r, size }))).toEqual(
      b.sections.map(({ name, kind, region: r, size }) => ({ name, kind, r, size })),
    );
    expect(a.libraries.map((l) => [l.archive, l.total])).toEqual(b.libraries.map((l) => [l.archive, l.total]));
    const table = firstAppPartition(parsePartitionTable(new Uint8Array(readFileSync(c.partitionsPath!))))!;
    // Used: the allocated PROGBITS sections of the real ELF's section table (what the image carries).
    const progbits = readFileSync(join(c.dir, 'elf-sections.txt'), 'utf8')
      .split('\n')
      .map((l) => /^\s*\[\s*\d+\]\s+\S+\s+PROGBITS\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+(\S*A\S*)\s/.exec(l))
      .reduce((sum, m) => sum + (m ? parseInt(m[1], 16) : 0), 0);
    expect(a.appPartition).toMatchObject({
      name: table.label,
      offset: table.offset,
      size: table.size,
      used: progbits,
      sizeSource: 'partition-table',
    });
    expect(b.appPartition!.used, 'map-only').toBe(progbits);
  });

  it('agrees with esp-idf-size 2.0.0 up to the definitions in docs/memmap-json.md', async () => {
    const m = await modelMapOnly(c);
    const idf = corpusExpected<IdfSizeSummary>(c, 'esp-idf-size-summary.json').layout;
    const used = (name: string) => idf.find((l) => l.name === name)?.used ?? 0;
    const ours = (name: string) => region(m, name)?.used ?? 0;
    const ramSections = m.sections.filter((s) => (s.region === 'IRAM' || s.region === 'DRAM') && !s.placeholder).map((s) => s.name);
    // (1) esp-idf-size leaves out output sections that hold only linker padding.
    const ram = ours('IRAM') + ours('DRAM') - fillOnlyBytes(c, ramSections);
    expect(ram, 'IRAM + DRAM').toBe(used('IRAM') + used('DRAM') + used('DIRAM'));
    // (2) On chips with one flash window for code and data (C6, H2) it counts both as Flash Code.
    const shared = c.chip === 'esp32c6' || c.chip === 'esp32h2';
    expect(ours('Flash Code') + (shared ? ours('Flash Data') : 0), 'Flash Code').toBe(used('Flash Code'));
    if (!shared) expect(ours('Flash Data'), 'Flash Data').toBe(used('Flash Data'));
    // DRAM's own limit is the same number for both where the chip has separate IRAM and DRAM.
    const dram = idf.find((l) => l.name === 'DRAM');
    if (c.chip === 'esp32') expect(region(m, 'DRAM')!.size).toBe(dram!.total);
  });
});

// The memory map against the cross binutils' own view (`size -A`), on the committed
// fixtures and on a fresh link of the chip fixtures with the real cross linkers; and the
// `esp32mm map` command end to end (table, JSON, before/after a real split).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildMemoryMap, type MemoryMapModel } from '../../../src/core/memmap/model';
import { parseMapFile } from '../../../src/core/mapfile/parse';
import { splitFile } from '../../../src/core/split/split';
import { isPlaceholderSection } from '../../../src/core/split/libraries';
import { mapCommand } from '../../../src/cli/map';
import { parseCommandArgs } from '../../../src/cli/command';
import { FIXTURES, abs } from '../../unit/memmap/fixtures';
import { checkInvariants } from '../../unit/memmap/invariants';

const SIZE = { xtensa: 'xtensa-lx106-elf-size', riscv: 'riscv64-unknown-elf-size' };
const CHIP_ARCH: Record<string, 'xtensa' | 'riscv'> = {
  esp32: 'xtensa',
  esp32s2: 'xtensa',
  esp32s3: 'xtensa',
  esp32c3: 'riscv',
  esp32c6: 'riscv',
};

/** `size -A -d`: name, size, address of every section binutils sees. */
function sizeA(tool: string, elf: string): { name: string; size: number; address: number }[] {
  const out = execFileSync(tool, ['-A', '-d', elf], { encoding: 'utf8' });
  return out
    .split('\n')
    .slice(2)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 3 && f[0] !== 'Total')
    .map(([name, size, address]) => ({ name, size: Number(size), address: Number(address) }));
}

function checkAgainstSize(model: MemoryMapModel, tool: string, elf: string): void {
  const bin = sizeA(tool, elf);
  // Every section of the model has the size and address `size -A` prints ...
  for (const s of model.sections) {
    expect(
      bin.find((b) => b.name === s.name && b.address === s.address),
      s.name,
    ).toEqual({ name: s.name, size: s.size, address: s.address });
  }
  // ... and every non-empty section `size -A` shows at an address is in the model, except
  // the split's placeholders (no image bytes, no firmware memory: their library is loaded).
  for (const b of bin.filter((x) => x.address !== 0 && x.size > 0 && !isPlaceholderSection(x.name))) {
    expect(
      model.sections.some((s) => s.name === b.name),
      b.name,
    ).toBe(true);
  }
}

describe.each(FIXTURES)('$name against size -A', (f) => {
  it('per-section sizes equal size -A; used and totals add up', () => {
    const model = buildMemoryMap({ elf: readFileSync(abs(f.elf)), mapText: readFileSync(abs(f.map), 'utf8'), chip: f.chipOption });
    checkAgainstSize(model, SIZE[f.arch], abs(f.elf));
    checkInvariants(model);
  });
});

describe('fresh link of the chip fixtures', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mm-memmap-'));
    execFileSync('sh', [abs('test/fixtures/mapfiles/build.sh'), '--out', dir], { stdio: 'pipe' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(Object.keys(CHIP_ARCH))('%s: the linker reproduces the committed fixture and the model matches size -A', (chip) => {
    const elf = join(dir, chip, 'fw.elf');
    const map = readFileSync(join(dir, chip, 'fw.map'), 'utf8');
    expect(map).toBe(readFileSync(abs(`test/fixtures/mapfiles/out/${chip}/fw.map`), 'utf8'));
    // A C6 layout is an H2 layout too, and this map's paths name no chip: the test names it.
    const model = buildMemoryMap({ elf: readFileSync(elf), mapText: map, chip: chip === 'esp32c6' ? chip : undefined });
    expect(model.chip).toBe(chip);
    checkAgainstSize(model, SIZE[CHIP_ARCH[chip]], elf);
    checkInvariants(model);
    expect(parseMapFile(map).sections.length).toBeGreaterThan(5);
  });
});

describe('esp32mm map', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mm-mapcli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(...args: string[]): Promise<{ code: number; out: string }> {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
      lines.push(a.join(' '));
    });
    try {
      const { positionals, values } = parseCommandArgs(mapCommand, args);
      const code = await mapCommand.run(positionals, values);
      return { code, out: lines.join('\n') };
    } finally {
      spy.mockRestore();
    }
  }

  it('finds the map beside the ELF and prints the table with fill as its own line', async () => {
    for (const f of ['fw.elf', 'fw.map']) copyFileSync(abs(`test/fixtures/firmware/out/xtensa/${f}`), join(dir, f));
    const { code, out } = await run(join(dir, 'fw.elf'));
    expect(code).toBe(0);
    expect(out).toMatch(/^ESP32 \(detected\)/);
    expect(out).toMatch(/^Map: .*fw\.map \(beside fw\.elf\)$/m);
    expect(out).toMatch(/^IRAM\s+0x40080000\s+1,012\s/m);
    const model = buildMemoryMap({ elf: readFileSync(join(dir, 'fw.elf')), mapText: readFileSync(join(dir, 'fw.map'), 'utf8') });
    expect(out).toMatch(new RegExp(`^\\*fill\\*\\s+${model.fill.toLocaleString('en-US')}\\s`, 'm'));
    expect(out).toMatch(/^dsp\s+filters, codec\s/m);
  });

  it('--json prints exactly the model', async () => {
    const { out } = await run(join(dir, 'fw.elf'), '--json');
    const expected = buildMemoryMap({ elf: readFileSync(join(dir, 'fw.elf')), mapText: readFileSync(join(dir, 'fw.map'), 'utf8') });
    // The CLI adds which files it read and how it found them.
    const printed = JSON.parse(out) as MemoryMapModel;
    expect(printed.inputs?.map).toEqual({ path: join(dir, 'fw.map'), how: 'beside fw.elf' });
    expect({ ...printed, inputs: undefined }).toEqual(JSON.parse(JSON.stringify({ ...expected, inputs: undefined })));
  });

  it('after a real split: before/after from the .full.elf beside, flash saved = image difference', async () => {
    const split = await splitFile(join(dir, 'fw.elf'), join(dir, 'sd/mm'));
    expect(existsSync(join(dir, 'fw.full.elf'))).toBe(true);
    const { out } = await run(join(dir, 'fw.elf'), '--json');
    const model = JSON.parse(out) as MemoryMapModel;
    expect(model.split).toBe(true);
    expect(model.before?.split).toBe(false);
    expect(model.flashSaved).toBe(split.loadableBytesBefore - split.loadableBytesAfter);
    checkAgainstSize(model, SIZE.xtensa, join(dir, 'fw.elf'));
    checkAgainstSize(model.before!, SIZE.xtensa, join(dir, 'fw.full.elf'));
    // size -A shows each library section's placeholder; the model counts none of them.
    const placeholders = sizeA(SIZE.xtensa, join(dir, 'fw.elf')).filter((b) => isPlaceholderSection(b.name));
    expect(placeholders.map((b) => b.name).sort()).toEqual(
      model
        .before!.sections.filter((x) => x.library)
        .map((x) => x.name.replace(/^\.mm\./, '.esp32mm.'))
        .sort(),
    );
    expect(model.sections.some((x) => isPlaceholderSection(x.name))).toBe(false);
    expect(model.imageBytes).toBe(split.loadableBytesAfter);
    const table = (await run(join(dir, 'fw.elf'))).out;
    expect(table).toMatch(/\[split\]/);
    expect(table).toMatch(/^Before \/ after split\s+Before\s+After\s+Change/m);
    // RAM the slots reserve is still taken after the split: the row must not read as RAM saved.
    const reserved = model.regions.find((r) => r.name === 'DRAM')!.slotReserved!;
    expect(table).toMatch(new RegExp(`^DRAM\\s+([\\d,]+)\\s+\\1\\s+0 \\(${reserved.toLocaleString('en-US')} reserved for slots\\)$`, 'm'));
    expect(table).toMatch(new RegExp(`Flash saved by the split: ${model.flashSaved.toLocaleString('en-US')} bytes`));
  });

  it('a missing --map file is a clear error', async () => {
    await expect(run(join(dir, 'fw.elf'), '--map', join(dir, 'nope.map'))).rejects.toThrow(
      /cannot read the map file .*nope\.map: no such file/,
    );
  });
});

// loadMemoryMap: the build's files found and named; a damaged partition table is reported as
// the table's problem and does not hide the memory map.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMemoryMap } from '../../../src/core/memmap/load';
import { tempDir } from '../../helpers/tools';
import { abs } from './fixtures';

const EXAMPLE = abs('examples/esp32cam-ai/.pio/build/esp32cam');

function copyOfExample(): string {
  const dir = tempDir('esp32mm-load-');
  for (const f of ['firmware.elf', 'firmware.map', 'partitions.bin']) copyFileSync(join(EXAMPLE, f), join(dir, f));
  return dir;
}

describe('loadMemoryMap', () => {
  it('finds the map and the partition table beside the ELF and says how', async () => {
    const dir = copyOfExample();
    const m = await loadMemoryMap({ elf: join(dir, 'firmware.elf') });
    expect(m.inputs!.map).toEqual({ path: join(dir, 'firmware.map'), how: 'beside firmware.elf' });
    expect(m.inputs!.partitionTable).toEqual({ path: join(dir, 'partitions.bin'), how: 'in the build folder' });
    expect(m.appPartition).toMatchObject({ name: 'app0', size: 0x300000 });
  });

  it('a damaged partition table: the map is still shown, the table says what is wrong', async () => {
    const dir = copyOfExample();
    const bytes = readFileSync(join(dir, 'partitions.bin'));
    bytes[0x40] = 0x00; // entry 2's magic
    writeFileSync(join(dir, 'partitions.bin'), bytes);
    const m = await loadMemoryMap({ elf: join(dir, 'firmware.elf') });
    expect(m.appPartition).toBeUndefined();
    expect(m.inputs!.partitionTable).toEqual({
      problem: expect.stringMatching(/partitions\.bin cannot be read: partition table: entry 2 at offset 0x40/),
    });
    expect(m.regions.find((r) => r.name === 'DRAM')!.size).toBe(180736);
  });
});

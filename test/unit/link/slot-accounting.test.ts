// The memory map's slot line on the bundled example: the slot reserves what the fragment's
// `_mm_slot_ai_*` symbols span (IRAM text, then DRAM data with its bss after it), counted
// once — not the data range plus its bss a second time (33,048 B instead of 30,772 B).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../../src/core/elf/reader';
import { buildMemoryMap } from '../../../src/core/memmap/model';

const BUILD = join(__dirname, '../../../examples/esp32cam-ai/.pio/build/esp32cam');

describe('slot accounting on examples/esp32cam-ai', () => {
  const elfBytes = new Uint8Array(readFileSync(join(BUILD, 'firmware.elf')));
  const model = buildMemoryMap({ elf: elfBytes, mapText: readFileSync(join(BUILD, 'firmware.map'), 'latin1') });
  const slot = model.slots.find((s) => s.name === 'ai')!;

  it('reserves exactly the span of the slot symbols, read independently from the ELF', () => {
    const sym = (name: string) => readElf(elfBytes).symbol(name)!.value;
    const text = sym('_mm_slot_ai_text_end') - sym('_mm_slot_ai_text_start');
    const data = sym('_mm_slot_ai_data_end') - sym('_mm_slot_ai_data_start');
    expect([text, data]).toEqual([652, 30120]);
    expect(slot.size).toBe(text + data);
    expect(slot.size).toBe(30772);
  });

  it('lists the text and the data + bss range once each', () => {
    expect(slot.ranges.map((r) => [r.kind, r.region, r.size])).toEqual([
      ['text', 'IRAM', 652],
      ['data', 'DRAM', 30120],
    ]);
  });
});

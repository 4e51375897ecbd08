// A slot's reservation is counted once: the linker fragment's `_mm_slot_<slot>_data_*` symbols
// span the slot's bss as well, so the bss members (which have no slot symbols of their own) lie
// inside the data range and must not be added to it. Checked on the example (slot "ai":
// TinyClassifier + ImageFilters), against the slot symbols read with readelf's view of the ELF.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildMemoryMap } from '../../../src/core/memmap/model';
import { readElf } from '../../../src/core/elf/reader';
import { splitFirmware } from '../../../src/core/split/split';

const BUILD = join(__dirname, '..', '..', '..', 'examples', 'esp32cam-ai', '.pio', 'build', 'esp32cam');
const elf = new Uint8Array(readFileSync(join(BUILD, 'firmware.elf')));
const mapText = readFileSync(join(BUILD, 'firmware.map'), 'latin1');

describe('slot reservation of the example', () => {
  const sym = (name: string) => [...readElf(elf).symbols()].find((s) => s.name === name)!.value;
  const text = sym('_mm_slot_ai_text_end') - sym('_mm_slot_ai_text_start');
  const data = sym('_mm_slot_ai_data_end') - sym('_mm_slot_ai_data_start');

  it('reserves the text and data ranges of its symbols, the bss inside the data range once', () => {
    const m = buildMemoryMap({ elf, mapText });
    const slot = m.slots.find((s) => s.name === 'ai')!;
    expect(slot.size).toBe(text + data);
    expect(m.regions.find((r) => r.name === 'IRAM')!.slotReserved).toBe(text);
    expect(m.regions.find((r) => r.name === 'DRAM')!.slotReserved).toBe(data);
    for (const r of slot.ranges) {
      expect(slot.ranges.filter((o) => o !== r && o.start <= r.start && r.start + r.size <= o.start + o.size)).toEqual([]);
    }
  });

  it('after a split, used + reserved equals the unsplit use in every RAM region', () => {
    const split = splitFirmware(elf);
    const after = buildMemoryMap({ elf: split.strippedElf, mapText, fullElf: elf });
    for (const r of after.regions.filter((x) => !x.flash)) {
      expect(r.used + (r.slotReserved ?? 0), r.name).toBe(after.before!.regions.find((x) => x.name === r.name)!.used);
    }
  });
});

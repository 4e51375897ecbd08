// Flash slots (docs/design.md §6a): configuration, the fragment's regions and symbols, and
// the link check. The real link with ld and readelf/nm is in test/tools/link/flash-slots.
import { describe, expect, it } from 'vitest';
import { instructionWindow } from '../../../src/core/chips/chips';
import { type LinkConfigInput, parseSlotSpec, validateLinkConfig } from '../../../src/core/link/config';
import { checkFlashSlots, flashImages, flashPartitionNeed } from '../../../src/core/link/flashcheck';
import { generateFragment } from '../../../src/core/link/fragment';
import type { MapFile } from '../../../src/core/mapfile/parse';
import { type Partition, parsePartitionCsv } from '../../../src/core/platformio/partitions';

const APP_1M25 = 0x140000;
const flash = (input: Partial<LinkConfigInput>) =>
  validateLinkConfig({ chip: 'esp32', libs: ['A', 'B', 'C'], largestAppPartition: APP_1M25, ...input });

describe('flash slot configuration', () => {
  it.each(['ai(flash): A B', 'ai (flash): A B', 'ai( flash ):A,B'])('reads the slot kind in %j', (spec) => {
    expect(parseSlotSpec(spec)).toEqual({ name: 'ai', libs: ['A', 'B'], code: 'flash' });
  });

  it('makes one slot a flash slot and leaves the others in RAM', () => {
    const c = flash({ slots: ['ai(flash): A B'] });
    expect(c.slots).toEqual([
      { name: 'ai', libs: ['A', 'B'], code: 'flash' },
      { name: 'C', libs: ['C'], code: 'iram' },
    ]);
  });

  it('takes 15 flash-slot libraries, the directory of the mmlib partition, and refuses a 16th', () => {
    const libs = (n: number) => Array.from({ length: n }, (_, i) => `L${i}`);
    expect(validateLinkConfig({ chip: 'esp32', libs: libs(15), code: 'flash', largestAppPartition: APP_1M25 }).slots).toHaveLength(15);
    expect(() => validateLinkConfig({ chip: 'esp32', libs: libs(16), code: 'flash', largestAppPartition: APP_1M25 })).toThrow(
      /16 libraries are in flash slots, at most 15/,
    );
    // in RAM slots there is no such limit
    expect(validateLinkConfig({ chip: 'esp32', libs: libs(16) }).slots).toHaveLength(16);
  });

  it('makes every slot a flash slot with code = flash', () => {
    expect(flash({ code: 'flash', slots: ['ai: A B'] }).slots.map((s) => s.code)).toEqual(['flash', 'flash']);
  });

  it('starts flash slots at the first 64 KB boundary at or above the window start + the largest app partition', () => {
    expect(flash({ code: 'flash' }).flashCodeAddress).toBe(0x400d0000 + APP_1M25);
    // 0x1F0000 + 0x400D0000 = 0x402C0000 is aligned already; 0x1F1000 is rounded up
    expect(flash({ code: 'flash', largestAppPartition: 0x1f1000 }).flashCodeAddress).toBe(0x402d0000);
    expect(validateLinkConfig({ chip: 'esp32c3', libs: ['A'], code: 'flash', largestAppPartition: 0x300000 }).flashCodeAddress).toBe(
      0x42300000,
    );
  });

  it('takes an explicit address that is aligned, in the window and above the app', () => {
    expect(flash({ code: 'flash', flashCodeAddress: 0x40300000 }).flashCodeAddress).toBe(0x40300000);
    expect(flash({ code: 'flash', flashCodeAddress: 0x40300000, largestAppPartition: undefined }).flashCodeAddress).toBe(0x40300000);
  });

  it('gives RAM-only configurations no flash address', () => {
    expect(flash({}).flashCodeAddress).toBeUndefined();
  });

  it.each<[string, Partial<LinkConfigInput>, RegExp]>([
    ['an unknown slot kind', { slots: ['ai(rom): A'] }, /slot 'ai' has the kind 'rom': the only kind a slot can be given is flash/],
    [
      'no partition table and no address',
      { code: 'flash', largestAppPartition: undefined },
      /flash slots need the partition table .*--partitions.* or an explicit custom_mm_flash_code_addr/,
    ],
    [
      'an address not on 64 KB',
      { code: 'flash', flashCodeAddress: 0x40301000 },
      /custom_mm_flash_code_addr \(--flash-code-addr\) 0x40301000 is not on a 64 KB boundary.*use e.g. 0x40310000/,
    ],
    [
      'an address outside the window',
      { code: 'flash', flashCodeAddress: 0x40400000 },
      /0x40400000 is outside the esp32's instruction window 0x400D0000–0x40400000/,
    ],
    ['an address below the window', { code: 'flash', flashCodeAddress: 0x40080000 }, /is outside the esp32's instruction window/],
    [
      'an address the app can reach',
      { code: 'flash', flashCodeAddress: 0x40200000 },
      /0x40200000 is inside the part .* the app's own code can reach \(up to 0x40210000.*use 0x40210000 or above/,
    ],
    [
      'an app partition filling the window',
      { code: 'flash', largestAppPartition: 0x330000 },
      /no room for flash slots: the largest app partition/,
    ],
  ])('refuses %s, naming the option', (_name, input, message) => {
    expect(() => flash(input)).toThrow(message);
  });
});

describe('flash slot fragment', () => {
  const f = generateFragment(flash({ slots: ['ai(flash): A B', 'solo(flash): C'] }));

  it("declares the flash slots' region from the start address to the window's end", () => {
    const end = instructionWindow('esp32').end;
    expect(f).toContain(
      `mm_flash_code_seg (RX) : org = 0x40210000, len = 0x${(end - 0x40210000).toString(16).toUpperCase().padStart(8, '0')}`,
    );
  });

  it('puts the first flash slot at the region origin, the next on the 64 KB page after it, loading in mm_load_seg', () => {
    expect(f).toMatch(/OVERLAY ORIGIN\(mm_flash_code_seg\) : NOCROSSREFS\n {2}\{\n {4}\.mm\.A\.text/);
    expect(f).toContain('.mm.C.text ALIGN(_mm_slot_ai_text_end, 0x00010000) :');
    expect(f.match(/\} > mm_flash_code_seg AT> mm_load_seg/g)).toHaveLength(2);
  });

  it('marks each flash slot and computes the image offsets from the section sizes', () => {
    expect(f).toContain('_mm_slot_ai_flash = 1;');
    expect(f).toContain('_mm_slot_solo_flash = 1;');
    expect(f).toContain('_mm_A_flash_offset = 0x00010000;');
    expect(f).toContain('_mm_B_flash_offset = ABSOLUTE(_mm_A_flash_offset + ALIGN(_mm_A_text_end - _mm_A_text_start, 0x00010000));');
    expect(f).toContain('_mm_C_flash_offset = ABSOLUTE(_mm_B_flash_offset + ALIGN(_mm_B_text_end - _mm_B_text_start, 0x00010000));');
  });

  it('keeps data and bss of flash-slot libraries in DRAM', () => {
    expect(f).toContain('INSERT AFTER .dram0.data;');
    expect(f).toMatch(/\.mm\.C\.data : ALIGN\(4\)[\s\S]*?\} > dram0_0_seg AT> mm_load_seg/);
  });

  it('leaves RAM slots as they were', () => {
    const mixed = generateFragment(flash({ slots: ['ai(flash): A B'] }));
    expect(mixed).toMatch(/\.mm\.C\.text : ALIGN\(4\)[\s\S]*?\} > iram0_0_seg AT> mm_load_seg/);
    expect(mixed).not.toContain('_mm_slot_C_flash');
    expect(mixed).not.toContain('_mm_C_flash_offset');
  });
});

// A map as src/core/mapfile reads it: the fragment's region and the .mm text sections.
function linkedMap(sections: { name: string; address: number; size: number }[], origin = 0x40210000): MapFile {
  return {
    archiveMembers: [],
    discarded: [],
    lines: 0,
    carefulLines: 0,
    memory: [{ name: 'mm_flash_code_seg', origin, length: 0x40400000 - origin, attributes: 'xr' }],
    sections: sections.map((s) => ({ ...s, line: 1, inputs: [] })),
  };
}

const TABLE = `nvs, data, nvs, 0x9000, 0x5000,
app0, app, ota_0, 0x10000, 0x140000,
app1, app, ota_1, 0x150000, 0x140000,
mmlib, data, 0x40, 0x290000, 0x30000,
`;
const table = (csv = TABLE): { path: string; table: Partition[] } => ({ path: 'partitions.csv', table: parsePartitionCsv(csv) });

describe('flash slot link check', () => {
  const map = linkedMap([
    { name: '.mm.A.text', address: 0x40210000, size: 0x12345 },
    { name: '.mm.B.text', address: 0x40210000, size: 0x10 },
    { name: '.mm.C.text', address: 0x40080000, size: 0x40 }, // a RAM slot
  ]);

  it('lists the flash-slot images in library order with the offsets the fragment computes', () => {
    expect(flashImages(map, ['A', 'B', 'C'])).toEqual([
      { lib: 'A', address: 0x40210000, size: 0x12345, offset: 0x10000 },
      { lib: 'B', address: 0x40210000, size: 0x10, offset: 0x30000 },
    ]);
    expect(flashPartitionNeed(flashImages(map, ['A', 'B', 'C']))).toBe(0x10000 + 0x20000 + 0x10000);
  });

  it('passes slots above the app in the window with a large enough mmlib partition', () => {
    expect(checkFlashSlots(map, ['A', 'B', 'C'], { chip: 'esp32', partitions: table(TABLE.replace('0x30000', '0x40000')) })).toEqual([]);
  });

  it('refuses an mmlib partition too small for the directory and the aligned images', () => {
    const [p] = checkFlashSlots(map, ['A', 'B', 'C'], { chip: 'esp32', partitions: table() });
    expect(p.severity).toBe('error');
    expect(p.message).toMatch(
      /the mmlib partition \(196608 bytes\) is too small .* they need 262144 bytes \(64 KB directory \+ A 131072 \+ B 65536\)/,
    );
  });

  it('refuses a missing mmlib partition and prints the line to add', () => {
    const [p] = checkFlashSlots(map, ['A', 'B'], { chip: 'esp32', partitions: table(TABLE.split('\n').slice(0, 3).join('\n')) });
    expect(p.message).toMatch(/partitions.csv has no mmlib partition .* add the line "mmlib, data, 0x40, , 1M,"/);
  });

  it('refuses a partition named mmlib with the wrong subtype', () => {
    const [p] = checkFlashSlots(map, ['A'], { chip: 'esp32', partitions: table(TABLE.replace('data, 0x40', 'data, spiffs')) });
    expect(p.message).toMatch(/partition "mmlib" has type data and subtype spiffs: .* need type data, subtype 0x40/);
  });

  it("refuses a slot the app's own flash code could reach", () => {
    const low = linkedMap([{ name: '.mm.A.text', address: 0x40200000, size: 0x100 }], 0x40200000);
    const [p] = checkFlashSlots(low, ['A'], { chip: 'esp32', partitions: table() });
    expect(p.message).toMatch(
      /A: its flash slot at 0x40200000 is within the reach of the app's own flash code .*"app0", 0x00140000 bytes = 0x40210000.* to 0x40210000 or above/,
    );
  });

  it('refuses a slot outside the instruction window and one off a 64 KB boundary', () => {
    const out = linkedMap([
      { name: '.mm.A.text', address: 0x403f0000, size: 0x20000 },
      { name: '.mm.B.text', address: 0x40221000, size: 4 },
    ]);
    const messages = checkFlashSlots(out, ['A', 'B'], { chip: 'esp32', partitions: table(TABLE.replace('0x30000', '0x100000')) }).map(
      (p) => p.message,
    );
    expect(messages[0]).toMatch(/A: its flash slot 0x403F0000..0x40410000 is outside esp32's instruction window 0x400D0000..0x40400000/);
    expect(messages[1]).toMatch(/B: its flash slot starts at 0x40221000, not on a 64 KB boundary/);
  });

  it('asks for the chip and the partition table when flash slots are linked', () => {
    const [p] = checkFlashSlots(map, ['A', 'B'], {});
    expect(p.severity).toBe('warning'); // not checked is not known to be wrong
    expect(p.message).toMatch(
      /A, B are linked into flash slots, which cannot be checked without the chip and the partition table: give --chip and --partitions/,
    );
  });

  it('refuses an mmlib partition off a 64 KB boundary (its images are mapped as whole pages)', () => {
    const [p] = checkFlashSlots(map, ['A', 'B'], {
      chip: 'esp32',
      partitions: table(TABLE.replace('0x290000, 0x30000', '0x291000, 0x100000')),
    });
    expect(p.message).toMatch(/the mmlib partition starts at 0x00291000, not on a 64 KB boundary: .* move it to 0x002A0000/);
  });

  it('has nothing to say about a link without flash slots', () => {
    expect(checkFlashSlots({ ...map, memory: [] }, ['A', 'B', 'C'], {})).toEqual([]);
  });
});

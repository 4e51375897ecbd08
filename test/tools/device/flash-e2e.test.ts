// Flash slots end to end in qemu-system-xtensa (lx106) and qemu-system-riscv32 (virt, Sv32
// paging for the ESP32-C3 window address) through the real tools: generated
// libraries (BigModel: ≥ 200 KB of code, more than the ESP32's whole IRAM; Small; RamModel
// and RamOther in an IRAM slot) placed by `esp32mm fragment` (flash slot "model": BigModel, Small),
// linked by the real cross compiler, split by `esp32mm split`, and loaded by the device
// library's loader (test/device/qemu-flash/e2e.c) into a 0xFF-filled partition file that
// it writes itself. The instruction window is RAM of the emulator standing for the cache
// mapping (test/device/qemu-flash/<arch>/base.ld; firmware/README.md "Flash slots" says what
// that leaves to a real board). Oracles: the JavaScript twin of the generated functions,
// readelf and nm of the ELF, the split files' payloads against the partition file's bytes.
// The device agent, cross-compiled into the same firmware, answers FLASH_SLOTS from the
// loader (mm_agent_flash_info); its answer is checked against nm and the split files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeLibraryFile } from '../../../src/core/split/format';
import {
  type Frame,
  FrameSplitter,
  FrameType,
  Status,
  encodeFrame,
  flashSlotsPayload,
  helloPayload,
  parseFlashSlotsReply,
} from '../../../src/core/transfer/frame';
import {
  FLASH_ARCHES,
  buildFlashFirmware,
  erasedPartition,
  generateLibrary,
  parseLoad,
  readManifest,
  runFlashFirmware,
  type FlashFirmware,
} from '../../helpers/flashFirmware';
import { esp32mm, readelfSections, runOk, tempDir } from '../../helpers/tools';

const PAGE = 0x10000,
  SECTOR = 0x1000;
const pages = (n: number) => Math.ceil(n / PAGE);
const sectors = (n: number) => Math.ceil(n / SECTOR);
const hex = (n: number) => '0x' + n.toString(16).padStart(8, '0');

const LIBS = [
  generateLibrary('BigModel', 'big_entry', 450, 17),
  generateLibrary('Small', 'small_entry', 4, 18),
  generateLibrary('RamModel', 'ram_entry', 4, 19),
  generateLibrary('RamOther', 'ram_other_entry', 2, 20),
];
const [BIG, SMALL, RAM] = LIBS;
const work = tempDir('esp32mm-flash-e2e-');
afterAll(() => {
  if (!process.env.ESP32MM_KEEP_TEST_DIRS) rmSync(work, { recursive: true, force: true });
});

/** HELLO, FLASH_SLOTS from the first image, BYE: what `esp32mm flash-slots` sends. */
const slotsRequest = () =>
  Buffer.concat([
    encodeFrame({ type: FrameType.HELLO, status: 0, seq: 1, payload: helloPayload() }),
    encodeFrame({ type: FrameType.FLASH_SLOTS, status: 0, seq: 2, payload: flashSlotsPayload(0) }),
    encodeFrame({ type: FrameType.BYE, status: 0, seq: 3, payload: new Uint8Array(0) }),
  ]);
function replies(bytes: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  const splitter = new FrameSplitter(
    (f) => frames.push(f),
    () => undefined,
  );
  splitter.push(bytes);
  splitter.flushIdle();
  return frames;
}

describe.each(FLASH_ARCHES)('flash slots end to end in $qemu: fragment, split, the loader writing the partition, switch, fault', (arch) => {
  let fw: FlashFirmware;
  const run = join(work, arch.name, 'run');
  const sizeOf = (name: string) => readelfSections(fw.elf.replace(/\.elf$/, '.full.elf')).find((s) => s.name === name)!;
  const nm = () =>
    new Map(
      runOk(`${arch.prefix}nm`, [fw.elf])
        .split('\n')
        .map((l) => /^([0-9a-f]+) \S (\S+)$/.exec(l))
        .filter((m) => m)
        .map((m) => [m![2], parseInt(m![1], 16)]),
    );
  const call = (lib: typeof BIG, i: number) => `${lib.name}(${i}) = ${hex(lib.predict(i))}`;

  beforeAll(() => {
    fw = buildFlashFirmware(arch, join(work, arch.name, 'build'), LIBS);
    mkdirSync(run, { recursive: true });
    cpSync(fw.mm, join(run, 'mm'), { recursive: true });
    writeFileSync(join(run, 'mmlib.bin'), erasedPartition());
  });

  it('links a library of ≥ 200 KB code into the flash slot at the window address; the manifest marks it flash', () => {
    const big = sizeOf('.mm.BigModel.text'),
      small = sizeOf('.mm.Small.text'),
      ram = sizeOf('.mm.RamModel.text');
    expect(big.size).toBeGreaterThanOrEqual(200 * 1024);
    expect(big.addr).toBe(arch.flashCodeAddr);
    expect(small.addr).toBe(arch.flashCodeAddr);
    // the IRAM slot is outside the window RAM (the emulators' IRAM stand-ins lie elsewhere)
    const symbols = nm();
    expect(ram.addr >= symbols.get('fw_flash_window_start')! && ram.addr < symbols.get('fw_flash_window_end')!).toBe(false);
    expect(big.addr).toBe(symbols.get('fw_flash_window_start'));
    const manifest = readManifest(fw).libraries;
    expect(manifest.find((l) => l.name === 'BigModel')).toMatchObject({ code: 'flash', flashOffset: hex(0x10000) });
    expect(manifest.find((l) => l.name === 'Small')).toMatchObject({ code: 'flash', flashOffset: hex(0x10000 + pages(big.size) * PAGE) });
    expect(manifest.find((l) => l.name === 'RamModel')).not.toHaveProperty('code');
  });

  it('esp32mm map --json shows the slot in the flash window as readelf and nm see it', () => {
    const r = esp32mm(['map', fw.elf, '--map', fw.map, '--partitions', fw.partitions, '--chip', arch.chip, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const { flashSlots } = JSON.parse(r.stdout);
    const big = sizeOf('.mm.BigModel.text'),
      small = sizeOf('.mm.Small.text');
    const symbols = nm();
    expect(flashSlots.window).toEqual(arch.window);
    expect(flashSlots.slots).toEqual([
      {
        name: 'model',
        libraries: ['BigModel', 'Small'],
        start: symbols.get('_mm_slot_model_text_start'),
        size: symbols.get('_mm_slot_model_text_end')! - symbols.get('_mm_slot_model_text_start')!,
        reserved: pages(big.size) * PAGE,
      },
    ]);
    expect(flashSlots.slots[0].start).toBe(big.addr);
    expect(flashSlots.images).toEqual([
      { library: 'BigModel', offset: symbols.get('_mm_BigModel_flash_offset'), size: big.size, reserved: pages(big.size) * PAGE },
      { library: 'Small', offset: symbols.get('_mm_Small_flash_offset'), size: small.size, reserved: PAGE },
    ]);
    expect(flashSlots.partition).toMatchObject({ name: 'mmlib', size: 0x100000, used: 0x10000 + (pages(big.size) + 1) * PAGE });
  });

  it("first boot: the loader writes each image once; switches between the slot's libraries only remap", () => {
    const big = sizeOf('.mm.BigModel.text'),
      small = sizeOf('.mm.Small.text');
    const r = runFlashFirmware(arch, fw, run, [
      'load BigModel',
      'call BigModel 0',
      'call BigModel 449',
      'load Small',
      'call Small 3',
      'load BigModel',
      'call BigModel 123',
      'load Small',
      'call Small 1',
      'load RamModel',
      'call RamModel 2',
    ]);
    expect(r.status, r.out).toBe(0);
    const loads = r.lines.filter((l) => l.startsWith('load ')).map(parseLoad);
    const window = `${hex(nm().get('fw_flash_window_start')!)}-${hex(nm().get('fw_flash_window_end')!)}`;
    expect(r.lines.filter((l) => !l.startsWith('load '))).toEqual([
      'init: OK',
      `flash: OK window ${window}`,
      'attach: OK',
      call(BIG, 0),
      call(BIG, 449),
      call(SMALL, 3),
      call(BIG, 123),
      call(SMALL, 1),
      call(RAM, 2),
      'done',
    ]);
    // a first write: per image its header sector and its data sectors erased; programmed:
    // the tally bit, the data sectors, the header, its valid word
    expect(loads[0]).toMatchObject({
      result: 'OK',
      erases: 1 + sectors(big.size),
      programs: 3 + sectors(big.size),
      mapped: pages(big.size),
      unmapped: 0,
    });
    expect(loads[0].programmed).toBeGreaterThanOrEqual(big.size);
    expect(loads[1]).toMatchObject({
      result: 'OK',
      erases: 1 + sectors(small.size),
      programs: 3 + sectors(small.size),
      mapped: 1,
      unmapped: pages(big.size),
    });
    // switches: nothing erased or programmed, only the pages remapped
    expect(loads[2]).toMatchObject({ result: 'OK', erases: 0, programs: 0, programmed: 0, mapped: pages(big.size), unmapped: 1 });
    expect(loads[3]).toMatchObject({ result: 'OK', erases: 0, programs: 0, programmed: 0, mapped: 1, unmapped: pages(big.size) });
    // the IRAM slot: a copy from the card, no flash
    expect(loads[4]).toMatchObject({ result: 'OK', erases: 0, programs: 0, mapped: 0, unmapped: 0 });
    // the partition holds the split payloads byte for byte at the linked offsets
    const part = readFileSync(join(run, 'mmlib.bin'));
    const symbols = nm();
    for (const lib of ['BigModel', 'Small']) {
      const { payload } = decodeLibraryFile(new Uint8Array(readFileSync(join(fw.mm, `${lib}_e`))));
      const at = symbols.get(`_mm_${lib}_flash_offset`)!;
      expect(Buffer.compare(part.subarray(at, at + payload.length), Buffer.from(payload))).toBe(0);
    }
    expect([0, SECTOR].map((at) => part.subarray(at, at + 4).toString('latin1'))).toEqual(['MMFH', 'MMFH']);
  });

  it('second boot on the same partition: nothing written, the right results; a call after unload faults', () => {
    const before = readFileSync(join(run, 'mmlib.bin'));
    const r = runFlashFirmware(arch, fw, run, [
      'load Small',
      'call Small 2',
      'load BigModel',
      'call BigModel 7',
      'call BigModel 250',
      'unload BigModel',
      'stale BigModel',
    ]);
    const loads = r.lines.filter((l) => l.startsWith('load ')).map(parseLoad);
    expect(loads.map((l) => [l.result, l.erases, l.programs])).toEqual([
      ['OK', 0, 0],
      ['OK', 0, 0],
    ]);
    const bigEntry = nm().get('big_entry')!;
    expect(r.lines.filter((l) => !l.startsWith('load ')).slice(3)).toEqual([
      call(SMALL, 2),
      call(BIG, 7),
      call(BIG, 250),
      'unload BigModel: OK',
      `calling BigModel at ${hex(bigEntry)} unloaded`,
      // the fault handlers end the run with 99: the unmapped window holds zeros, an illegal
      // instruction (Xtensa: the vectors exit silently; RISC-V: machine mode says where)
      ...(arch.name === 'riscv' ? [`TRAP mcause=2 mepc=${hex(bigEntry)}`] : []),
    ]);
    expect(bigEntry).toBeGreaterThanOrEqual(arch.flashCodeAddr);
    expect(r.status).toBe(99);
    expect(r.out).not.toContain('stale call returned');
    expect(Buffer.compare(readFileSync(join(run, 'mmlib.bin')), before)).toBe(0);
  });

  it('the device agent reports both images through mm_agent_flash_info: offsets, sizes, one write each, which is mapped', () => {
    writeFileSync(join(run, 'frames'), slotsRequest());
    const r = runFlashFirmware(arch, fw, run, ['load BigModel', 'agent']);
    expect(r.status, r.out).toBe(0);
    expect(r.lines).toContain(`agent: fed ${slotsRequest().length} bytes`);
    const frames = replies(new Uint8Array(readFileSync(join(run, 'replies'))));
    expect(frames.map((f) => [f.type, f.status])).toEqual([
      [0x81, Status.OK],
      [0x8b, Status.OK],
      [0x8a, Status.OK],
    ]);
    const symbols = nm();
    const image = (lib: string, index: number, mapped: boolean) => ({
      index,
      library: lib,
      offset: symbols.get(`_mm_${lib}_flash_offset`)!,
      size: decodeLibraryFile(new Uint8Array(readFileSync(join(fw.mm, `${lib}_e`)))).payload.length,
      // written once on the first boot (the test above), never since; the default limit
      writes: 1,
      limit: 1000,
      valid: true,
      current: true,
      mapped,
    });
    expect(parseFlashSlotsReply(frames[1].payload)).toEqual({
      more: false,
      images: [image('BigModel', 0, true), image('Small', 1, false)],
    });
  });
});

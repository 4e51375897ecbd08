// End to end on two emulators: the device-test firmware (test/device/qemu) is built with
// the real cross compilers, split by `esp32mm split` (the real pipeline), and run in QEMU
// with the split files as its "SD card" (semihosting). The Memory Manager runtime loads
// the libraries; the firmware prints what it got, and every line is checked here.
//
// The upload scenario (xtensa and riscv) also runs the device agent (firmware/src/mm_agent.c,
// compiled into the firmware as on a board) in the guest. What is emulated: the card is the
// run's host folder through semihosting (test/device/qemu/agent_card.c; on lx106 rename is a
// copy, QEMU has no rename there); the serial port is the file `frames`, holding the bytes
// the host would send (encoded here with the client's own frame encoder,
// src/core/transfer/frame.ts), read by the firmware and fed to the agent 100 bytes at a time;
// the agent's answers go to the file `replies`, decoded here with the client's splitter.
// It is a replay, not a conversation: the host side does not react to the answers (no
// retransmission, no resume), which the host-agent tests cover.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeLibraryFile, encodeLibraryFile } from '../../../src/core/split/format';
import {
  type Frame,
  FrameSplitter,
  FrameType,
  STATUS_NAMES,
  closePayload,
  dataPayload,
  encodeFrame,
  helloPayload,
  openPayload,
  parseCapabilities,
} from '../../../src/core/transfer/frame';
import { crc32 } from '../../../src/core/util/crc32';
import { REPO, esp32mm, readelfSections, run, runOk, tempDir } from '../../helpers/tools';

// xtensa and riscv place the libraries with hand-written linker scripts; xtensa-fragment
// with the build integration's generated fragment (esp32mm fragment --chip esp32) in front
// of a script that has no .mm statement, as a real ESP32 build does.
interface Arch {
  name: 'xtensa' | 'riscv' | 'xtensa-fragment';
  qemu: string;
  args: string[];
  binutils: string;
}
const XTENSA_ARGS = ['-M', 'sim', '-cpu', 'lx106', '-display', 'none', '-monitor', 'none', '-serial', 'none', '-semihosting'];
const ARCHES: Arch[] = [
  { name: 'xtensa', qemu: 'qemu-system-xtensa', binutils: 'xtensa-lx106-elf-', args: XTENSA_ARGS },
  { name: 'xtensa-fragment', qemu: 'qemu-system-xtensa', binutils: 'xtensa-lx106-elf-', args: XTENSA_ARGS },
  {
    name: 'riscv',
    qemu: 'qemu-system-riscv32',
    binutils: 'riscv64-unknown-elf-',
    args: [
      '-M',
      'virt',
      '-bios',
      'none',
      '-display',
      'none',
      '-monitor',
      'none',
      '-serial',
      'none',
      '-semihosting-config',
      'enable=on,target=native',
    ],
  },
];

interface Firmware {
  dir: string;
  elf: string;
  fullElf: string;
  mm: string;
  manifest: { buildId: string; libraries: { name: string; files: { file: string; loadAddress: string }[] }[] };
}

function buildAndSplit(arch: Arch, version: '' | 'v2' = ''): Firmware {
  const dir = tempDir(`esp32mm-device-${arch.name}${version}-`);
  runOk('sh', [join(REPO, 'test/device/qemu/build.sh'), arch.name, dir, ...(version ? [version] : [])]);
  const elf = join(dir, 'fw.elf');
  const mm = join(dir, 'mm');
  const split = esp32mm(['split', elf, '--out', mm]);
  if (split.status !== 0) throw new Error(`esp32mm split failed:\n${split.stderr}${split.stdout}`);
  return { dir, elf, fullElf: join(dir, 'fw.full.elf'), mm, manifest: JSON.parse(readFileSync(join(mm, 'manifest.json'), 'utf8')) };
}

/**
 * Run the (split) firmware with `scenario`, the good files in mm/ and `bad` files in bad/;
 * `files` are put in the run folder and `inspect` sees it before it is removed.
 */
function runScenario(
  arch: Arch,
  fw: Firmware,
  scenario: string,
  bad: Record<string, Uint8Array> = {},
  elf = fw.elf,
  { files = {}, inspect }: { files?: Record<string, Uint8Array>; inspect?: (cwd: string) => void } = {},
) {
  const cwd = tempDir(`esp32mm-run-${arch.name}-`);
  cpSync(fw.mm, join(cwd, 'mm'), { recursive: true });
  mkdirSync(join(cwd, 'bad'));
  for (const f of ['Multiplier_e', 'Multiplier_d']) copyFileSync(join(fw.mm, f), join(cwd, 'bad', f));
  for (const [f, bytes] of Object.entries(bad)) writeFileSync(join(cwd, 'bad', f), bytes);
  writeFileSync(join(cwd, 'scenario'), `${scenario}\n`);
  for (const [f, bytes] of Object.entries(files)) writeFileSync(join(cwd, f), bytes);
  const t0 = Date.now();
  const r = run('timeout', ['20', arch.qemu, ...arch.args, '-kernel', elf], { cwd });
  inspect?.(cwd);
  rmSync(cwd, { recursive: true, force: true });
  // program output arrives on stdout (Xtensa) or stderr (RISC-V semihosting)
  return { status: r.status, out: r.stdout + r.stderr, ms: Date.now() - t0 };
}

const read = (fw: Firmware, f: string) => new Uint8Array(readFileSync(join(fw.mm, f)));

/** Re-encode a valid file with changed header fields and/or payload (valid CRCs again). */
function reseal(file: Uint8Array, change: { loadAddress?: number; buildId?: Uint8Array; payload?: Uint8Array }): Uint8Array {
  const { header, payload } = decodeLibraryFile(file);
  const { payloadLength: _l, payloadCrc32: _c, ...h } = header;
  return encodeLibraryFile(
    {
      ...h,
      ...(change.loadAddress !== undefined ? { loadAddress: change.loadAddress } : {}),
      ...(change.buildId ? { buildId: change.buildId } : {}),
    },
    change.payload ?? payload,
  );
}
function flip(file: Uint8Array, offset: number): Uint8Array {
  const out = file.slice();
  out[offset] ^= 0x01;
  return out;
}
/** Flip a byte of the stored payload CRC and re-seal the header CRC, so the header is valid. */
function flipStoredPayloadCrc(file: Uint8Array): Uint8Array {
  const out = flip(file, 20);
  new DataView(out.buffer).setUint32(124, crc32(out.subarray(0, 124)), true);
  return out;
}

// ---- the upload scenario: what the host sends, as bytes ----

/** How the test damages one file's transfer on purpose. */
type Fault = 'none' | 'flipped data byte' | 'last data frame lost';
interface Upload {
  path: string;
  bytes: Uint8Array;
  fault: Fault;
}
const UPLOAD_CHUNK = 64; // several DATA frames even for the small Adder_d

/**
 * The frames an esp32mm client sends for these uploads: HELLO, then per file OPEN
 * (truncate), DATA in order, CLOSE with the file's size and CRC, and BYE. A flipped data
 * byte is corruption the frame CRC cannot see (it happened before framing): only the file
 * CRC in CLOSE catches it. A lost last frame is a truncated transfer.
 */
function uploadFrames(uploads: Upload[], firstSeq: number): Uint8Array {
  let seq = firstSeq;
  const frames: Uint8Array[] = [];
  const send = (type: number, payload: Uint8Array) => frames.push(encodeFrame({ type, status: 0, seq: seq++ & 0xffff, payload }));
  send(FrameType.HELLO, helloPayload());
  for (const u of uploads) {
    send(FrameType.OPEN, openPayload(u.path, u.bytes.length, crc32(u.bytes), true));
    const offsets = [...Array(Math.ceil(u.bytes.length / UPLOAD_CHUNK)).keys()].map((i) => i * UPLOAD_CHUNK);
    for (const off of u.fault === 'last data frame lost' ? offsets.slice(0, -1) : offsets) {
      const chunk = u.bytes.slice(off, off + UPLOAD_CHUNK);
      if (u.fault === 'flipped data byte' && off === 0) chunk[chunk.length - 1] ^= 0x01;
      send(FrameType.DATA, dataPayload(off, chunk));
    }
    send(FrameType.CLOSE, closePayload(u.bytes.length, crc32(u.bytes)));
  }
  send(FrameType.BYE, new Uint8Array(0));
  return Uint8Array.from(frames.flatMap((f) => [...f]));
}

/** The agent's answers, decoded by the client's own splitter. */
function agentReplies(bytes: Uint8Array): { frames: Frame[]; text: string } {
  const frames: Frame[] = [];
  let text = '';
  const splitter = new FrameSplitter(
    (f) => frames.push(f),
    (t) => {
      text += Buffer.from(t).toString('latin1');
    },
  );
  splitter.push(bytes);
  splitter.flushIdle();
  return { frames, text };
}
const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(FrameType).map(([k, v]) => [v, k]));
const replyName = (f: Frame) => `${TYPE_NAMES[f.type & 0x7f]} ${STATUS_NAMES[f.status]}`;

/** The symbols of an unsplit firmware, without the ones that describe Adder's own extent. */
function symbolsBesidesAdder(arch: Arch, fw: Firmware): string[] {
  return runOk(`${arch.binutils}nm`, [fw.fullElf])
    .split('\n')
    .filter((l) => l && !/ _mm_Adder_\w+$/.test(l));
}

for (const arch of ARCHES) {
  describe(`${arch.name}: Memory Manager runtime in ${arch.qemu}`, () => {
    let fw: Firmware;
    beforeAll(() => {
      fw = buildAndSplit(arch);
    });
    afterAll(() => {
      if (fw) rmSync(fw.dir, { recursive: true, force: true });
    });

    it(`${arch.name}: esp32mm split cut the libraries out of the firmware (readelf)`, () => {
      const names = readelfSections(fw.elf).map((s) => s.name);
      expect(names.filter((n) => n.startsWith('.mm.'))).toEqual([]);
      // Each library section left a NOBITS placeholder for debuggers; QEMU loads none of
      // them (the 'noload' scenario below faults calling into one).
      expect(
        readelfSections(fw.elf)
          .filter((s) => s.name.startsWith('.esp32mm.'))
          .map((s) => [s.name, s.type]),
      ).toEqual(
        expect.arrayContaining([
          ['.esp32mm.Adder.text', 'NOBITS'],
          ['.esp32mm.Multiplier.text', 'NOBITS'],
          ['.esp32mm.Shapes.text', 'NOBITS'],
        ]),
      );
      expect(readelfSections(fw.fullElf).map((s) => s.name)).toEqual(
        expect.arrayContaining(['.mm.Adder.text', '.mm.Multiplier.text', '.mm.Shapes.text']),
      );
      expect(fw.manifest.libraries.map((l) => l.name).sort()).toEqual(['Adder', 'Multiplier', 'Shapes']);
      // the build id the splitter patched into mm_build_id equals the one in the file headers
      const sym = runOk(`${arch.binutils}nm`, [fw.elf])
        .split('\n')
        .find((l) => / mm_build_id$/.test(l));
      expect(sym).toBeDefined();
      const dump = runOk(`${arch.binutils}objdump`, [
        '-s',
        '--start-address',
        `0x${sym!.split(' ')[0]}`,
        '--stop-address',
        `0x${(parseInt(sym!.split(' ')[0], 16) + 32).toString(16)}`,
        fw.elf,
      ]);
      const hex = [...dump.matchAll(/^ [0-9a-f]+ ((?:[0-9a-f]{2,8} ?){1,4})/gm)].map((m) => m[1].replace(/ /g, '')).join('');
      expect(hex).toBe(fw.manifest.buildId);
    });

    it(`${arch.name}: loads Adder from its files and calls it (data copied, bss zeroed)`, () => {
      const r = runScenario(arch, fw, 'basic');
      expect(r.out).toContain('load Adder: OK\n[fw_log] Adder: adding\nadder_calc(2,5) = 71\n');
      expect(r.out).toContain('adder_calc(2,5) = 79\nloaded: Adder\nexit 0');
      expect(r.status).toBe(0);
    });

    it(`${arch.name}: swaps Adder and Multiplier in one slot back and forth (MM_LAZY wrappers)`, () => {
      const r = runScenario(arch, fw, 'swap');
      const results = [...r.out.matchAll(/^(Adder 2,5|Multiplier 3,4|loaded:.*?)(?: = (\d+))?$/gm)].map((m) =>
        m[2] ? `${m[1]}=${m[2]}` : m[1],
      );
      expect(results).toEqual([
        'Adder 2,5=71',
        'Adder 2,5=79',
        'Multiplier 3,4=1112',
        'loaded: Multiplier',
        'Adder 2,5=71',
        'loaded: Adder',
        'Multiplier 3,4=1112',
        'Multiplier 3,4=1212',
        'Adder 2,5=71',
        'loaded: Adder',
      ]);
      expect(r.status).toBe(0);
    });

    it(`${arch.name}: C++ object with virtual methods, static constructor, destructor at unload`, () => {
      const r = runScenario(arch, fw, 'cpp');
      expect(r.out).toContain(
        [
          '[fw_log] Shapes: static constructor ran',
          'shape->name() = square',
          'shape->area() = 25',
          'shape->scaled_area() = 75',
          'shapes_registry_size() = 2',
          'shapes_total_area() = 22',
          'unload Shapes: [fw_log] Shapes: destructor ran',
          'OK',
          'loaded:',
          '[fw_log] Shapes: static constructor ran',
          'load Shapes: OK',
          'shapes_registry_size() = 2',
          'exit 0',
        ].join('\n'),
      );
      expect(r.status).toBe(0);
    });

    it(`${arch.name}: a raw call without loading faults (the code only comes from the file)`, () => {
      const r = runScenario(arch, fw, 'noload');
      expect(r.out).toContain('calling adder_calc without loading');
      expect(r.out).not.toContain('adder_calc(2,5) =');
      expect(r.status).toBe(99);
    });

    it(`${arch.name}: a call after unload faults (unload fills the code with illegal instructions)`, () => {
      const r = runScenario(arch, fw, 'after_unload');
      expect(r.out).toContain('adder_calc(2,5) = 71\nunload Adder: OK\ncalling adder_calc after unload\n');
      expect(r.out.match(/adder_calc\(2,5\) =/g)).toHaveLength(1);
      expect(r.status).toBe(99);
    });

    it(`${arch.name}: the unsplit firmware (mm_build_id all zeros) refuses to load anything`, () => {
      const r = runScenario(arch, fw, 'basic', {}, fw.fullElf);
      expect(r.out).toContain("begin: this firmware's mm_build_id is all zeros");
      expect(r.status).toBe(2);
    });

    // Damaged Multiplier files in bad/: refused with the right code, Adder (already in the
    // slot) keeps working, then the good Multiplier loads and the firmware carries on.
    const negatives: [string, string, (fw: Firmware) => Record<string, Uint8Array>][] = [
      [
        'wrong build id',
        'BUILD_ID Multiplier_e',
        (f) => {
          const id = decodeLibraryFile(read(f, 'Multiplier_e')).header.buildId.slice();
          id[0] ^= 0xff;
          return { Multiplier_e: reseal(read(f, 'Multiplier_e'), { buildId: id }) };
        },
      ],
      ['one flipped payload byte', 'PAYLOAD_CRC Multiplier_e', (f) => ({ Multiplier_e: flip(read(f, 'Multiplier_e'), 128 + 8) })],
      [
        'one flipped byte of the stored payload CRC',
        'PAYLOAD_CRC Multiplier_d',
        (f) => ({ Multiplier_d: flipStoredPayloadCrc(read(f, 'Multiplier_d')) }),
      ],
      ['one flipped byte of the header CRC', 'HEADER_CRC Multiplier_e', (f) => ({ Multiplier_e: flip(read(f, 'Multiplier_e'), 125) })],
      ['truncated file', 'TRUNCATED Multiplier_d', (f) => ({ Multiplier_d: read(f, 'Multiplier_d').slice(0, -4) })],
      [
        'oversize file (payload larger than the slot)',
        'TOO_BIG Multiplier_e',
        (f) => {
          const file = read(f, 'Multiplier_e');
          const big = new Uint8Array(0x4000 + 4); // larger than the whole code slot region
          big.set(decodeLibraryFile(file).payload);
          return { Multiplier_e: reseal(file, { payload: big }) };
        },
      ],
      [
        'file longer than its header says',
        'FILE_SIZE Multiplier_e',
        (f) => {
          const file = read(f, 'Multiplier_e');
          const longer = new Uint8Array(file.length + 16);
          longer.set(file);
          return { Multiplier_e: longer };
        },
      ],
      [
        'load address outside the slot (onto the Shapes slot)',
        'OUT_OF_SLOT Multiplier_e',
        (f) => {
          const shapes = f.manifest.libraries.find((l) => l.name === 'Shapes')!.files.find((x) => x.file === 'Shapes_e')!;
          return { Multiplier_e: reseal(read(f, 'Multiplier_e'), { loadAddress: parseInt(shapes.loadAddress, 16) }) };
        },
      ],
    ];
    for (const [what, expected, damage] of negatives) {
      it(`${arch.name}: refuses a ${what} with ${expected.split(' ')[0]} and keeps running`, () => {
        const r = runScenario(arch, fw, 'refuse', damage(fw));
        expect(r.out).toContain(`load Adder: OK\n[fw_log] Adder: adding\nadder_calc(2,5) = 71\nload Multiplier: ${expected} (`);
        expect(r.out).toContain('loaded: Adder\n[fw_log] Adder: adding\nadder_calc(2,5) = 79\n');
        expect(r.out).toContain(
          'load Multiplier: OK\n[fw_log] Multiplier: multiplying\nmultiplier_calc(3,4) = 1112\nstill running\nexit 0',
        );
        expect(r.status).toBe(0);
      });
    }

    // A new Adder (test/device/qemu/libs/adder.c with -DADDER_V2: scale 20 in .data, +500
    // in .text) reaches the running firmware through its agent. It is a real rebuild: the
    // same firmware linked again with the new Adder and split. Its build id differs (the id
    // hashes every section, the library's too), so its files are re-sealed with the running
    // firmware's id, which is sound only because nothing else moved: every symbol except
    // Adder's own end marker is at the same address in both links (checked first).
    if (arch.name !== 'xtensa-fragment')
      describe(`${arch.name}: a new Adder uploaded over the agent's protocol`, () => {
        let v2: Firmware;
        let newFiles: Record<'Adder_e' | 'Adder_d', Uint8Array>;
        beforeAll(() => {
          v2 = buildAndSplit(arch, 'v2');
          const id = decodeLibraryFile(read(fw, 'Adder_e')).header.buildId;
          newFiles = { Adder_e: reseal(read(v2, 'Adder_e'), { buildId: id }), Adder_d: reseal(read(v2, 'Adder_d'), { buildId: id }) };
        });
        afterAll(() => {
          if (v2) rmSync(v2.dir, { recursive: true, force: true });
        });

        const upload = (faults: [Fault, Fault]) => {
          const frames = uploadFrames(
            [
              { path: 'Adder_e', bytes: newFiles.Adder_e, fault: faults[0] },
              { path: 'Adder_d', bytes: newFiles.Adder_d, fault: faults[1] },
            ],
            0x4d2,
          );
          let card: Record<string, Buffer> = {};
          let replies = new Uint8Array(0);
          const r = runScenario(arch, fw, 'upload', {}, fw.elf, {
            files: { frames },
            inspect: (cwd) => {
              card = { Adder_e: readFileSync(join(cwd, 'mm/Adder_e')), Adder_d: readFileSync(join(cwd, 'mm/Adder_d')) };
              replies = new Uint8Array(readFileSync(join(cwd, 'replies')));
            },
          });
          return { ...r, frames, card, replies: agentReplies(replies) };
        };

        it(`${arch.name}: v2 is a real rebuild at the same addresses, with new code and new data`, () => {
          expect(symbolsBesidesAdder(arch, v2)).toEqual(symbolsBesidesAdder(arch, fw));
          const lib = (f: Firmware) => f.manifest.libraries.find((l) => l.name === 'Adder')!.files.map((x) => [x.file, x.loadAddress]);
          expect(lib(v2)).toEqual(lib(fw));
          for (const f of ['Adder_e', 'Adder_d'] as const) {
            expect(decodeLibraryFile(newFiles[f]).payload).not.toEqual(decodeLibraryFile(read(fw, f)).payload);
          }
        });

        it(`${arch.name}: load, call, receive the new files, unload, reload: the new version answers`, () => {
          const r = upload(['none', 'none']);
          expect(r.replies.frames.filter((f) => (f.type & 0x7f) !== FrameType.DATA).map(replyName)).toEqual([
            'HELLO OK',
            'OPEN OK',
            'CLOSE OK',
            'OPEN OK',
            'CLOSE OK',
            'BYE OK',
          ]);
          expect(
            r.replies.frames
              .filter((f) => (f.type & 0x7f) === FrameType.DATA)
              .map(replyName)
              .every((n) => n === 'DATA OK'),
          ).toBe(true);
          expect(r.replies.text).toBe('');
          // the agent reports the running firmware's build id
          expect(parseCapabilities(r.replies.frames[0].payload).buildId).toBe(fw.manifest.buildId);
          expect(new Uint8Array(r.card.Adder_e)).toEqual(newFiles.Adder_e);
          expect(new Uint8Array(r.card.Adder_d)).toEqual(newFiles.Adder_d);
          expect(r.out).toContain(
            [
              'load Adder: OK',
              '[fw_log] Adder: adding',
              'adder_calc(2,5) = 71',
              '[fw_log] Adder: adding',
              'adder_calc(2,5) = 79',
              `agent: bytes received = ${r.frames.length}`,
              // the running copy is untouched by the upload
              '[fw_log] Adder: adding',
              'adder_calc(2,5) = 87',
              'unload Adder: OK',
              // (2+5) * 20 + 1 + 500: the new data and the new code
              'load Adder: OK',
              '[fw_log] Adder: adding',
              'adder_calc(2,5) = 641',
              'exit 0',
            ].join('\n'),
          );
          expect(r.status).toBe(0);
        });

        it(`${arch.name}: a damaged upload (flipped data byte, lost last frame) is refused; the old version keeps answering`, () => {
          const r = upload(['flipped data byte', 'last data frame lost']);
          expect(r.replies.frames.filter((f) => (f.type & 0x7f) !== FrameType.DATA).map(replyName)).toEqual([
            'HELLO OK',
            'OPEN OK',
            'CLOSE BAD_CRC',
            'OPEN OK',
            'CLOSE BAD_SIZE',
            'BYE OK',
          ]);
          expect(new Uint8Array(r.card.Adder_e)).toEqual(read(fw, 'Adder_e'));
          expect(new Uint8Array(r.card.Adder_d)).toEqual(read(fw, 'Adder_d'));
          expect(r.out).toContain(
            [
              'adder_calc(2,5) = 79',
              `agent: bytes received = ${r.frames.length}`,
              '[fw_log] Adder: adding',
              'adder_calc(2,5) = 87',
              'unload Adder: OK',
              // the card still holds the old files: the reload brings the old version back
              'load Adder: OK',
              '[fw_log] Adder: adding',
              'adder_calc(2,5) = 71',
              'exit 0',
            ].join('\n'),
          );
          expect(r.status).toBe(0);
        });
      });
  });
}

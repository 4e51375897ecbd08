// The flash-slot firmware of test/device/qemu-flash/e2e.c, built through the real tools:
// generated libraries archived as PlatformIO does, `esp32mm fragment` (flash slot "model":
// BigModel, Small; IRAM slot "ram": RamModel, RamOther) in front of the base linker script, the real cross
// compiler, then `esp32mm split`. Shared by test/tools/device/flash-e2e.test.ts and
// bench/flash-slots.ts; the run helper gives QEMU the split files and a 0xFF-filled
// partition file and returns what the firmware printed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from './random';
import { REPO, esp32mm, run, runOk } from './tools';

export const FLASH_CODE_ADDR = 0x40200000; // = fw_flash_window_start of the base script
export const MMLIB_SIZE = 0x100000;
const PARTITIONS = [
  'nvs,      data, nvs,     0x9000,   0x5000,',
  'factory,  app,  factory, 0x10000,  0x100000,',
  `mmlib,    data, 0x40,    0x110000, 0x${MMLIB_SIZE.toString(16)},`,
  '',
].join('\n');

/** One step of a generated function: x = (x * mul + add) ^ (x >> shift), unsigned 32-bit. */
interface Step { mul: number; add: number; shift: number }
export interface GeneratedLibrary { name: string; entry: string; source: string; predict: (i: number) => number; functions: number }

/**
 * A library of `functions` seeded functions reached through one table (so --gc-sections
 * keeps them all), and its oracle: the same arithmetic in JavaScript. Unsigned, no
 * division (the lx106 has none and the link has no libgcc).
 */
export function generateLibrary(name: string, entry: string, functions: number, seed: number, steps = 24): GeneratedLibrary {
  const rnd = seededRandom(seed);
  const k = () => 1 + Math.floor(rnd() * 0x7fff);
  const fns: Step[][] = Array.from({ length: functions }, () => Array.from({ length: steps }, () => ({ mul: k(), add: k(), shift: 1 + (k() % 13) })));
  const prefix = name.toLowerCase();
  const body = (f: Step[], i: number) => f.map((s) => `  x = (x * ${s.mul}u + ${s.add}u) ^ (x >> ${s.shift});`).join('\n') + `\n  return x + ${i}u;`;
  const source = [
    ...fns.map((f, i) => `unsigned ${prefix}_fn_${i}(unsigned x) {\n${body(f, i)}\n}`),
    `unsigned (*const ${prefix}_table[${functions}])(unsigned) = { ${fns.map((_, i) => `${prefix}_fn_${i}`).join(', ')} };`,
    `unsigned ${entry}(unsigned i) { return ${prefix}_table[i < ${functions}u ? i : 0](i); }`,
  ].join('\n');
  const predict = (i: number) => {
    const f = i < functions ? i : 0;
    let x = i >>> 0;
    for (const s of fns[f]) {
      const y = (Math.imul(x, s.mul) + s.add) >>> 0;
      x = (y ^ (x >>> s.shift)) >>> 0;
    }
    return (x + f) >>> 0;
  };
  return { name, entry, source, predict, functions };
}

export interface FlashArch { name: 'xtensa'; prefix: string; cflags: string[]; qemu: string; qemuArgs: string[] }
export const XTENSA: FlashArch = {
  name: 'xtensa', prefix: 'xtensa-lx106-elf-', cflags: ['-mlongcalls'], qemu: 'qemu-system-xtensa',
  qemuArgs: ['-M', 'sim', '-cpu', 'lx106', '-display', 'none', '-monitor', 'none', '-serial', 'none', '-semihosting'],
};

export interface FlashFirmware { dir: string; elf: string; map: string; mm: string; partitions: string; libraries: GeneratedLibrary[] }

/** Build and split the firmware in `dir` with its four libraries (BigModel, Small, RamModel, RamOther). */
export function buildFlashFirmware(arch: FlashArch, dir: string, libraries: GeneratedLibrary[]): FlashFirmware {
  const src = join(REPO, 'firmware/src');
  const here = join(REPO, 'test/device/qemu-flash');
  const qemuDir = join(REPO, 'test/device/qemu', arch.name);
  const cflags = [...arch.cflags, '-Os', '-g', '-ffunction-sections', '-fdata-sections', '-Wall', '-Wextra', '-Werror', `-I${src}`, '-DMM_SEMIHOSTING', '-DMM_NO_STDIO'];
  mkdirSync(join(dir, 'obj'), { recursive: true });
  const cc = (file: string, out: string) => runOk(`${arch.prefix}gcc`, [...cflags, '-std=gnu11', '-c', file, '-o', out]);
  const archives = libraries.map((lib) => {
    const libDir = join(dir, 'lib', lib.name);
    mkdirSync(libDir, { recursive: true });
    writeFileSync(join(libDir, `${lib.name}.c`), lib.source);
    cc(join(libDir, `${lib.name}.c`), join(libDir, `${lib.name}.o`));
    const archive = join(libDir, `lib${lib.name}.a`);
    runOk(`${arch.prefix}ar`, ['rcs', archive, join(libDir, `${lib.name}.o`)]);
    return archive;
  });
  const objects = ['mm_loader', 'mm_crc32', 'mm_build_id', 'mm_port_generic', 'mm_storage_semihost', 'mm_flash', 'mm_flash_semihost']
    .map((m) => { cc(join(src, `${m}.c`), join(dir, 'obj', `${m}.o`)); return join(dir, 'obj', `${m}.o`); });
  cc(join(here, 'e2e.c'), join(dir, 'obj', 'e2e.o'));
  const starts = ['crt.S', 'io.c'].map((f, i) => { cc(join(qemuDir, f), join(dir, 'obj', `start${i}.o`)); return join(dir, 'obj', `start${i}.o`); });

  const partitions = join(dir, 'partitions.csv');
  writeFileSync(partitions, PARTITIONS);
  const fragment = join(dir, 'esp32mm.ld');
  const f = esp32mm(['fragment', '--chip', 'esp32', '--libs', libraries.map((l) => l.name).join(','),
    '--slot', 'model(flash):BigModel,Small', '--slot', 'ram:RamModel,RamOther', '--ctors', 'ctors', '--partitions', partitions,
    '--flash-code-addr', '0x' + FLASH_CODE_ADDR.toString(16), '-o', fragment]);
  if (f.status !== 0) throw new Error(`esp32mm fragment failed:\n${f.stderr}`);
  const elf = join(dir, 'fw.elf'), map = join(dir, 'fw.map');
  const l = run(`${arch.prefix}gcc`, [...arch.cflags, '-nostdlib', '-nostartfiles', '-T', fragment, '-T', join(here, arch.name, 'base.ld'),
    '-Wl,--gc-sections', `-Wl,-Map=${map}`, ...starts, join(dir, 'obj', 'e2e.o'), ...objects, ...archives, '-lc', '-lgcc', '-o', elf]);
  if (l.status !== 0) throw new Error(`link failed:\n${l.stderr}`);
  const mm = join(dir, 'mm');
  const s = esp32mm(['split', elf, '--out', mm]);
  if (s.status !== 0) throw new Error(`esp32mm split failed:\n${s.stderr}${s.stdout}`);
  return { dir, elf, map, mm, partitions, libraries };
}

/** The fresh, erased mmlib partition file. */
export function erasedPartition(): Uint8Array {
  return new Uint8Array(MMLIB_SIZE).fill(0xff);
}

/**
 * Run the split firmware in QEMU in `cwd` (which must hold mm/ and mmlib.bin) with the
 * scenario lines; QEMU's exit ends the run (the firmware exits after "done" or faults).
 */
export function runFlashFirmware(arch: FlashArch, fw: FlashFirmware, cwd: string, scenario: string[]) {
  writeFileSync(join(cwd, 'scenario'), scenario.join('\n') + '\n');
  const r = run('timeout', ['60', arch.qemu, ...arch.qemuArgs, '-kernel', fw.elf], { cwd });
  const out = r.stdout + r.stderr;
  return { status: r.status, out, lines: out.split('\n').filter((x) => x) };
}

/** The cost fields of a "load <lib>: OK card=.. erases=.." line. */
export interface LoadCost { result: string; card: number; erases: number; programs: number; programmed: number; mapped: number; unmapped: number }
export function parseLoad(line: string): LoadCost {
  const m = /^load \S+: (\S+) card=(\d+) erases=(\d+) programs=(\d+) programmed=(\d+) mapped=(\d+) unmapped=(\d+)$/.exec(line);
  if (!m) throw new Error(`not a load line: ${line}`);
  const [card, erases, programs, programmed, mapped, unmapped] = m.slice(2).map(Number);
  return { result: m[1], card, erases, programs, programmed, mapped, unmapped };
}

export function readManifest(fw: FlashFirmware): { libraries: { name: string; code?: string; flashOffset?: string }[] } {
  return JSON.parse(readFileSync(join(fw.mm, 'manifest.json'), 'utf8'));
}

// The flash-slot firmware of test/device/qemu-flash/e2e.c, built through the real tools:
// generated libraries archived as PlatformIO does, `esp32mm fragment` (flash slot "model":
// BigModel, Small; IRAM slot "ram": RamModel, RamOther) in front of the base linker script, the real cross
// compiler, then `esp32mm split`. Shared by test/tools/device/flash-e2e.test.ts and
// bench/flash-slots.ts; the run helper gives QEMU the split files and a 0xFF-filled
// partition file and returns what the firmware printed.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from './random';
import { REPO, esp32mm, run, runOk } from './tools';

export const MMLIB_SIZE = 0x100000;
const PARTITIONS = [
  'nvs,      data, nvs,     0x9000,   0x5000,',
  'factory,  app,  factory, 0x10000,  0x100000,',
  `mmlib,    data, 0x40,    0x110000, 0x${MMLIB_SIZE.toString(16)},`,
  '',
].join('\n');

/** One step of a generated function: x = (x * mul + add) ^ (x >> shift), unsigned 32-bit. */
interface Step {
  mul: number;
  add: number;
  shift: number;
}
export interface GeneratedLibrary {
  name: string;
  entry: string;
  source: string;
  predict: (i: number) => number;
  functions: number;
}

/**
 * A library of `functions` seeded functions reached through one table (so --gc-sections
 * keeps them all), and its oracle: the same arithmetic in JavaScript. Unsigned, no
 * division (the lx106 has none and the link has no libgcc).
 */
export function generateLibrary(name: string, entry: string, functions: number, seed: number, steps = 24): GeneratedLibrary {
  const rnd = seededRandom(seed);
  const k = () => 1 + Math.floor(rnd() * 0x7fff);
  const fns: Step[][] = Array.from({ length: functions }, () =>
    Array.from({ length: steps }, () => ({ mul: k(), add: k(), shift: 1 + (k() % 13) })),
  );
  const prefix = name.toLowerCase();
  const body = (f: Step[], i: number) =>
    f.map((s) => `  x = (x * ${s.mul}u + ${s.add}u) ^ (x >> ${s.shift});`).join('\n') + `\n  return x + ${i}u;`;
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

/**
 * An emulator target. flashCodeAddr = fw_flash_window_start of its base script
 * (test/device/qemu-flash/<name>/base.ld); window = the chip's instruction window.
 */
export interface FlashArch {
  name: 'xtensa' | 'riscv';
  chip: string;
  prefix: string;
  cflags: string[];
  flashCodeAddr: number;
  window: { start: number; end: number };
  fragmentArgs: string[];
  starts: string[];
  linkArgs: (dir: string) => string[];
  qemu: string;
  qemuArgs: string[];
}
const QEMU_DIR = join(REPO, 'test/device/qemu');
export const XTENSA: FlashArch = {
  name: 'xtensa',
  chip: 'esp32',
  prefix: 'xtensa-lx106-elf-',
  cflags: ['-mlongcalls'],
  flashCodeAddr: 0x40200000,
  window: { start: 0x400d0000, end: 0x40400000 },
  fragmentArgs: ['--ctors', 'ctors'],
  starts: [join(QEMU_DIR, 'xtensa/crt.S'), join(QEMU_DIR, 'xtensa/io.c')],
  linkArgs: () => ['-nostdlib', '-nostartfiles', '-lc', '-lgcc'],
  qemu: 'qemu-system-xtensa',
  qemuArgs: ['-M', 'sim', '-cpu', 'lx106', '-display', 'none', '-monitor', 'none', '-serial', 'none', '-semihosting'],
};
// gcc 12: -misa-spec=2.2 keeps fence.i in rv32imac and selects picolibc's rv32imac multilib
export const RISCV: FlashArch = {
  name: 'riscv',
  chip: 'esp32c3',
  prefix: 'riscv64-unknown-elf-',
  cflags: ['-misa-spec=2.2', '-march=rv32imac', '-mabi=ilp32', '--specs=picolibc.specs'],
  flashCodeAddr: 0x42400000,
  window: { start: 0x42000000, end: 0x42800000 },
  fragmentArgs: [],
  starts: [join(QEMU_DIR, 'riscv/io.c'), join(REPO, 'test/device/qemu-flash/riscv/supervisor.c')],
  linkArgs: (dir) => ['--oslib=semihost', '--crt0=semihost', `-L${picolibcSections(dir)}`],
  qemu: 'qemu-system-riscv32',
  qemuArgs: [
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
};
export const FLASH_ARCHES = [XTENSA, RISCV];

/** Debian's picolibc.ld SECTIONS body without its PHDRS (see riscv/base.ld); returns its folder. */
function picolibcSections(dir: string): string {
  const pld = '/usr/lib/picolibc/riscv64-unknown-elf/lib/picolibc.ld';
  if (!existsSync(pld)) throw new Error(`${pld} missing: apt-get install picolibc-riscv64-unknown-elf`);
  const lines = readFileSync(pld, 'utf8').split('\n');
  const start = lines.findIndex((l) => /^SECTIONS/.test(l));
  const end = lines.findIndex((l, i) => i > start && /^}/.test(l));
  const body = lines.slice(start + 2, end).map((l) => l.replace(/\s:(text|ram|ram_init|tls)\b/g, ''));
  writeFileSync(join(dir, 'picolibc_sections.ld'), body.join('\n') + '\n');
  return dir;
}

export interface FlashFirmware {
  dir: string;
  elf: string;
  map: string;
  mm: string;
  partitions: string;
  libraries: GeneratedLibrary[];
}

/** Build and split the firmware in `dir` with its four libraries (BigModel, Small, RamModel, RamOther). */
export function buildFlashFirmware(arch: FlashArch, dir: string, libraries: GeneratedLibrary[]): FlashFirmware {
  const src = join(REPO, 'firmware/src');
  const here = join(REPO, 'test/device/qemu-flash');
  const cflags = [
    ...arch.cflags,
    '-Os',
    '-g',
    '-ffunction-sections',
    '-fdata-sections',
    '-Wall',
    '-Wextra',
    '-Werror',
    `-I${src}`,
    '-DMM_SEMIHOSTING',
    '-DMM_NO_STDIO',
  ];
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
  const objects = [
    'mm_loader',
    'mm_crc32',
    'mm_build_id',
    'mm_port_generic',
    'mm_storage_semihost',
    'mm_flash',
    'mm_flash_semihost',
    'mm_agent',
    'mm_agent_flash',
  ].map((m) => {
    cc(join(src, `${m}.c`), join(dir, 'obj', `${m}.o`));
    return join(dir, 'obj', `${m}.o`);
  });
  cc(join(here, 'e2e.c'), join(dir, 'obj', 'e2e.o'));
  const starts = arch.starts.map((f, i) => {
    cc(f, join(dir, 'obj', `start${i}.o`));
    return join(dir, 'obj', `start${i}.o`);
  });

  const partitions = join(dir, 'partitions.csv');
  writeFileSync(partitions, PARTITIONS);
  const fragment = join(dir, 'esp32mm.ld');
  const f = esp32mm([
    'fragment',
    '--chip',
    arch.chip,
    '--libs',
    libraries.map((l) => l.name).join(','),
    '--slot',
    'model(flash):BigModel,Small',
    '--slot',
    'ram:RamModel,RamOther',
    ...arch.fragmentArgs,
    '--partitions',
    partitions,
    '--flash-code-addr',
    '0x' + arch.flashCodeAddr.toString(16),
    '-o',
    fragment,
  ]);
  if (f.status !== 0) throw new Error(`esp32mm fragment failed:\n${f.stderr}`);
  const elf = join(dir, 'fw.elf'),
    map = join(dir, 'fw.map');
  const [flags, libs] = [arch.linkArgs(dir).filter((a) => !a.startsWith('-l')), arch.linkArgs(dir).filter((a) => a.startsWith('-l'))];
  const l = run(`${arch.prefix}gcc`, [
    ...arch.cflags,
    ...flags,
    '-T',
    fragment,
    '-T',
    join(here, arch.name, 'base.ld'),
    '-Wl,--gc-sections',
    `-Wl,-Map=${map}`,
    ...starts,
    join(dir, 'obj', 'e2e.o'),
    ...objects,
    ...archives,
    ...libs,
    '-o',
    elf,
  ]);
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
export interface LoadCost {
  result: string;
  card: number;
  erases: number;
  programs: number;
  programmed: number;
  mapped: number;
  unmapped: number;
}
export function parseLoad(line: string): LoadCost {
  const m = /^load \S+: (\S+) card=(\d+) erases=(\d+) programs=(\d+) programmed=(\d+) mapped=(\d+) unmapped=(\d+)$/.exec(line);
  if (!m) throw new Error(`not a load line: ${line}`);
  const [card, erases, programs, programmed, mapped, unmapped] = m.slice(2).map(Number);
  return { result: m[1], card, erases, programs, programmed, mapped, unmapped };
}

export function readManifest(fw: FlashFirmware): { libraries: { name: string; code?: string; flashOffset?: string }[] } {
  return JSON.parse(readFileSync(join(fw.mm, 'manifest.json'), 'utf8'));
}

// Flash slots (docs/design.md §6a) linked for real: `esp32mm fragment --partitions` in front
// of the ESP-IDF-like memory.ld/sections.ld, Debian's lx106 and riscv64 toolchains, then
// `esp32mm fragment --check-map` and `esp32mm split`. readelf and nm are the oracles for
// the 64 KB pages, the window addresses and the image offsets; the split files' headers
// are read byte by byte here.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../helpers/random';
import { REPO, esp32mm, readelfSections, readelfSymbols, run, runOk, tempDir } from '../../helpers/tools';

const PAGE = 0x10000;
const APP = 0x140000; // the largest app partition of the table below
const align = (n: number) => Math.ceil(n / PAGE) * PAGE;

const TABLE = (mmlibSize: string | undefined) =>
  [
    'nvs,      data, nvs,    0x9000,   0x5000,',
    'otadata,  data, ota,    0xe000,   0x2000,',
    'app0,     app,  ota_0,  0x10000,  0x140000,',
    'app1,     app,  ota_1,  0x150000, 0x140000,',
    ...(mmlibSize ? [`mmlib,    data, 0x40,   0x290000, ${mmlibSize},`] : []),
    '',
  ].join('\n');

interface Toolchain {
  name: string;
  prefix: string;
  cflags: string[];
  scripts: string;
  chip: string;
  window: [number, number];
}

const TOOLCHAINS: Toolchain[] = [
  {
    name: 'Xtensa (ESP32)',
    prefix: 'xtensa-lx106-elf-',
    cflags: ['-mlongcalls'],
    scripts: join(REPO, 'test/fixtures/esp32-ld'),
    chip: 'esp32',
    window: [0x400d0000, 0x40400000],
  },
  {
    name: 'RISC-V (ESP32-C3)',
    prefix: 'riscv64-unknown-elf-',
    cflags: ['-misa-spec=2.2', '-march=rv32imac', '-mabi=ilp32'],
    scripts: join(REPO, 'test/fixtures/esp32-ld/riscv'),
    chip: 'esp32c3',
    window: [0x42000000, 0x42800000],
  },
];

/**
 * A library with more than 64 KB of real code: functions of seeded arithmetic reached
 * through one table, so --gc-sections keeps them all.
 */
function bigLibrary(functions: number): string {
  const rnd = seededRandom(17);
  const k = () => 1 + Math.floor(rnd() * 0x7fff);
  const body = (i: number) =>
    Array.from({ length: 24 }, () => `  x = (x * ${k()} + ${k()}) ^ (x >> ${1 + (k() % 13)});`).join('\n') + `\n  return x + ${i};`;
  const fns = Array.from({ length: functions }, (_, i) => `int big_fn_${i}(int x) {\n${body(i)}\n}`);
  return [
    ...fns,
    `int (*const big_table[${functions}])(int) = { ${fns.map((_, i) => `big_fn_${i}`).join(', ')} };`,
    // no division: the lx106 has none and the link has no libgcc
    `int big_entry(int i) { return big_table[(unsigned)i < ${functions}u ? i : 0](i); }`,
  ].join('\n');
}

const SOURCES: Record<string, string> = {
  BigModel: bigLibrary(400),
  Small: 'int small_entry(int x) { return x * 3 + 1; }\nint small_data = 7;\n',
  Other: 'static int other_state;\nint other_entry(int x) { other_state += x; return other_state; }\n',
  Ram: 'int ram_entry(int x) { return x - 5; }\n',
};
const MAIN = `int big_entry(int); int small_entry(int); int other_entry(int); int ram_entry(int);
volatile int sink;
__attribute__((noinline)) void app_main(void) { sink = big_entry(1) + small_entry(2) + other_entry(3) + ram_entry(4); }
void call_start_cpu0(void) { app_main(); for (;;) {} }
`;
const LIBS = ['BigModel', 'Small', 'Other', 'Ram'];
const SLOTS = ['model(flash): BigModel Small', 'other (flash): Other'];

interface Build {
  dir: string;
  archives: string[];
  main: string;
}

function compile(tc: Toolchain, dir: string): Build {
  const cc = (src: string, out: string) =>
    runOk(`${tc.prefix}gcc`, [...tc.cflags, '-Os', '-ffunction-sections', '-fdata-sections', '-c', src, '-o', out]);
  const archives = LIBS.map((lib, i) => {
    const libDir = join(dir, `lib${(0xf10 + i).toString(16)}`);
    mkdirSync(libDir, { recursive: true });
    writeFileSync(join(libDir, `${lib}.c`), SOURCES[lib]);
    cc(join(libDir, `${lib}.c`), join(libDir, `${lib}.o`));
    const archive = join(libDir, `lib${lib}.a`);
    runOk(`${tc.prefix}ar`, ['rcs', archive, join(libDir, `${lib}.o`)]);
    return archive;
  });
  writeFileSync(join(dir, 'main.c'), MAIN);
  cc(join(dir, 'main.c'), join(dir, 'main.o'));
  return { dir, archives, main: join(dir, 'main.o') };
}

function fragment(dir: string, tc: Toolchain, partitions: string, extra: string[] = []) {
  const out = join(dir, 'esp32mm.ld');
  const r = esp32mm([
    'fragment',
    '--chip',
    tc.chip,
    '--libs',
    LIBS.join(','),
    ...SLOTS.flatMap((s) => ['--slot', s]),
    '--partitions',
    partitions,
    ...extra,
    '-o',
    out,
  ]);
  return { ...r, path: out };
}

function link(tc: Toolchain, b: Build, script: string, name = 'fw') {
  const elf = join(b.dir, `${name}.elf`),
    map = join(b.dir, `${name}.map`);
  const r = run(
    `${tc.prefix}gcc`,
    [
      ...tc.cflags,
      '-nostdlib',
      '-Wl,--gc-sections',
      `-Wl,-Map=${map}`,
      `-L${tc.scripts}`,
      '-T',
      script,
      '-T',
      'memory.ld',
      '-T',
      'sections.ld',
      b.main,
      ...b.archives,
      '-o',
      elf,
    ],
    { cwd: b.dir },
  );
  return { ...r, elf, map };
}

const dirs: string[] = [];
afterAll(() => {
  if (!process.env.ESP32MM_KEEP_TEST_DIRS) dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe.each(TOOLCHAINS)('flash slots linked by $name', (tc) => {
  let b: Build;
  let elf: string;
  let map: string;
  let table: string;
  const section = (name: string) => {
    const s = readelfSections(elf).find((x) => x.name === name);
    if (!s) throw new Error(`${name} is not in ${elf}`);
    return s;
  };
  const symbol = (name: string) => readelfSymbols(elf).find((s) => s.name === name)?.value;

  beforeAll(() => {
    const dir = tempDir('esp32mm-flashslots-');
    dirs.push(dir);
    b = compile(tc, dir);
    table = join(dir, 'partitions.csv');
    writeFileSync(table, TABLE('1M'));
    const f = fragment(dir, tc, table);
    expect(f.status, f.stderr).toBe(0);
    const l = link(tc, b, f.path);
    expect(l.status, l.stderr).toBe(0);
    ({ elf, map } = l);
  });

  it("puts each flash slot on a 64 KB page in the instruction window, above the app's reach", () => {
    const reach = tc.window[0] + APP;
    const big = section('.mm.BigModel.text'),
      small = section('.mm.Small.text'),
      other = section('.mm.Other.text');
    expect(big.size).toBeGreaterThan(PAGE); // the next offset and slot are past a page
    expect(big.addr).toBe(align(reach));
    expect(small.addr).toBe(big.addr); // one slot: an overlay
    expect(other.addr).toBe(big.addr + align(Math.max(big.size, small.size)));
    for (const s of [big, small, other]) {
      expect(s.addr % PAGE).toBe(0);
      expect(s.addr).toBeGreaterThanOrEqual(reach);
      expect(s.addr + s.size).toBeLessThanOrEqual(tc.window[1]);
      expect(s.flags).toContain('X');
    }
    // the app's own flash code is below; a RAM slot stays in IRAM
    const flashText = section('.flash.text');
    expect(flashText.addr + flashText.size).toBeLessThan(reach);
    expect(section('.mm.Ram.text').addr).toBeLessThan(tc.window[0]);
    // data of a flash-slot library stays in DRAM, shared by the slot's libraries
    const dram = readFileSync(join(tc.scripts, 'memory.ld'), 'utf8').match(/dram0_0_seg \(RW\)\s*: org = (0x[0-9A-F]+)/)![1];
    expect(section('.mm.Small.data').addr).toBe(section('.mm.BigModel.data').addr);
    expect(section('.mm.BigModel.data').addr).toBeGreaterThanOrEqual(Number(dram));
    expect(section('.mm.BigModel.data').addr).toBeLessThan(tc.window[0]);
    expect(section('.mm.Small.data').flags).not.toContain('X');
  });

  it('defines the slot symbols and the image offsets ld computed from the section sizes (nm)', () => {
    const nm = new Map(
      runOk(`${tc.prefix}nm`, [elf])
        .split('\n')
        .map((l) => /^([0-9a-f]+) (\S) (\S+)$/.exec(l))
        .filter((m) => m)
        .map((m) => [m![3], { value: parseInt(m![1], 16), type: m![2] }]),
    );
    const big = section('.mm.BigModel.text'),
      small = section('.mm.Small.text');
    expect(nm.get('_mm_slot_model_flash')).toEqual({ value: 1, type: 'A' });
    expect(nm.get('_mm_slot_other_flash')).toEqual({ value: 1, type: 'A' });
    expect(nm.has('_mm_slot_Ram_flash')).toBe(false);
    expect(nm.get('_mm_slot_model_text_start')?.value).toBe(big.addr);
    expect(nm.get('_mm_slot_model_text_end')?.value).toBe(big.addr + Math.max(big.size, small.size));
    expect(nm.get('_mm_BigModel_flash_offset')).toEqual({ value: 0x10000, type: 'A' });
    expect(nm.get('_mm_Small_flash_offset')?.value).toBe(0x10000 + align(big.size));
    expect(nm.get('_mm_Other_flash_offset')?.value).toBe(0x10000 + align(big.size) + align(small.size));
    expect(nm.has('_mm_Ram_flash_offset')).toBe(false);
    expect(symbol('_mm_Small_flash_offset')).toBe(nm.get('_mm_Small_flash_offset')?.value); // readelf agrees
  });

  it('passes the link check, which refuses a missing or too small mmlib partition', () => {
    const ok = esp32mm(['fragment', '--check-map', map, '--elf', elf, '--libs', LIBS.join(','), '--chip', tc.chip, '--partitions', table]);
    expect(ok.stderr).not.toMatch(/error/);
    expect(ok.status).toBe(0);
    const need = 0x10000 + ['BigModel', 'Small', 'Other'].reduce((n, l) => n + align(section(`.mm.${l}.text`).size), 0);
    const small = join(b.dir, 'small.csv');
    writeFileSync(small, TABLE('0x30000'));
    const tooSmall = esp32mm(['fragment', '--check-map', map, '--libs', LIBS.join(','), '--chip', tc.chip, '--partitions', small]);
    expect(tooSmall.status).toBe(1);
    expect(tooSmall.stderr).toContain(
      `error: ${small}: the mmlib partition (196608 bytes) is too small for the flash-slot library images: they need ${need} bytes`,
    );
    const none = join(b.dir, 'none.csv');
    writeFileSync(none, TABLE(undefined));
    const missing = esp32mm(['fragment', '--check-map', map, '--libs', LIBS.join(','), '--chip', tc.chip, '--partitions', none]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/has no mmlib partition .* add the line "mmlib, data, 0x40, , 1M,"/);
    // not checked: a warning (exit 1 only with --strict)
    const blind = esp32mm(['fragment', '--check-map', map, '--libs', LIBS.join(',')]);
    expect(blind.status).toBe(0);
    expect(blind.stderr).toMatch(
      /warning: BigModel, Small, Other are linked into flash slots, which cannot be checked without the chip and the partition table/,
    );
    expect(esp32mm(['fragment', '--check-map', map, '--libs', LIBS.join(','), '--strict']).status).toBe(1);
  });

  it('splits the flash-slot code at its window address; the manifest says flash and gives the offset', () => {
    const full = join(b.dir, 'split.elf');
    writeFileSync(full, readFileSync(elf));
    const sections = new Map(readelfSections(full).map((s) => [s.name, s]));
    const offsets = new Map(['BigModel', 'Small', 'Other'].map((l) => [l, symbol(`_mm_${l}_flash_offset`)!]));
    const out = join(b.dir, 'mm');
    const r = esp32mm(['split', full, '--out', out, '--libs', LIBS.join(',')]);
    expect(r.status, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      libraries: { name: string; code?: string; flashOffset?: string }[];
    };
    for (const lib of LIBS) {
      const e = readFileSync(join(out, `${lib}_e`));
      const text = sections.get(`.mm.${lib}.text`)!;
      expect(e.subarray(0, 4).toString('latin1')).toBe('MMLB');
      expect(e.readUInt32LE(12)).toBe(text.addr); // load_addr
      expect(e.readUInt32LE(16)).toBe(text.size); // payload_len
      const entry = manifest.libraries.find((l) => l.name === lib)!;
      if (lib === 'Ram') expect(entry).not.toHaveProperty('code');
      else expect(entry).toMatchObject({ code: 'flash', flashOffset: '0x' + offsets.get(lib)!.toString(16).padStart(8, '0') });
    }
  });

  it('shows the window, the slots and the mmlib use in the memory map, from the ELF and from the map alone', () => {
    const big = section('.mm.BigModel.text'),
      small = section('.mm.Small.text'),
      other = section('.mm.Other.text');
    const images = [big, small, other].map((t) => align(t.size));
    // Map only, a slot is named after its first library: the slot symbols are the ELF's.
    for (const [args, names] of [
      [
        [elf, '--map', map],
        ['model', 'other'],
      ],
      [
        ['--map', map],
        ['BigModel', 'Other'],
      ],
    ]) {
      const r = esp32mm(['map', ...args, '--chip', tc.chip, '--partitions', table, '--json']);
      expect(r.status, r.stderr).toBe(0);
      const m = JSON.parse(r.stdout) as { flashSlots: Record<string, unknown>; slots: { name: string; flash?: true }[] };
      expect(m.flashSlots).toEqual({
        window: { start: tc.window[0], end: tc.window[1] },
        appReach: tc.window[0] + APP,
        slots: [
          {
            name: names[0],
            libraries: ['BigModel', 'Small'],
            start: big.addr,
            size: Math.max(big.size, small.size),
            reserved: align(Math.max(big.size, small.size)),
          },
          { name: names[1], libraries: ['Other'], start: other.addr, size: other.size, reserved: align(other.size) },
        ],
        images: [
          { library: 'BigModel', offset: 0x10000, size: big.size, reserved: images[0] },
          { library: 'Small', offset: 0x10000 + images[0], size: small.size, reserved: images[1] },
          { library: 'Other', offset: 0x10000 + images[0] + images[1], size: other.size, reserved: images[2] },
        ],
        partition: {
          name: 'mmlib',
          offset: 0x290000,
          size: 0x100000,
          used: 0x10000 + images[0] + images[1] + images[2],
          free: 0x100000 - 0x10000 - images[0] - images[1] - images[2],
          sizeSource: 'partition-table',
        },
      });
      expect(m.slots.filter((s) => s.flash).map((s) => s.name)).toEqual(names);
    }
    const text = esp32mm(['map', elf, '--map', map, '--chip', tc.chip, '--partitions', table]);
    expect(text.stdout).toMatch(new RegExp(`Flash window 0x${tc.window[0].toString(16).padStart(8, '0')}\\.\\.`, 'i'));
    expect(text.stdout).toMatch(/Partition mmlib\s+3 images \+ 64 KB directory/);
  });

  it('refuses an explicit address the app could reach, and ld refuses slots past the window', () => {
    const low = fragment(b.dir, tc, table, ['--flash-code-addr', '0x' + (tc.window[0] + 0x100000).toString(16)]);
    expect(low.status).toBe(2);
    expect(low.stderr).toMatch(
      /custom_mm_flash_code_addr \(--flash-code-addr\) 0x[0-9A-F]+ is inside the part .* the app's own code can reach/,
    );
    const high = fragment(b.dir, tc, table, ['--flash-code-addr', '0x' + (tc.window[1] - PAGE).toString(16)]);
    expect(high.status, high.stderr).toBe(0);
    const l = link(tc, b, high.path, 'overflow');
    expect(l.status).not.toBe(0);
    expect(l.stderr).toMatch(/mm_flash_code_seg/);
  });
});

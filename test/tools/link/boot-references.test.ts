// Links that boot: the link check on firmware built by the real Debian cross compilers
// (lx106 and RISC-V) and linked by their GNU ld with ESP-IDF-like scripts, the esp32mm
// fragment first. test/fixtures/esp32-ld/boot holds one archive per shape that breaks a
// dynamic library at boot (see its README); each must give its error or warning, naming the
// resident function, the library symbol and the file, and a clean library none.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLinkMap, type LinkWarning } from '../../../src/core/link/mapcheck';
import { esp32mm, runOk, tempDir } from '../../helpers/tools';
import {
  DYNAMIC,
  RISCV,
  type Toolchain,
  XTENSA,
  compileBoot,
  linkBoot,
  writeBootFragment,
  type BootBuild,
  type Linked,
} from './boot-project';
import { rmSync } from 'node:fs';

const dirs: string[] = [];
function work(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}
afterAll(() => {
  if (!process.env.ESP32MM_KEEP_TEST_DIRS) for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function check(l: Linked, libs = DYNAMIC, strict = false): LinkWarning[] {
  return checkLinkMap(readFileSync(l.map, 'latin1'), libs, { elf: new Uint8Array(readFileSync(l.elf)), strict });
}

const of = (ws: LinkWarning[], lib: string) => ws.filter((w) => w.lib === lib);
const problems = (ws: LinkWarning[]) => ws.filter((w) => w.severity !== 'note');

describe.each<[string, Toolchain, string[]]>([
  ['Xtensa lx106, scan of words and calls', XTENSA, []],
  ['Xtensa lx106, relocations kept (--emit-relocs)', XTENSA, ['-Wl,--emit-relocs']],
  ['RISC-V, relocations kept (--emit-relocs)', RISCV, ['-Wl,--emit-relocs']],
])('%s', (_name, tc, extra) => {
  let linked: Linked;
  let warnings: LinkWarning[];
  beforeAll(() => {
    const dir = work('esp32mm-boot-');
    const built = compileBoot(tc, dir);
    linked = linkBoot(tc, dir, 'fw', writeBootFragment(tc, dir), built, extra);
    warnings = check(linked);
  });
  const via = extra.length ? 'the relocations' : 'a scan of the words and calls';

  it('a startup object calling a library function: error naming do_core_init, startup.c.o and esp_pthread_init', () => {
    const w = of(warnings, 'pthread');
    expect(w.map((x) => [x.severity, x.kind])).toEqual([['error', 'slot-reference']]);
    expect(w[0].references!.map((r) => [r.holder, r.holderSymbol, r.holderFile, r.target])).toEqual([
      ['boot', 'do_core_init', 'libesp_system.a(startup.c.o)', 'esp_pthread_init'],
    ]);
    expect(w[0].message).toMatch(
      /^pthread: boot code refers into the slot of pthread: do_core_init \(libesp_system\.a\(startup\.c\.o\), \.text\.do_core_init in \.flash\.text\) → esp_pthread_init/,
    );
    expect(w[0].message).toContain(`found by ${via}`);
    expect(w[0].message).toContain('before app_main');
  });

  it('an IRAM function reading library data: error naming spi_flash_op, cache_utils.c.o and ipc_state', () => {
    const iram = of(warnings, 'esp_ipc').filter((x) => x.references?.[0].holder === 'iram');
    expect(iram.map((x) => x.severity)).toEqual(['error']);
    expect(iram[0].references!.map((r) => [r.holderSymbol, r.holderFile, r.outputSection, r.target])).toEqual([
      ['spi_flash_op', 'libspi_flash.a(cache_utils.c.o)', '.iram0.text', 'ipc_state'],
    ]);
    expect(iram[0].message).toContain('IRAM code (IRAM_ATTR, interrupt handlers) refers into the slot of esp_ipc: spi_flash_op');
  });

  it('a framework component whose constructor the boot expects: error naming the archive member', () => {
    const w = of(warnings, 'esp_ipc').filter((x) => x.kind === 'framework-ctor');
    expect(w.map((x) => x.severity)).toEqual(['error']);
    expect(w[0].message).toContain(
      "the constructor table entries of libesp_ipc.a(ipc.c.o) moved into the library's own table (.mm.esp_ipc.data)",
    );
    expect(w[0].message).toContain('would now run only when esp_ipc is loaded');
  });

  it('a framework rule placing the archive in IRAM: error naming the rule', () => {
    const w = of(warnings, 'esp_ringbuf').filter((x) => x.kind === 'framework-rule');
    expect(w.map((x) => x.severity)).toEqual(['error']);
    expect(w[0].message).toMatch(
      /ESP-IDF places all of libesp_ringbuf\.a in internal RAM on purpose — `\*libesp_ringbuf\.a:\(\.literal \.literal\.\* \.text \.text\.\*\)` in \.iram0\.text \(map line \d+\)/,
    );
  });

  it('a library --gc-sections removed entirely: "not linked", nothing else', () => {
    const w = of(warnings, 'unused');
    expect(w.map((x) => [x.severity, x.kind])).toEqual([['warning', 'not-linked']]);
    expect(w[0].message).toMatch(/^unused: not linked \(removed by --gc-sections or unused\): /);
  });

  it('the split of that link writes no files for the removed library, and says why', () => {
    const out = work('esp32mm-boot-split-');
    const elf = `${out}/fw.elf`;
    writeFileSync(elf, readFileSync(linked.elf));
    const r = esp32mm(['split', elf, '--out', `${out}/mm`, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(`${out}/mm`);
    expect(files.filter((f) => f.startsWith('unused_'))).toEqual([]);
    expect(files).toContain('esp_tls_e');
    expect(r.stdout + r.stderr).toContain(
      'unused: not linked (removed by --gc-sections or unused): its .mm sections are empty, so no files were written for it',
    );
    // The empty sections are gone from the ELF all the same.
    expect(runOk(`${tc.prefix}readelf`, ['-S', '-W', elf])).not.toMatch(/\.mm\.unused\./);
  });

  it('a hyphenated archive (libesp-tls.a) links into .mm.esp_tls.* and is only listed for its application call', () => {
    const secs = runOk(`${tc.prefix}readelf`, ['-SW', linked.elf]);
    expect(secs).toMatch(/\.mm\.esp_tls\.text\s+PROGBITS\s+\S+\s+\S+\s+0*[1-9a-f]/);
    const w = of(warnings, 'esp-tls');
    expect(w.map((x) => [x.severity, x.references?.map((r) => [r.holder, r.holderSymbol, r.holderFile, r.target])])).toEqual([
      ['note', [['call', 'app_main', 'main.c.o', 'esp_tls_conn_new']]],
    ]);
  });

  it('a library destructor (.dtors / .fini_array) follows the library into its own table', () => {
    const syms = runOk(`${tc.prefix}nm`, [linked.elf]);
    const sym = (n: string) => parseInt(new RegExp(`^([0-9a-f]+) \\S ${n}$`, 'm').exec(syms)![1], 16);
    expect(sym('_mm_asio_dtors_end') - sym('_mm_asio_dtors_start')).toBe(4);
    expect(sym('__DTOR_END__') - sym('__DTOR_LIST__')).toBe(0);
    expect(problems(of(warnings, 'asio'))).toEqual([]);
  });

  it('a clean library called only through its wrapper gives no warning, also in strict mode', () => {
    for (const strict of [false, true]) {
      const w = of(check(linked, DYNAMIC, strict), 'clean');
      expect(w.map((x) => [x.severity, x.references?.map((r) => [r.holder, r.holderSymbol, r.target])])).toEqual([
        ['note', [['wrapper', 'mm_clean_filter', 'clean_filter']]],
      ]);
    }
  });

  it('application calls are listed as notes, and refused in strict mode (only wrappers allowed)', () => {
    const calls = (ws: LinkWarning[]) => ws.filter((x) => x.references?.[0].holder === 'call').map((x) => [x.lib, x.severity]);
    expect(calls(warnings)).toEqual([
      ['esp_ipc', 'note'],
      ['esp_ringbuf', 'note'],
      ['asio', 'note'],
      ['esp-tls', 'note'],
    ]);
    const strict = check(linked, DYNAMIC, true);
    expect(calls(strict)).toEqual([
      ['esp_ipc', 'error'],
      ['esp_ringbuf', 'error'],
      ['asio', 'error'],
      ['esp-tls', 'error'],
    ]);
    expect(strict.find((x) => x.lib === 'asio' && x.severity === 'error')!.message).toMatch(
      /app_main \(main\.c\.o, .*\) → asio_run.* — call it through an MM_LAZY wrapper$/,
    );
  });
});

describe('a fragment that leaves the constructor and destructor tables behind (Xtensa)', () => {
  let warnings: LinkWarning[];
  beforeAll(() => {
    const dir = work('esp32mm-boot-old-');
    const built: BootBuild = compileBoot(XTENSA, dir);
    // The fragment before constructor/destructor capture: no KEEP(... .ctors / .dtors) lines.
    const old = writeBootFragment(XTENSA, dir, 'old.ld', (t) =>
      t
        .split('\n')
        .filter((l) => !/KEEP\(.*(\.ctors|\.dtors)/.test(l))
        .join('\n'),
    );
    warnings = check(linkBoot(XTENSA, dir, 'old', old, built));
  });

  it("the firmware's constructor table calling into a slot is an error naming the entry's file and the constructor", () => {
    const w = warnings.filter((x) => x.references?.[0].holder === 'init-table');
    expect(w.map((x) => [x.lib, x.severity])).toEqual([['esp_ipc', 'error']]);
    expect(w[0].references!.map((r) => [r.holderSymbol, r.holderFile, r.outputSection, r.target])).toEqual([
      ['.ctors', 'libesp_ipc.a(ipc.c.o)', '.flash.rodata', 'esp_ipc_init'],
    ]);
  });

  it('a destructor entry left in .flash.rodata is reported, with its file and destructor', () => {
    const w = warnings.filter((x) => x.references?.[0].holder === 'fini-table');
    expect(w.map((x) => [x.lib, x.severity])).toEqual([['asio', 'warning']]);
    expect(w[0].references!.map((r) => [r.holderSymbol, r.holderFile, r.target])).toEqual([['.dtors', 'libasio.a(asio.c.o)', 'asio_fini']]);
    // The map check says the same from the map alone: .dtors is outside .mm.asio.data.
    expect(warnings.find((x) => x.lib === 'asio' && x.kind === 'rule-lost')!.message).toMatch(/B in \.flash\.rodata \(\.dtors\)/);
  });
});

describe('RISC-V without relocations', () => {
  it('says the code was not audited and how to fix it; the map-based errors stay', () => {
    const dir = work('esp32mm-boot-rv-');
    const l = linkBoot(RISCV, dir, 'fw', writeBootFragment(RISCV, dir), compileBoot(RISCV, dir));
    const w = check(l);
    expect(w.filter((x) => x.kind === 'not-audited').map((x) => x.message)).toEqual([
      expect.stringMatching(/not checked \(\.iram0\.text, \.flash\.text\).*link with -Wl,--emit-relocs/),
    ]);
    expect(w.filter((x) => x.severity === 'error').map((x) => [x.lib, x.kind])).toEqual([
      ['esp_ipc', 'framework-ctor'],
      ['esp_ringbuf', 'framework-rule'],
    ]);
  });
});

describe('esp32mm fragment --check-map --elf (what the build hook runs)', () => {
  let linked: Linked;
  beforeAll(() => {
    const dir = work('esp32mm-boot-cli-');
    linked = linkBoot(XTENSA, dir, 'fw', writeBootFragment(XTENSA, dir), compileBoot(XTENSA, dir));
  });

  it('errors stop the build: exit 1, each printed as error: with the function, file and symbol', () => {
    const r = esp32mm(['fragment', '--check-map', linked.map, '--elf', linked.elf, '--libs', 'pthread,clean']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /^error: pthread: boot code refers into the slot of pthread: do_core_init \(libesp_system\.a\(startup\.c\.o\)/m,
    );
    expect(r.stderr).toMatch(/^note: clean: an MM_LAZY wrapper refers into the slot of clean: mm_clean_filter/m);
    expect(r.stderr).toMatch(/^1 error: /m);
  });

  it('clean and hyphenated libraries pass (exit 0, also with --strict for the wrapper-only library)', () => {
    const r = esp32mm(['fragment', '--check-map', linked.map, '--elf', linked.elf, '--libs', 'clean,esp-tls']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/^(warning|error):/m);
    expect(r.stdout).toContain(
      'all 2 libraries are in their .mm sections (clean, esp-tls); no resident code that runs without a load refers into their slots',
    );
    expect(esp32mm(['fragment', '--check-map', linked.map, '--elf', linked.elf, '--libs', 'clean', '--strict']).status).toBe(0);
    expect(esp32mm(['fragment', '--check-map', linked.map, '--elf', linked.elf, '--libs', 'esp-tls', '--strict']).status).toBe(1);
  });

  it('a name that cannot be a library, or two names with one identifier, are refused as usage errors', () => {
    const r = esp32mm(['fragment', '--check-map', linked.map, '--libs', 'esp-tls,esp_tls']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("'esp-tls' and 'esp_tls' cannot both be dynamic");
    expect(esp32mm(['fragment', '--check-map', linked.map, '--elf', '/nonexistent.elf', '--libs', 'clean']).stderr).toContain(
      'cannot read the ELF /nonexistent.elf (no such file)',
    );
  });
});

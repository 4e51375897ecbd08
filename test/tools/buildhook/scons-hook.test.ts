// The real build hook (firmware/extra_script/memory_manager.py), installed by `esp32mm init`,
// driven by Debian's scons through a PlatformIO-like SConstruct and linked by the real
// Xtensa cross linker. Checks: each library in its .mm sections (map + objdump/nm), the
// split runs after the link and before the .bin step, the .bin lacks the library bytes, a
// map flag the build already has (every form builders write) is found and not doubled, and
// $BUILD_DIR/esp32mm-build.json says where the ELF, the map and partitions.bin are.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanMemoryMap } from '../../../src/core/link/mapcheck';
import { CLI, runOk } from '../../helpers/tools';
import { HARNESS, HOOK_LIBS, newProject, scons } from './scons-run';
import { X, sectionsOf, symbolsOf, removeScratch, scratch } from './xtensa';

const LIBS = HOOK_LIBS;

/** The bytes of one section of an ELF, by the cross objcopy. */
function sectionBytes(elf: string, section: string, work: string): Buffer {
  const out = join(work, `${section.replace(/\W/g, '_')}.bin`);
  runOk(`${X}objcopy`, ['-O', 'binary', '-j', section, elf, out]);
  return readFileSync(out);
}

afterAll(removeScratch);
describe('PlatformIO-like scons build with the installed hook', () => {
  let project: string;
  let build: string;
  let first: ReturnType<typeof scons>;
  beforeAll(() => {
    project = newProject();
    build = join(project, '.pio/build/esp32dev');
    first = scons(project);
  });

  it('init wrote the hook with the path of the CLI that installed it', () => {
    const hook = readFileSync(join(project, 'memory_manager.py'), 'utf8');
    expect(hook).toContain(`INSTALLED_CLI = ${JSON.stringify(CLI)}`);
    expect(readFileSync(join(project, 'platformio.ini'), 'utf8')).toContain('extra_scripts = post:memory_manager.py');
  });

  it('builds: fragment first in the link line, map written, split before the .bin step', () => {
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const out = first.stdout;
    // The link command has -T <fragment> before the framework's -T memory.ld.
    const linkLine = out.split('\n').find((l) => l.startsWith(`${X}gcc -o `) && l.includes('firmware.elf'))!;
    expect(linkLine).toBeDefined();
    expect(linkLine.indexOf(join(build, 'esp32mm.ld'))).toBeGreaterThan(0);
    expect(linkLine.indexOf(join(build, 'esp32mm.ld'))).toBeLessThan(linkLine.indexOf('memory.ld'));
    expect(linkLine).toContain(`-Wl,-Map=${join(build, 'firmware.map')}`);
    // Static destructors of a loaded library go through the device library's wrapper.
    expect(linkLine.split(' ').filter((f) => f === '-Wl,--wrap=__cxa_atexit')).toHaveLength(1);
    const split = out.indexOf('esp32mm: split ');
    const bin = out.indexOf('elf2image: ');
    expect(split).toBeGreaterThan(0);
    expect(bin).toBeGreaterThan(split);
    expect(out).toContain('input already split: yes');
  });

  it('records where the ELF, the map and the partition table are: $BUILD_DIR/esp32mm-build.json', () => {
    expect(buildInfo(build)).toEqual({ elf: join(build, 'firmware.elf'), map: join(build, 'firmware.map'), partitions: null });
    // Written whole through a temporary file: none is left behind.
    expect(readdirSync(build).filter((f) => f.startsWith('esp32mm-build.json'))).toEqual(['esp32mm-build.json']);
  });

  it('links every library into its .mm sections (map, then objdump/nm on the full ELF)', () => {
    const map = scanMemoryMap(readFileSync(join(build, 'firmware.map'), 'utf8'));
    const full = join(build, 'firmware.full.elf');
    const secs = sectionsOf(full);
    const syms = symbolsOf(full);
    const owner: Record<string, string> = { tc_classify: 'TinyClassifier', if_blur: 'ImageFilters', fl_apply: 'Filters' };
    for (const [fn, lib] of Object.entries(owner)) {
      const inMap = map.find((s) => s.inputs.some((i) => i.symbols.includes(fn)));
      expect(inMap?.name, fn).toBe(`.mm.${lib}.text`);
      const s = secs.get(`.mm.${lib}.text`)!;
      expect(syms.get(fn)! >= s.vma && syms.get(fn)! < s.vma + s.size, fn).toBe(true);
    }
    expect(secs.get('.mm.TinyClassifier.text')!.vma).toBe(secs.get('.mm.ImageFilters.text')!.vma);
    // The stripped ELF has no .mm sections left.
    expect([...sectionsOf(join(build, 'firmware.elf')).keys()].filter((n) => n.startsWith('.mm.') && secs.get(n)!.size)).toEqual([]);
  });

  it('the .bin lacks the library bytes (and an image of the unsplit ELF has them)', () => {
    const image = readFileSync(join(build, 'firmware.bin'));
    const control = join(project, 'control.bin');
    runOk('python3', [join(HARNESS, 'elf2image.py'), join(build, 'firmware.full.elf'), control]);
    const controlImage = readFileSync(control);
    for (const lib of LIBS) {
      const code = sectionBytes(join(build, 'firmware.full.elf'), `.mm.${lib}.text`, project);
      expect(code.length, lib).toBeGreaterThan(8);
      expect(controlImage.includes(code), `${lib} in the unsplit image`).toBe(true);
      expect(image.includes(code), `${lib} in firmware.bin`).toBe(false);
    }
    expect(image.length).toBeLessThan(controlImage.length);
  });

  it('writes <lib>_e / <lib>_d and manifest.json into sd/mm', () => {
    for (const lib of LIBS) {
      expect(existsSync(join(project, 'sd/mm', `${lib}_e`)), lib).toBe(true);
      expect(existsSync(join(project, 'sd/mm', `${lib}_d`)), lib).toBe(true);
    }
    const manifest = JSON.parse(readFileSync(join(project, 'sd/mm/manifest.json'), 'utf8'));
    expect(manifest.libraries.map((l: { name: string }) => l.name).sort()).toEqual([...LIBS].sort());
  });

  it('prints the IRAM_ATTR warning from the map check', () => {
    expect(first.stdout + first.stderr).toMatch(/warning: TinyClassifier: \d+ B of IRAM_ATTR code stays resident.*tc_isr/);
  });

  it('a second build does nothing and leaves the outputs as they are', () => {
    const before = ['firmware.elf', 'firmware.bin'].map((f) => statSync(join(build, f)).mtimeMs);
    const again = scons(project);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).not.toContain('esp32mm: split');
    expect(again.stdout).not.toContain('elf2image');
    expect(['firmware.elf', 'firmware.bin'].map((f) => statSync(join(build, f)).mtimeMs)).toEqual(before);
  });
});

/** The gcc command that links firmware.elf, as scons printed it. */
function linkLineOf(stdout: string): string {
  const line = stdout.split('\n').find((l) => l.startsWith(`${X}gcc -o `) && l.includes('firmware.elf'));
  expect(line, stdout).toBeDefined();
  return line!;
}

/** Every ld map option on a link line, in any form (-Map, --Map; -Wl, / -Xlinker / bare). */
const mapFlags = (line: string) => line.match(/-Map\b/g) ?? [];

function buildInfo(build: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(build, 'esp32mm-build.json'), 'utf8'));
}

describe('a build that already writes a map: every form of the flag is found, none added', () => {
  // LINKFLAGS items as builders and users write them; the map ld writes (relative to the
  // build folder; arduino = the project folder's name, as arduino-esp32's builder names it).
  const forms: { form: string; items: string[]; map: string }[] = [
    { form: 'ESP-IDF: -Wl,--Map=<p>', items: ['-Wl,--Map=$BUILD_DIR/idf_project.map'], map: 'idf_project.map' },
    { form: '-Wl,-Map=<p>', items: ['-Wl,-Map=${BUILD_DIR}/${PROGNAME}.custom.map'], map: 'firmware.custom.map' },
    { form: '-Wl,-Map,<p>', items: ['-Wl,-Map,$BUILD_DIR/comma.map'], map: 'comma.map' },
    { form: '-Wl,--Map,<p>', items: ['-Wl,--Map,$BUILD_DIR/comma2.map'], map: 'comma2.map' },
    { form: '-Map=<p> (given to ld with -Xlinker)', items: ['-Xlinker', '-Map=$BUILD_DIR/xlinker.map'], map: 'xlinker.map' },
    { form: '--Map=<p> (given to ld with -Xlinker)', items: ['-Xlinker', '--Map=$BUILD_DIR/xlinker2.map'], map: 'xlinker2.map' },
    {
      form: '-Map <p> as two items (-Xlinker -Map -Xlinker <p>)',
      items: ['-Xlinker', '-Map', '-Xlinker', '$BUILD_DIR/two.map'],
      map: 'two.map',
    },
    { form: '-Wl,-Map <p> as two items', items: ['-Wl,-Map', '$BUILD_DIR/wl-two.map'], map: 'wl-two.map' },
    { form: 'arduino-esp32: \'-Wl,-Map="%s"\' % join("$BUILD_DIR", …)', items: ['-Wl,-Map="%s"'], map: 'arduino' },
    { form: "-Wl,-Map='<p>' (single quotes)", items: ["-Wl,-Map='${BUILD_DIR}/single.map'"], map: 'single.map' },
    { form: 'the whole item quoted', items: ['"-Wl,-Map=$BUILD_DIR/whole.map"'], map: 'whole.map' },
    {
      form: 'a relative path (from the folder the link runs in)',
      items: ['-Wl,-Map=.pio/build/esp32dev/relative.map'],
      map: 'relative.map',
    },
    { form: 'with other ld options in the same -Wl,', items: ['-Wl,--cref,-Map=$BUILD_DIR/cref.map,--no-warn-mismatch'], map: 'cref.map' },
    { form: '$TARGET in the path (substituted for the ELF)', items: ['-Wl,-Map=${TARGET.base}.target.map'], map: 'firmware.target.map' },
  ];

  it.each(forms)('$form', ({ items, map }) => {
    const project = newProject();
    const build = join(project, '.pio/build/esp32dev');
    const expected = join(build, map === 'arduino' ? `${basename(project)}.map` : map);
    const r = scons(project, { MM_MAP_FLAGS: JSON.stringify(items), MM_PARTITIONS: '1' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(mapFlags(linkLineOf(r.stdout))).toHaveLength(1);
    expect(r.stdout).toContain(`esp32mm: fragment --check-map ${expected} --elf ${join(build, 'firmware.elf')} --libs `);
    expect(r.stderr).not.toContain('cannot read');
    expect(existsSync(expected), expected).toBe(true);
    // The map that was checked is the one the link wrote: the library warning comes from it.
    expect(r.stdout + r.stderr).toMatch(/warning: TinyClassifier: \d+ B of IRAM_ATTR code stays resident/);
    expect(buildInfo(build)).toEqual({ elf: join(build, 'firmware.elf'), map: expected, partitions: join(build, 'partitions.bin') });
  });

  it.each([
    { form: '-Map=<p>', items: ['-Map=$BUILD_DIR/bare.map'] },
    { form: '--Map=<p>', items: ['--Map=$BUILD_DIR/bare.map'] },
    { form: '-Map <p>', items: ['-Map', '$BUILD_DIR/bare.map'] },
  ])('$form without -Xlinker (an ld-only form): still no second map flag; the gcc driver rejects it itself', ({ items }) => {
    const project = newProject();
    const r = scons(project, { MM_MAP_FLAGS: JSON.stringify(items) });
    expect(mapFlags(linkLineOf(r.stdout))).toHaveLength(1);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unrecognized command-line option '--?Map/);
  });
});

describe('several environments, and the hook listed twice', () => {
  it('each environment has its own map, check and esp32mm-build.json', () => {
    const project = newProject();
    const ini = join(project, 'platformio.ini');
    writeFileSync(ini, `${readFileSync(ini, 'utf8')}\n[env:second]\nextends = env:esp32dev\n`);
    const first = scons(project);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    const second = scons(project, { MM_ENV: 'second', MM_MAP_FLAGS: JSON.stringify(['-Wl,--Map=$BUILD_DIR/second_project.map']) });
    expect(second.status, second.stdout + second.stderr).toBe(0);
    const [a, b] = ['esp32dev', 'second'].map((e) => join(project, '.pio/build', e));
    expect(mapFlags(linkLineOf(second.stdout))).toHaveLength(1);
    expect(second.stdout).toContain(
      `esp32mm: fragment --check-map ${join(b, 'second_project.map')} --elf ${join(b, 'firmware.elf')} --libs `,
    );
    expect(buildInfo(a)).toEqual({ elf: join(a, 'firmware.elf'), map: join(a, 'firmware.map'), partitions: null });
    expect(buildInfo(b)).toEqual({ elf: join(b, 'firmware.elf'), map: join(b, 'second_project.map'), partitions: null });
    expect(existsSync(join(b, 'firmware.map'))).toBe(false);
  });

  it('a hook that runs twice in one environment sets up the link once', () => {
    const project = newProject();
    const ini = join(project, 'platformio.ini');
    writeFileSync(
      ini,
      readFileSync(ini, 'utf8').replace(
        'extra_scripts = post:memory_manager.py',
        'extra_scripts = post:memory_manager.py, post:memory_manager.py',
      ),
    );
    const r = scons(project);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const line = linkLineOf(r.stdout);
    expect(mapFlags(line)).toHaveLength(1);
    expect(line.split(' ').filter((f) => f === '-Wl,--wrap=__cxa_atexit')).toHaveLength(1);
    expect(r.stdout.split('esp32mm: fragment --check-map').length - 1).toBe(1);
  });
});

describe('a build that already wraps __cxa_atexit', () => {
  it.each(['-Wl,--wrap,__cxa_atexit', '-Wl,--gc-sections,--wrap=__cxa_atexit'])('does not add the flag a second time (%s)', (flag) => {
    const project = newProject();
    const r = scons(project, { MM_EXTRA_LINKFLAGS: flag });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(linkLineOf(r.stdout).match(/--wrap[=,]__cxa_atexit/g)).toHaveLength(1);
    expect(linkLineOf(r.stdout)).toContain(flag);
  });
});

describe('an environment without libraries', () => {
  it('builds as if the hook were not there', () => {
    const project = newProject();
    const ini = join(project, 'platformio.ini');
    writeFileSync(ini, readFileSync(ini, 'utf8').replace(/^custom_mm_libs = .*$/m, 'custom_mm_libs ='));
    const r = scons(project);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('esp32mm: custom_mm_libs is empty, nothing to do');
    expect(r.stdout).toContain('input already split: no');
    expect(r.stdout).not.toContain('esp32mm.ld');
    expect(existsSync(join(project, '.pio/build/esp32dev/firmware.full.elf'))).toBe(false);
  });
});

describe('failures stop the build', () => {
  it('boot code that calls into a slot stops the build after the link, naming function and library (the reference audit)', () => {
    const project = newProject();
    // The firmware's entry point calls a dynamic library directly: it would jump into the
    // empty slot before app_main. The hook links with --emit-relocs and hands the ELF to the check.
    const main = join(project, 'src', 'main.c');
    writeFileSync(main, readFileSync(main, 'utf8').replace('    app_main();', '    app_main();\n    sink = tc_classify(7);'));
    const r = scons(project);
    expect(r.status).not.toBe(0);
    expect(
      linkLineOf(r.stdout)
        .split(' ')
        .filter((a) => a === '-Wl,--emit-relocs'),
    ).toHaveLength(1);
    expect(r.stdout + r.stderr).toMatch(
      /error: TinyClassifier: boot code refers into the slot of TinyClassifier: call_start_cpu0 \(main\.c\.o[^)]*\) → tc_classify/,
    );
    expect(existsSync(join(project, 'sd', 'mm', 'TinyClassifier_e'))).toBe(false);
  });

  it('a failing split stops the build before the .bin step, with a clear message', () => {
    const project = newProject();
    // The split cannot create sd/mm: a file named sd is in the way.
    writeFileSync(join(project, 'sd'), 'not a folder');
    const r = scons(project);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/esp32mm: error: splitting .*firmware\.elf failed/);
    expect(existsSync(join(project, '.pio/build/esp32dev/firmware.bin'))).toBe(false);
    // Fixed, the next build links and splits again.
    rmSync(join(project, 'sd'));
    const ok = scons(project);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('input already split: yes');
  });

  it('a missing CLI named by ESP32MM_CLI stops the build with the variable named', () => {
    const project = newProject();
    const r = scons(project, { ESP32MM_CLI: join(project, 'no-such-cli.js') });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('ESP32MM_CLI points to');
  });

  it('a library name the configuration refuses stops the build before linking, naming the option and the environment', () => {
    const project = newProject();
    const ini = join(project, 'platformio.ini');
    // (Hyphens are allowed since ESP-IDF's components use them; a dot is not.)
    writeFileSync(ini, readFileSync(ini, 'utf8').replace('custom_mm_libs = TinyClassifier', 'custom_mm_libs = Tiny.Classifier'));
    const r = scons(project);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('library name "Tiny.Classifier" (in custom_mm_libs of [env:esp32dev]) cannot be used');
    expect(r.stderr).toContain('rename the lib/ folder');
    expect(existsSync(join(project, '.pio/build/esp32dev/firmware.elf'))).toBe(false);
  });
});

// A teammate or CI gets memory_manager.py from git: the path of the CLI that installed it
// does not exist on their machine. The project's own npm install must be found instead.
describe('finding esp32mm without the path init recorded', () => {
  const forgetInstalledCli = (project: string) => {
    const hook = join(project, 'memory_manager.py');
    writeFileSync(hook, readFileSync(hook, 'utf8').replace(/^INSTALLED_CLI = .*$/m, 'INSTALLED_CLI = "/nonexistent/esp32mm/dist/cli.js"'));
  };
  /** node_modules/.bin/esp32mm as npm makes it (a link to the package's cli.js); it leaves a trace when run. */
  const npmInstallInto = (project: string) => {
    const bin = join(project, 'node_modules/.bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'esp32mm'),
      `#!/bin/sh\necho "$@" >> "${join(project, 'local-cli-ran')}"\nexec "${process.execPath}" "${CLI}" "$@"\n`,
    );
    chmodSync(join(bin, 'esp32mm'), 0o755);
  };

  it("uses the project's node_modules/.bin/esp32mm, and still builds after the project folder moved", () => {
    const project = newProject();
    forgetInstalledCli(project);
    npmInstallInto(project);
    const r = scons(project);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(project, 'local-cli-ran'), 'utf8')).toMatch(/^split /m);
    // The whole folder somewhere else (a teammate's clone): the build hook and the CLI
    // are found relative to the project; nothing points back at the old place.
    const moved = scratch('esp32mm-moved-');
    rmSync(moved, { recursive: true, force: true });
    renameSync(project, moved);
    rmSync(join(moved, '.pio'), { recursive: true, force: true });
    const wrapper = join(moved, 'node_modules/.bin/esp32mm');
    writeFileSync(wrapper, readFileSync(wrapper, 'utf8').split(project).join(moved));
    const again = scons(moved);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(existsSync(join(moved, 'sd/mm/TinyClassifier_e'))).toBe(true);
  });

  it('with no esp32mm anywhere, stops the build and says exactly what to install', () => {
    const project = newProject();
    forgetInstalledCli(project);
    const r = scons(project);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('the esp32mm command was not found');
    expect(r.stderr).toContain('npm install --save-dev esp32-memory-manager');
    expect(r.stderr).toContain('Memory Manager: Install Build Integration');
    expect(existsSync(join(project, '.pio/build/esp32dev/firmware.bin'))).toBe(false);
  });
});

// The hook reads no custom_mm_* option itself: one `esp32mm config --json` per build decides
// the fragment, the folders and the libraries. An option only the CLI understands (here
// [platformio] data_dir, which the SCons stand-in does not pass to the hook) changes what the
// hook does, and every esp32mm command the hook runs is one config named.
describe('the hook acts on esp32mm config --json', () => {
  /** ESP32MM_CLI: a wrapper that logs each call's arguments (one line) and runs the real CLI. */
  const loggingCli = (project: string) => {
    const wrapper = join(project, 'logging-esp32mm');
    writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> "${join(project, 'cli-calls')}"\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(wrapper, 0o755);
    return wrapper;
  };

  it('data_dir and the storage come from the CLI: the split writes <data_dir>/mm; config is asked once and its fragment arguments are run', () => {
    const project = newProject();
    const ini = join(project, 'platformio.ini');
    writeFileSync(
      ini,
      readFileSync(ini, 'utf8')
        .replace('[platformio]\n', '[platformio]\ndata_dir = fsimage\n')
        .replace('custom_mm_storage = sd', 'custom_mm_storage = littlefs'),
    );
    const r = scons(project, { ESP32MM_CLI: loggingCli(project) });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(existsSync(join(project, 'fsimage/mm/TinyClassifier_e'))).toBe(true);
    expect(existsSync(join(project, 'data/mm'))).toBe(false);
    expect(existsSync(join(project, 'sd/mm'))).toBe(false);
    const calls = readFileSync(join(project, 'cli-calls'), 'utf8').trim().split('\n');
    expect(calls.filter((c) => c.startsWith('config '))).toHaveLength(1);
    expect(calls[0]).toBe(`config ${project} --env esp32dev --build-dir ${join(project, '.pio/build/esp32dev')} --json`);
    const config = JSON.parse(runOk(process.execPath, [CLI, ...calls[0].split(' ')])) as { fragmentArgs: string[]; outDir: string };
    expect(calls[1]).toBe(config.fragmentArgs.join(' '));
    expect(config.outDir).toBe(join(project, 'fsimage/mm'));
    expect(calls.find((c) => c.startsWith('split '))).toContain(`--out ${join(project, 'fsimage/mm')}`);
  });

  it("a bad option stops the build before anything is compiled, with the CLI's message", () => {
    const project = newProject();
    const ini = join(project, 'platformio.ini');
    writeFileSync(ini, readFileSync(ini, 'utf8').replace('custom_mm_storage = sd', 'custom_mm_storage = eeprom'));
    const r = scons(project);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('custom_mm_storage = eeprom: use sd, spiffs, littlefs');
    expect(existsSync(join(project, '.pio/build/esp32dev/esp32mm.ld'))).toBe(false);
    expect(existsSync(join(project, '.pio/build/esp32dev/firmware.elf'))).toBe(false);
  });
});

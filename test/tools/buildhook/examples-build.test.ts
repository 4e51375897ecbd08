// Both bundled examples as a new user gets them: `esp32mm init` on a copy, then a build with
// the PlatformIO-like SCons stand-in (lib/<Name>/src/ layout, the device library init
// vendored into lib/ESP32MemoryManager, Debian's Xtensa cross compiler, the Arduino stand-in
// of examples/esp32cam-ai/tools/framework-sim). The result links, every library is split
// into sd/mm, and the device library is compiled from the project's own copy. One build
// passes the framework's include folder as Arduino-ESP32 3.x does, through a response file
// (@file in CCFLAGS): the build hook still finds the framework's sdkconfig.h for the doctor.
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, esp32mm } from '../../helpers/tools';
import { scons } from './scons-run';
import { removeScratch, scratch } from './xtensa';

afterAll(removeScratch);

const FRAMEWORK = join(REPO, 'examples/esp32cam-ai/tools/framework-sim');
const DEFINES = 'ARDUINO_ESP32CAM ARDUINO_ARCH_ESP32 ESP32 ESP_PLATFORM ARDUINO=10812 MM_NO_STDIO';
const EXAMPLES = [
  {
    dir: 'examples/esp32cam-ai',
    libs: ['TinyClassifier', 'ImageFilters'],
    init: ['--slot', 'ai:TinyClassifier,ImageFilters'],
    includes: 'response',
  },
  { dir: 'firmware/examples/SdCardClassifier', libs: ['TinyClassifier'], init: [], includes: 'cpppath' },
];

describe.each(EXAMPLES)('$dir: init, then a build', ({ dir, libs, init, includes }) => {
  const project = scratch('esp32mm-example-build-');
  cpSync(join(REPO, dir), project, {
    recursive: true,
    filter: (p) => !p.includes('/.pio') && !p.includes('/tools/') && !p.endsWith('/sd'),
  });
  let build: ReturnType<typeof scons>;

  it('init accepts the example and vendors the device library', () => {
    const r = esp32mm([
      'init',
      project,
      '--env',
      'esp32cam',
      '--libs',
      libs.join(','),
      ...init,
      '--storage',
      'sd',
      '--code',
      'iram',
      '--data',
      'dram',
      '--dir',
      '/mm',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(project, 'lib/ESP32MemoryManager/src/mm_loader.c'))).toBe(true);
  });

  it(`builds with the ${includes === 'response' ? 'include folders in a response file' : 'include folders in CPPPATH'}: links, runs the doctor, splits every library into sd/mm`, () => {
    build = scons(project, {
      MM_ENV: 'esp32cam',
      MM_FRAMEWORK: FRAMEWORK,
      MM_LD_DIR: undefined,
      MM_CPPDEFINES: DEFINES,
      MM_INCLUDES_VIA: includes,
    });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    for (const lib of libs)
      for (const suffix of ['_e', '_d']) expect(existsSync(join(project, 'sd/mm', lib + suffix)), lib + suffix).toBe(true);
    expect(
      JSON.parse(readFileSync(join(project, 'sd/mm/manifest.json'), 'utf8'))
        .libraries.map((l: { name: string }) => l.name)
        .sort(),
    ).toEqual([...libs].sort());
    expect(build.stdout).toContain(`--sdkconfig ${join(FRAMEWORK, 'include/sdkconfig.h')}`);
    if (includes === 'response') {
      expect(build.stdout).toMatch(new RegExp(`-iprefix${FRAMEWORK}/ @\\S+/flags/includes`));
      expect(build.stdout).not.toContain(`-I${join(FRAMEWORK, 'include')}`);
    }
  });

  it("compiled the device library from the project's lib/ESP32MemoryManager/src, linked as loose objects (libArchive: false)", () => {
    const compiled = build.stdout.split('\n').filter((l) => l.includes('mm_loader.c') && / -c /.test(l));
    expect(compiled).toHaveLength(1);
    // SCons runs in the project folder and names sources relative to it: the project's copy.
    expect(compiled[0]).toMatch(/ lib\/ESP32MemoryManager\/src\/mm_loader\.c$/);
    const map = readFileSync(join(project, '.pio/build/esp32cam/firmware.map'), 'utf8');
    expect(map).toMatch(/\/ESP32MemoryManager\/mm_loader\.c\.o\b/);
    expect(map).not.toMatch(/libESP32MemoryManager\.a/);
  });
});

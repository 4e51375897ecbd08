// The PlatformIO project the e2e tests open: the example (examples/esp32cam-ai with its
// built firmware) when present, else a stand-in assembled from the committed fixture
// firmware (test/fixtures/firmware/out/xtensa: four libraries linked at fixed addresses).
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, REPO } from './harness';

export interface E2eProject {
  dir: string;
  env: string;
  source: 'example' | 'fixture';
  libs: string[];
  storage: 'sd' | 'spiffs' | 'littlefs';
}

const EXAMPLE = join(REPO, 'examples', 'esp32cam-ai');

function iniValue(ini: string, key: string): string | undefined {
  return new RegExp(`^\\s*${key}\\s*=\\s*(.+)$`, 'm')
    .exec(ini)?.[1]
    .replace(/\s[;#].*$/, '')
    .trim();
}

/** The example (required: its absence is a failure) and the fixture stand-in. */
export function e2eProjects(): E2eProject[] {
  return [exampleProject(), fixtureProject()];
}

export function exampleProject(): E2eProject {
  if (!existsSync(join(EXAMPLE, '.pio', 'build', 'esp32cam', 'firmware.elf'))) {
    throw new Error(`${EXAMPLE}/.pio/build/esp32cam/firmware.elf is missing: the example's committed build is needed`);
  }
  const ini = readFileSync(join(EXAMPLE, 'platformio.ini'), 'utf8');
  const storage = (iniValue(ini, 'custom_mm_storage') ?? 'sd') as E2eProject['storage'];
  return {
    dir: EXAMPLE,
    env: 'esp32cam',
    source: 'example',
    storage,
    libs: (iniValue(ini, 'custom_mm_libs') ?? '').split(/[\s,]+/).filter(Boolean),
  };
}

export function fixtureProject(): E2eProject {
  const dir = join(CACHE, 'fixture-project');
  rmSync(dir, { recursive: true, force: true });
  const build = join(dir, '.pio', 'build', 'esp32dev');
  mkdirSync(build, { recursive: true });
  const out = join(REPO, 'test', 'fixtures', 'firmware', 'out', 'xtensa');
  copyFileSync(join(out, 'fw.elf'), join(build, 'firmware.elf'));
  copyFileSync(join(out, 'fw.map'), join(build, 'firmware.map'));
  const libs = ['fastmath', 'shapes', 'filters', 'codec'];
  for (const l of libs) {
    mkdirSync(join(dir, 'lib', l, 'src'), { recursive: true });
    writeFileSync(join(dir, 'lib', l, 'src', `${l}.c`), `/* stand-in source of ${l} */\n`);
  }
  writeFileSync(
    join(dir, 'platformio.ini'),
    `; e2e stand-in built from test/fixtures/firmware (Xtensa, ESP32 addresses)
[env:esp32dev]
platform = espressif32
board = esp32dev
framework = arduino
custom_mm_libs = ${libs.join(', ')}
custom_mm_slots =
  fastmath: fastmath
  shapes: shapes
  dsp: filters codec
custom_mm_storage = sd
custom_mm_dir = /mm
`,
  );
  return { dir, env: 'esp32dev', source: 'fixture', storage: 'sd', libs };
}

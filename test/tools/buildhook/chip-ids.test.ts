// One parser of chip ids (parseChipId in src/core/chips/chips.ts) behind every way a chip is
// named: `esp32mm map --chip`, `esp32mm fragment --chip`, `esp32mm init --chip` (and so
// `esp32mm config`), and custom_mm_chip as the build hook sees it. Each spelling a user
// writes must mean the same chip everywhere.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, esp32mm, tempDir } from '../../helpers/tools';
import { HOOK_LIBS, newProject, scons } from './scons-run';
import { removeScratch } from './xtensa';

const SPELLINGS = ['s3', 'esp32-s3', 'ESP32-S3', 'ESP32S3', 'esp32_s3', 'esp32s3'];
const S3_MAP = join(REPO, 'test/fixtures/mapfiles/out/esp32s3/fw.map');
const work = tempDir('esp32mm-chip-ids-');
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  removeScratch();
});

const fragmentFor = (chip: string) => {
  const out = join(work, `fragment-${chip.replace(/\W/g, '_')}.ld`);
  const r = esp32mm([
    'fragment',
    '--chip',
    chip,
    '--libs',
    HOOK_LIBS.join(','),
    '--slot',
    'ai: TinyClassifier ImageFilters',
    '--ctors',
    'ctors',
    '-o',
    out,
  ]);
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(out, 'utf8');
};

describe.each(SPELLINGS)('chip %s', (spelling) => {
  it('map --chip reads the map as an ESP32-S3', () => {
    const r = esp32mm(['map', '--map', S3_MAP, '--chip', spelling, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const model = JSON.parse(r.stdout) as { chip: string; chipSource: string };
    expect(model).toMatchObject({ chip: 'esp32s3', chipSource: 'option' });
  });

  it('fragment --chip writes the ESP32-S3 fragment', () => {
    expect(fragmentFor(spelling)).toBe(fragmentFor('esp32s3'));
  });

  it('init --chip writes it, and config --json (what the hook acts on) resolves it to esp32s3 from custom_mm_chip', () => {
    const dir = join(work, `init-${spelling.replace(/\W/g, '_')}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'platformio.ini'), '[env:dev]\nplatform = espressif32\nboard = esp32dev\nframework = arduino\n');
    const r = esp32mm(['init', dir, '--env', 'dev', '--libs', 'A', '--storage', 'sd', '--chip', spelling]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'platformio.ini'), 'utf8')).toContain(`custom_mm_chip = ${spelling}\n`);
    const config = JSON.parse(esp32mm(['config', dir, '--json']).stdout) as { chip: string; chipSource: string };
    expect(config).toMatchObject({ chip: 'esp32s3', chipSource: 'custom_mm_chip' });
    const doctor = esp32mm(['doctor', dir, '--json']);
    expect((JSON.parse(doctor.stdout) as { chip: string }).chip, doctor.stderr).toBe('esp32s3');
  });
});

it('the build hook with custom_mm_chip = s3 writes and passes the ESP32-S3 fragment', () => {
  const project = newProject();
  const ini = join(project, 'platformio.ini');
  writeFileSync(ini, readFileSync(ini, 'utf8').replace('custom_mm_chip = esp32\n', 'custom_mm_chip = s3\n'));
  const r = scons(project);
  expect(r.stdout).toContain('esp32mm: fragment --chip esp32s3 ');
  expect(readFileSync(join(project, '.pio/build/esp32dev/esp32mm.ld'), 'utf8')).toBe(fragmentFor('esp32s3'));
});

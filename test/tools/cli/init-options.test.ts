// `esp32mm init` writes every option the build reads (MM_OPTIONS, what `esp32mm config` and
// so the build hook act on) and a second init keeps them: PSRAM code, the constructor table
// and the rest can all be set up through init. Each option is checked by what config --json
// makes of it, an independent reading of the platformio.ini init wrote.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MM_OPTIONS } from '../../../src/core/platformio/build-config';
import { esp32mm, tempDir } from '../../helpers/tools';

const work = tempDir('esp32mm-init-options-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Per option: the flag value init is given, the line it must write, and what config --json must then say. */
const CASES: Record<string, { value: string; line: string; config: Record<string, unknown> }> = {
  custom_mm_libs: { value: 'Vision,Audio', line: 'custom_mm_libs = Vision, Audio', config: { libs: ['Vision', 'Audio'] } },
  custom_mm_slots: {
    value: 'media:Vision,Audio',
    line: 'custom_mm_slots = media: Vision Audio',
    config: { slots: [{ name: 'media', libs: ['Vision', 'Audio'] }] },
  },
  custom_mm_chip: { value: 's3', line: 'custom_mm_chip = s3', config: { chip: 'esp32s3', chipSource: 'custom_mm_chip' } },
  custom_mm_code: { value: 'psram', line: 'custom_mm_code = psram', config: { code: 'psram' } },
  custom_mm_data: { value: 'psram', line: 'custom_mm_data = psram', config: { data: 'psram' } },
  custom_mm_ctors: { value: 'init_array', line: 'custom_mm_ctors = init_array', config: { ctors: 'init_array' } },
  custom_mm_psram_code_addr: {
    value: '0x42800000',
    line: 'custom_mm_psram_code_addr = 0x42800000',
    config: { psramCodeAddress: 0x42800000 },
  },
  custom_mm_flash_code_addr: {
    value: '0x42300000',
    line: 'custom_mm_flash_code_addr = 0x42300000',
    config: { flashCodeAddress: 0x42300000 },
  },
  custom_mm_storage: { value: 'littlefs', line: 'custom_mm_storage = littlefs', config: { storage: 'littlefs' } },
  custom_mm_dir: { value: '/libs', line: 'custom_mm_dir = /libs', config: { deviceDir: '/libs' } },
};
const INI = '[env:cam]\nplatform = espressif32\nboard = esp32dev\nframework = arduino\n';

function project(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'platformio.ini'), INI);
  return dir;
}
const config = (dir: string) => {
  const r = esp32mm(['config', dir, '--json']);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};
const allFlags = () => MM_OPTIONS.flatMap((m) => [`--${m.flag}`, CASES[m.option].value]);

describe('init and every option the build reads', () => {
  it('every option config --json reads has a case here', () => {
    expect(Object.keys(CASES).sort()).toEqual(MM_OPTIONS.map((m) => m.option).sort());
  });

  const dir = project('all');
  it('init writes each option inside its block, and config --json reads each back', () => {
    const r = esp32mm(['init', dir, '--env', 'cam', ...allFlags()]);
    expect(r.status, r.stderr).toBe(0);
    const ini = readFileSync(join(dir, 'platformio.ini'), 'utf8');
    for (const m of MM_OPTIONS) expect(ini, m.option).toContain(`\n${CASES[m.option].line}\n`);
    const c = config(dir);
    for (const m of MM_OPTIONS) expect(c, m.option).toMatchObject(CASES[m.option].config);
    expect(c.outDir).toBe(join(dir, 'data', 'mm'));
    expect(c.fragmentArgs).toEqual(
      expect.arrayContaining([
        '--code',
        'psram',
        '--data',
        'psram',
        '--ctors',
        'init_array',
        '--psram-code-addr',
        '0x42800000',
        '--chip',
        'esp32s3',
      ]),
    );
  });

  it('a second init with no option keeps every one: platformio.ini byte for byte, the same configuration', () => {
    const before = readFileSync(join(dir, 'platformio.ini'), 'utf8');
    const c = config(dir);
    const r = esp32mm(['init', dir, '--env', 'cam']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Kept from the existing esp32mm block: custom_mm_libs = Vision, Audio;');
    expect(readFileSync(join(dir, 'platformio.ini'), 'utf8')).toBe(before);
    expect(config(dir)).toEqual(c);
  });

  it.each(MM_OPTIONS.filter((m) => !['custom_mm_libs', 'custom_mm_storage'].includes(m.option)).map((m) => m.option))(
    '%s given empty is removed; the others stay',
    (option) => {
      const one = project(`remove-${option}`);
      expect(esp32mm(['init', one, '--env', 'cam', ...allFlags()]).status).toBe(0);
      const m = MM_OPTIONS.find((o) => o.option === option)!;
      // PSRAM code needs its address and the S3: removing either leaves code in IRAM.
      const keepValid = option === 'custom_mm_psram_code_addr' || option === 'custom_mm_chip' ? ['--code='] : [];
      const r = esp32mm(['init', one, '--env', 'cam', `--${m.flag}=`, ...keepValid]);
      expect(r.status, r.stderr).toBe(0);
      const ini = readFileSync(join(one, 'platformio.ini'), 'utf8');
      expect(ini).not.toContain(`${option} =`);
      for (const other of MM_OPTIONS)
        if (other.option !== option && !(keepValid.length && other.option === 'custom_mm_code'))
          expect(ini, other.option).toContain(CASES[other.option].line);
    },
  );

  it('an option written by hand outside the block is refused with the init flag that writes it', () => {
    const hand = project('by-hand');
    writeFileSync(join(hand, 'platformio.ini'), INI + 'custom_mm_psram_code_addr = 0x42800000\n');
    const r = esp32mm(['init', hand, '--env', 'cam', '--libs', 'Vision', '--storage', 'sd']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      'already sets custom_mm_psram_code_addr (line 5) outside the esp32mm block: remove it, then run init again with --psram-code-addr 0x42800000',
    );
  });

  it('a first init without --libs or --storage says what is missing', () => {
    const fresh = project('fresh');
    const r = esp32mm(['init', fresh, '--env', 'cam', '--storage', 'sd']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--libs A,B is required ([env:cam] has no esp32mm block to keep them from)');
  });
});

// `esp32mm doctor` as a process: on the bundled example (text and --json), with a real
// sdkconfig that has memory protection on (exit 1, the option named), on the map of a real
// link that overflowed IRAM (ld fails, its map still says where the slot went), and bad usage.
import { cpSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CORPUS_DIR } from '../../helpers/corpus';
import { REPO, esp32mm } from '../../helpers/tools';
import { newProject } from '../buildhook/scons-run';
import { LD_DIR, compileFixture, link, removeScratch, scratch } from '../buildhook/xtensa';
import { generateFragment } from '../../../src/core/link/fragment';
import { validateLinkConfig } from '../../../src/core/link/config';

afterAll(removeScratch);

function exampleCopy(): string {
  const dir = scratch('esp32mm-doctor-');
  cpSync(join(REPO, 'examples/esp32cam-ai'), dir, { recursive: true });
  return dir;
}

describe('esp32mm doctor', () => {
  it('the bundled example: no problems, every check said, memory protection not checked (Arduino, no include path here)', () => {
    const dir = exampleCopy();
    const r = esp32mm(['doctor', dir, '--env', 'esp32cam']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('esp32mm doctor: [env:esp32cam], esp32, framework arduino');
    expect(r.stdout).toMatch(/^checked slot-fit: 1 slot against the regions of the ELF/m);
    expect(r.stdout).toMatch(/^not checked memory-protection: /m);
    expect(r.stdout.trimEnd().endsWith('no problems found')).toBe(true);
    const json = JSON.parse(esp32mm(['doctor', dir, '--env', 'esp32cam', '--json']).stdout);
    expect(json).toMatchObject({ env: 'esp32cam', chip: 'esp32', framework: 'arduino', findings: [] });
    expect(json.inputs.elf).toBe(join(dir, '.pio/build/esp32cam/firmware.elf'));
  });

  it('a real S3 sdkconfig with memory protection on: exit 1, the option and the fix named (--json too)', () => {
    const sdkconfig = join(CORPUS_DIR, 'esp32s3_idf_oled/sdkconfig.esp32-s3-devkitc-1');
    if (!existsSync(sdkconfig)) throw new Error(`corpus file missing: ${sdkconfig}`);
    const dir = exampleCopy();
    const ini = join(dir, 'platformio.ini');
    writeFileSync(
      ini,
      readFileSync(ini, 'utf8')
        .replace('board = esp32cam', 'board = esp32-s3-devkitc-1')
        .replace('framework = arduino', 'framework = espidf'),
    );
    const r = esp32mm([
      'doctor',
      dir,
      '--env',
      'esp32cam',
      '--sdkconfig',
      sdkconfig,
      '--elf',
      join(REPO, 'examples/esp32cam-ai/.pio/build/esp32cam/firmware.elf'),
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('error: ESP32-S3: memory protection is on (CONFIG_ESP_SYSTEM_MEMPROT_FEATURE=y');
    expect(r.stdout).toContain('"# CONFIG_ESP_SYSTEM_MEMPROT_FEATURE is not set" to sdkconfig.defaults');
    const json = JSON.parse(esp32mm(['doctor', dir, '--env', 'esp32cam', '--sdkconfig', sdkconfig, '--json']).stdout);
    expect(json.findings.map((f: { option: string }) => f.option)).toEqual(['CONFIG_ESP_SYSTEM_MEMPROT_FEATURE']);
  });

  it('the map of a link that overflowed IRAM (ld fails, the map is written): slot-fit error with the bytes over', () => {
    const project = newProject();
    const work = scratch('esp32mm-doctor-link-');
    const built = compileFixture(work);
    const config = validateLinkConfig({
      chip: 'esp32',
      libs: ['TinyClassifier', 'ImageFilters', 'Filters'],
      slots: ['ai: TinyClassifier ImageFilters'],
      ctors: 'ctors',
    });
    writeFileSync(join(work, 'esp32mm.ld'), generateFragment(config));
    // ESP32's memory.ld with a 64-byte IRAM: the slots (0x6c bytes of code) cannot fit.
    writeFileSync(join(work, 'memory.ld'), readFileSync(join(LD_DIR, 'memory.ld'), 'utf8').replace('len = 0x20000', 'len = 0x40'));
    const linked = link(
      work,
      'fw',
      [join(work, 'esp32mm.ld'), join(work, 'memory.ld'), 'sections.ld'],
      [built.main, ...Object.values(built.archives)],
    );
    expect(linked.status).not.toBe(0);
    expect(linked.stderr).toMatch(/region `iram0_0_seg' overflowed by \d+ bytes/);
    expect(existsSync(linked.map)).toBe(true);
    const r = esp32mm(['doctor', project, '--env', 'esp32dev', '--map', linked.map, '--json']);
    expect(r.status, r.stderr).toBe(1);
    const fits = JSON.parse(r.stdout).findings.filter((f: { check: string }) => f.check === 'slot-fit');
    expect(fits.length).toBeGreaterThan(0);
    // TinyClassifier (72 B, the larger of slot ai) starts after 12 B of the firmware's .iram0.text: 52 B left, 20 B over.
    expect(fits[0].message).toContain(
      'needs 72 B of IRAM for its text at 0x4008000c, 20 B more than the 52 B the firmware leaves there (IRAM is 64 B, map:iram0_0_seg)',
    );
  });

  it('bad usage and bad input', () => {
    expect(esp32mm(['doctor']).status).toBe(2);
    const none = esp32mm(['doctor', scratch('esp32mm-doctor-empty-')]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('platformio.ini not found');
    const dir = exampleCopy();
    const bad = esp32mm(['doctor', dir, '--env', 'nosuch']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('platformio.ini has no [env:nosuch]');
  });
});

// The real build hook with a flash slot (docs/design.md §6a), under scons with the real lx106
// linker: init adds the mmlib partition to the project's CSV, the hook gives the fragment and
// the map check the table ($PARTITIONS_TABLE_CSV), the slot lands above the app partition's
// reach, and a too small mmlib partition stops the build with the check's message.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { esp32mm } from '../../helpers/tools';
import { HOOK_LIBS, scons } from './scons-run';
import { LD_DIR, PROJECT, removeScratch, sectionsOf, scratch } from './xtensa';

const TABLE = 'nvs, data, nvs, 0x9000, 0x6000,\nphy_init, data, phy, 0xf000, 0x1000,\nfactory, app, factory, 0x10000, 0x180000,\n';

function flashProject(): string {
  const dir = scratch('esp32mm-flashhook-');
  cpSync(PROJECT, dir, { recursive: true });
  const ini = readFileSync(join(LD_DIR, '../platformio/hook-esp32.ini'), 'utf8').replace(
    'board = esp32dev',
    'board = esp32dev\nboard_build.partitions = partitions.csv\nboard_upload.flash_size = 4MB',
  );
  writeFileSync(join(dir, 'platformio.ini'), ini);
  writeFileSync(join(dir, 'partitions.csv'), TABLE);
  const r = esp32mm([
    'init',
    dir,
    '--env',
    'esp32dev',
    '--libs',
    HOOK_LIBS.join(','),
    '--storage',
    'sd',
    '--slot',
    'ai(flash):TinyClassifier,ImageFilters',
    '--chip',
    'esp32',
  ]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('Added the library partition for flash slots');
  return dir;
}

afterAll(removeScratch);

describe('build hook with a flash slot', () => {
  it('links the slot above the app partition, checks it against the table and splits it', () => {
    const dir = flashProject();
    expect(readFileSync(join(dir, 'partitions.csv'), 'utf8')).toContain('mmlib, data, 0x40, 0x190000, 1M,');
    const r = scons(dir, { MM_PARTITIONS_CSV: join(dir, 'partitions.csv') });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/esp32mm: fragment --chip esp32 .*--partitions \S*partitions\.csv/);
    expect(r.stdout).toMatch(/esp32mm: fragment --check-map .*--chip esp32 --partitions \S*partitions\.csv/);
    const build = join(dir, '.pio/build/esp32dev');
    const secs = sectionsOf(join(build, 'firmware.full.elf'));
    expect(secs.get('.mm.TinyClassifier.text')!.vma).toBe(0x400d0000 + 0x180000); // 0x40250000
    expect(secs.get('.mm.ImageFilters.text')!.vma).toBe(0x40250000);
    expect(secs.get('.mm.Filters.text')!.vma).toBeLessThan(0x400d0000); // its own RAM slot
    const manifest = JSON.parse(readFileSync(join(dir, 'sd/mm/manifest.json'), 'utf8')) as {
      libraries: { name: string; code?: string; flashOffset?: string }[];
    };
    expect(manifest.libraries.find((l) => l.name === 'TinyClassifier')).toMatchObject({ code: 'flash', flashOffset: '0x00010000' });
    expect(manifest.libraries.find((l) => l.name === 'Filters')).not.toHaveProperty('code');
  });

  it('stops the build when the mmlib partition cannot hold the images', () => {
    const dir = flashProject();
    writeFileSync(join(dir, 'partitions.csv'), `${TABLE}mmlib, data, 0x40, 0x190000, 0x10000,\n`);
    const r = scons(dir, { MM_PARTITIONS_CSV: join(dir, 'partitions.csv') });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/the mmlib partition \(65536 bytes\) is too small for the flash-slot library images/);
  });
});

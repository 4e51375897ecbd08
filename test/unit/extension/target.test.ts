// The target's derived facts with the settings applied, on real platformio.ini files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installIntegration } from '../../../src/core/platformio/install';
import type { Settings } from '../../../src/extension/config';
import {
  baudRateOf,
  buildHookRuns,
  chipOption,
  libDir,
  loadProject,
  outputDir,
  serialPortOf,
  sourceRoots,
  storageOf,
  usesMemoryManager,
  type Target,
} from '../../../src/extension/target';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function project(ini: string): (env: string) => Target {
  const root = mkdtempSync(join(tmpdir(), 'esp32mm-target-'));
  roots.push(root);
  writeFileSync(join(root, 'platformio.ini'), ini);
  mkdirSync(join(root, 'lib'));
  const p = loadProject(root);
  return (env) => ({ project: p, env: p.envs.find((e) => e.name === env)! });
}

const settings = (over: Partial<Settings> = {}): Settings => ({
  serialPort: '',
  baudRate: { default: 921600 },
  storage: 'auto',
  deviceFolder: '',
  mapFile: '',
  autoSplit: false,
  autoUpload: false,
  ...over,
});

const BASE =
  '[env:plain]\nboard = esp32dev\n\n[env:hooked]\nboard = esp32dev\nextra_scripts = pre:other.py\n    post:memory_manager.py\nupload_port = /dev/ttyUSB*\nmonitor_port = /dev/ttyACM3\nmonitor_speed = 115200\n';

describe('target', () => {
  it('the chip platformio.ini names: custom_mm_chip in any spelling, then board_build.mcu (the board goes to the map as the board); an unknown one as written', () => {
    const t = project(
      '[env:a]\nboard = esp32dev\ncustom_mm_chip = s3\n[env:b]\nboard = esp32dev\nboard_build.mcu = esp32c3\n[env:c]\nboard = esp32-s2-saola-1\n[env:d]\ncustom_mm_chip = esp8266\n[env:e]\nboard = my_own_board\n',
    );
    expect(['a', 'b', 'c', 'd', 'e'].map((e) => chipOption(t(e)))).toEqual(['esp32s3', 'esp32c3', undefined, 'esp8266', undefined]);
  });

  it('uses the Memory Manager: libraries, the installed block, or the hook alone; not a plain env', () => {
    const installed = installIntegration(BASE + '\n[env:cam]\nboard = esp32cam\n', { env: 'cam', libs: ['A'], storage: 'spiffs' });
    const t = project(installed);
    expect(usesMemoryManager(t('plain'))).toBe(false);
    expect(usesMemoryManager(t('hooked'))).toBe(true);
    expect(buildHookRuns(t('hooked'))).toBe(true);
    expect(usesMemoryManager(t('cam'))).toBe(true);
    expect(buildHookRuns(t('plain'))).toBe(false);
  });

  it('storage and its folder: the setting wins over custom_mm_storage, sd by default', () => {
    const t = project(installIntegration(BASE, { env: 'plain', libs: ['A'], storage: 'littlefs' }))('plain');
    expect(storageOf(t, settings())).toBe('littlefs');
    expect(outputDir(t, settings())).toBe(join(t.project.root, 'data', 'mm'));
    expect(storageOf(t, settings({ storage: 'sd' }))).toBe('sd');
    expect(outputDir(t, settings({ storage: 'sd' }))).toBe(join(t.project.root, 'sd', 'mm'));
    expect(storageOf(project(BASE)('plain'), settings())).toBe('sd');
  });

  it('port: the machine setting, else upload_port unless a wildcard, else monitor_port; baud: setting, monitor_speed, default', () => {
    const t = project(BASE)('hooked');
    expect(serialPortOf(t, settings())).toEqual({ port: '/dev/ttyACM3', from: 'monitor_port' });
    expect(serialPortOf(t, settings({ serialPort: '/dev/pts/4' }))).toEqual({ port: '/dev/pts/4', from: 'esp32mm.serialPort' });
    expect(serialPortOf(project(BASE)('plain'), settings())).toBeUndefined();
    expect(baudRateOf(t, settings())).toBe(115200);
    expect(baudRateOf(t, settings({ baudRate: { explicit: 460800, default: 921600 } }))).toBe(460800);
    expect(baudRateOf(project(BASE)('plain'), settings())).toBe(921600);
  });

  it('lib_dir is read where the libraries are looked for', () => {
    const t = project('[platformio]\nlib_dir = components\n\n' + BASE)('plain');
    expect(libDir(t)).toBe(join(t.project.root, 'components'));
    expect(sourceRoots(t).libDir).toBe(join(t.project.root, 'components'));
  });
});

// The install workflow both front ends run (src/core/platformio/integration.ts) on a real
// project folder: everything a build needs written in one go, the hook recording the CLI it
// was given, an older vendored device library offered (and given) the update, a newer or
// equal one left alone.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isInstalled } from '../../../src/core/platformio/install';
import {
  compareVersions,
  deviceLibraryOutdated,
  deviceLibraryPlan,
  hookRuns,
  installProjectIntegration,
  updateDeviceLibrary,
  usesMemoryManager,
} from '../../../src/core/platformio/integration';
import { loadProject } from '../../../src/core/platformio/project';
import { DEVICE_LIBRARY, VERSION_FILE, bundledDeviceLibrary } from '../../../src/core/platformio/vendor';
import { tempDir } from '../../helpers/tools';

const work = tempDir('esp32mm-integration-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

function project(name: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'lib', 'Filters', 'src'), { recursive: true });
  writeFileSync(join(dir, 'lib', 'Filters', 'src', 'Filters.h'), 'int blur(int radius);\n');
  writeFileSync(join(dir, 'platformio.ini'), '[env:cam]\nplatform = espressif32\nboard = esp32cam\nframework = arduino\n');
  return dir;
}

describe('installProjectIntegration', () => {
  it('writes the block, the hook with the given CLI, the device library and mm_libraries.h', async () => {
    const dir = project('fresh');
    const r = await installProjectIntegration(dir, { env: 'cam', libs: ['Filters'], storage: 'sd', cliPath: '/opt/ext/dist/cli.js' });
    const ini = readFileSync(join(dir, 'platformio.ini'), 'utf8');
    expect(isInstalled(ini, 'cam')).toBe(true);
    expect(readFileSync(r.scriptPath, 'utf8')).toMatch(/^INSTALLED_CLI = "\/opt\/ext\/dist\/cli\.js"/m);
    expect(r.device.plan.action).toBe('install');
    expect(existsSync(join(dir, 'lib', DEVICE_LIBRARY, VERSION_FILE))).toBe(true);
    expect(readFileSync(join(dir, 'include', 'mm_libraries.h'), 'utf8')).toContain('blur');
    expect(r.warnings).toEqual([]);
    const p = loadProject(dir);
    expect(hookRuns(p.doc, 'cam')).toBe(true);
    expect(usesMemoryManager(p, 'cam', [])).toBe(true);
  });

  it('warns about a library folder that is not there, and refuses a hook script it did not write', async () => {
    const dir = project('foreign');
    const r = await installProjectIntegration(dir, { env: 'cam', libs: ['Filters', 'Ghost'], storage: 'sd' });
    expect(r.warnings.join('\n')).toMatch(/no folder .*Ghost/);
    writeFileSync(r.scriptPath, '# my own script\n');
    await expect(installProjectIntegration(dir, { env: 'cam', libs: ['Filters'], storage: 'sd' })).rejects.toThrow(
      /was not written by esp32mm: rename it/,
    );
  });

  it('an older vendored library is outdated and updated to the bundled one; an equal or newer one is not', async () => {
    const dir = project('old');
    await installProjectIntegration(dir, { env: 'cam', libs: ['Filters'], storage: 'sd' });
    const record = join(dir, 'lib', DEVICE_LIBRARY, VERSION_FILE);
    const json = JSON.parse(readFileSync(record, 'utf8'));
    const bundled = bundledDeviceLibrary().version;
    writeFileSync(record, JSON.stringify({ ...json, version: '0.0.1' }));
    const lib = join(dir, 'lib', DEVICE_LIBRARY, 'library.json');
    writeFileSync(lib, readFileSync(lib, 'utf8').replace(`"${bundled}"`, '"0.0.1"'));
    const p = loadProject(dir);
    const plan = deviceLibraryPlan(p);
    expect(plan).toMatchObject({ action: 'update', from: '0.0.1', to: bundled });
    expect(deviceLibraryOutdated(plan)).toBe(true);
    // a re-install does not replace it unasked
    const again = await installProjectIntegration(dir, { env: 'cam', libs: ['Filters'], storage: 'sd' });
    expect(again.device.libraryWritten).toBe(false);
    expect(deviceLibraryOutdated(again.device.plan)).toBe(true);
    await updateDeviceLibrary(p);
    expect(deviceLibraryPlan(p).action).toBe('up-to-date');
    expect(JSON.parse(readFileSync(record, 'utf8')).version).toBe(bundled);
    expect(deviceLibraryOutdated({ ...plan, from: '99.0.0' })).toBe(false);
    expect(deviceLibraryOutdated({ ...plan, action: 'up-to-date' })).toBe(false);
  });
});

describe('compareVersions', () => {
  it('compares numeric parts in order', () => {
    expect(compareVersions('1.2.10', '1.2.9')).toBe(1);
    expect(compareVersions('1.2', '1.2.0')).toBe(0);
    expect(compareVersions('0.9.0', '1.0.0')).toBe(-1);
  });
});

// `esp32mm init --uninstall` takes out what init vendored (lib/ESP32MemoryManager and
// include/mm_libraries.h) only when it is as init wrote it and no environment still uses the
// integration; an edited or added file keeps it, and the warning names the file and why.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, esp32mm, tempDir } from '../../helpers/tools';

const work = tempDir('esp32mm-uninstall-vendored-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
function installed(ini = '[env:cam]\nplatform = espressif32\nboard = esp32dev\nframework = arduino\n'): string {
  const dir = join(work, `p${n++}`);
  mkdirSync(join(dir, 'lib'), { recursive: true });
  cpSync(join(REPO, 'test/fixtures/esp32-ld/project/lib/ImageFilters'), join(dir, 'lib/ImageFilters'), { recursive: true });
  writeFileSync(join(dir, 'platformio.ini'), ini);
  for (const env of ini.match(/^\[env:(\w+)\]/gm)!.map((h) => h.slice(5, -1))) {
    const r = esp32mm(['init', dir, '--env', env, '--libs', 'ImageFilters', '--storage', 'sd']);
    expect(r.status, r.stderr).toBe(0);
  }
  return dir;
}
const LIB = 'lib/ESP32MemoryManager';
const HEADER = 'include/mm_libraries.h';

describe('init --uninstall and the vendored files', () => {
  it("removes them when unchanged, with the folders they leave empty; the project's own library stays", () => {
    const dir = installed();
    const r = esp32mm(['init', dir, '--uninstall']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(existsSync(join(dir, LIB))).toBe(false);
    expect(existsSync(join(dir, HEADER))).toBe(false);
    expect(readdirSync(join(dir, 'lib'))).toEqual(['ImageFilters']);
  });

  it('keeps the library when a file was edited or added, naming each, and still removes an unchanged header', () => {
    const dir = installed();
    const loader = join(dir, LIB, 'src/mm_loader.c');
    writeFileSync(loader, readFileSync(loader, 'utf8') + '\n/* local fix */\n');
    writeFileSync(join(dir, LIB, 'src/local.c'), 'int local;\n');
    const r = esp32mm(['init', dir, '--uninstall']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `warning: kept ${join(dir, LIB)}: edited since init wrote them: src/mm_loader.c; not written by init: src/local.c`,
    );
    expect(readFileSync(loader, 'utf8')).toContain('local fix');
    expect(existsSync(join(dir, LIB, 'library.json'))).toBe(true);
    expect(existsSync(join(dir, HEADER))).toBe(false);
  });

  it('keeps an edited header and says why', () => {
    const dir = installed();
    writeFileSync(join(dir, HEADER), readFileSync(join(dir, HEADER), 'utf8') + '/* mine */\n');
    const r = esp32mm(['init', dir, '--uninstall']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `warning: kept ${join(dir, HEADER)}: it differs from what init writes for [env:cam] (edited, or the libraries' headers or options changed since)`,
    );
    expect(existsSync(join(dir, HEADER))).toBe(true);
    expect(existsSync(join(dir, LIB))).toBe(false);
  });

  it('leaves everything while another environment still uses the integration', () => {
    const dir = installed(
      '[env:cam]\nplatform = espressif32\nboard = esp32dev\n\n[env:s3]\nplatform = espressif32\nboard = esp32-s3-devkitc-1\n',
    );
    const r = esp32mm(['init', dir, '--uninstall', '--env', 'cam']);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(dir, LIB, 'library.json'))).toBe(true);
    expect(existsSync(join(dir, HEADER))).toBe(true);
    expect(existsSync(join(dir, 'memory_manager.py'))).toBe(true);
    const last = esp32mm(['init', dir, '--uninstall', '--env', 's3']);
    expect(last.status, last.stderr).toBe(0);
    expect(last.stderr).toBe('');
    expect(existsSync(join(dir, LIB))).toBe(false);
    expect(existsSync(join(dir, HEADER))).toBe(false);
  });
});

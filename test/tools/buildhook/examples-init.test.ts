// The bundled examples as a new user gets them: `esp32mm init` (what "Install Build
// Integration" runs) must accept them, and the hook they reference must be the one they ship.
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, esp32mm, tempDir } from '../../helpers/tools';

const HOOK_TEMPLATE = join(REPO, 'firmware/extra_script/memory_manager.py');
const EXAMPLES = [
  {
    dir: 'examples/esp32cam-ai',
    init: ['--env', 'esp32cam', '--libs', 'TinyClassifier,ImageFilters', '--slot', 'ai:TinyClassifier,ImageFilters'],
  },
  { dir: 'firmware/examples/SdCardClassifier', init: ['--env', 'esp32cam', '--libs', 'TinyClassifier'] },
];
const work = tempDir('esp32mm-examples-init-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(EXAMPLES)('$dir', ({ dir, init }) => {
  const source = join(REPO, dir);
  const copy = join(work, dir.replace(/\W/g, '_'));
  cpSync(source, copy, { recursive: true, filter: (p) => !p.includes('/.pio') });
  const args = ['init', copy, ...init, '--storage', 'sd', '--code', 'iram', '--data', 'dram', '--dir', '/mm'];

  it('ships the memory_manager.py its platformio.ini runs (the build hook as init writes it)', () => {
    expect(readFileSync(join(source, 'platformio.ini'), 'utf8')).toContain('extra_scripts = post:memory_manager.py');
    expect(readFileSync(join(source, 'memory_manager.py'), 'utf8')).toBe(readFileSync(HOOK_TEMPLATE, 'utf8'));
  });

  it('passes esp32mm init with its own options, which leaves platformio.ini as shipped', () => {
    const r = esp32mm(args);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(copy, 'platformio.ini'), 'utf8')).toBe(readFileSync(join(source, 'platformio.ini'), 'utf8'));
  });

  it('init --uninstall takes the integration out again', () => {
    const r = esp32mm(['init', copy, '--uninstall']);
    expect(r.status, r.stderr).toBe(0);
    const ini = readFileSync(join(copy, 'platformio.ini'), 'utf8');
    expect(ini).not.toMatch(/custom_mm_|memory_manager\.py/);
    expect(existsSync(join(copy, 'memory_manager.py'))).toBe(false);
    // What init vendored, unchanged since: gone with it (the shipped header is the one init writes).
    expect(existsSync(join(copy, 'lib/ESP32MemoryManager'))).toBe(false);
    expect(existsSync(join(copy, 'include/mm_libraries.h'))).toBe(false);
    expect(r.stdout).toContain('Removed what init vendored');
    expect(r.stderr).toBe('');
  });
});

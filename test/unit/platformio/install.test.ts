import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initCommand } from '../../../src/cli/init';
import { envOption, parseIni, splitMultiValue } from '../../../src/core/platformio/ini';
import { type InstallOptions, installIntegration, isInstalled, uninstallIntegration } from '../../../src/core/platformio/install';

// Debian's python3 starts much faster than a version-manager shim.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const FIX = join(__dirname, '../../fixtures/platformio');
const read = (name: string) => readFileSync(join(FIX, name), 'utf8');

const CASES: { file: string; env: string }[] = [
  { file: 'arduino-basic.ini', env: 'esp32dev' },
  { file: 'camera-extends.ini', env: 'esp32cam' },
  { file: 'camera-extends.ini', env: 'esp32cam_debug' },
  { file: 'windows-crlf.ini', env: 's3' },
  { file: 'c3-own-extra-scripts.ini', env: 'c3' },
  { file: 'c3-own-extra-scripts.ini', env: 'native' },
];

const opts = (env: string, more: Partial<InstallOptions> = {}): InstallOptions => ({ env, libs: ['TinyClassifier', 'ImageFilters'], storage: 'sd', ...more });

/** What PlatformIO would read: Python's configparser with `;` inline comments. */
function pythonRead(text: string, section: string, option: string): string {
  const code = [
    'import configparser, sys',
    'c = configparser.ConfigParser(inline_comment_prefixes=(";",), interpolation=None)',
    'c.read_string(sys.stdin.read())',
    `print(c.get(${JSON.stringify(section)}, ${JSON.stringify(option)}, fallback="<none>"))`,
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', code], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.replace(/\n$/, '');
}

describe('install / uninstall on real-world-shaped platformio.ini files', () => {
  for (const { file, env } of CASES) {
    it(`${file} [env:${env}]: uninstall restores every byte; a second install changes nothing`, () => {
      const original = read(file);
      const installed = installIntegration(original, opts(env, { slots: ['ai: TinyClassifier ImageFilters'] }));
      expect(installed).not.toBe(original);
      expect(isInstalled(installed, env)).toBe(true);
      expect(installIntegration(installed, opts(env, { slots: ['ai: TinyClassifier ImageFilters'] }))).toBe(installed);
      expect(uninstallIntegration(installed, env)).toBe(original);
      expect(uninstallIntegration(installed)).toBe(original);
      // Only lines were added: every original line is still there, in order (the last one
      // may gain a line ending when the block follows it).
      const kept = original.split(/\r?\n/);
      let at = 0;
      for (const line of installed.split(/\r?\n/)) if (line === kept[at]) at++;
      expect(at).toBe(kept.length);
    });

    it(`${file} [env:${env}]: PlatformIO sees the hook after the scripts it already had`, () => {
      const original = read(file);
      const installed = installIntegration(original, opts(env));
      const doc = parseIni(installed);
      const before = splitMultiValue(envOption(parseIni(original), env, 'extra_scripts') ?? '');
      expect(splitMultiValue(envOption(doc, env, 'extra_scripts')!)).toEqual([...before, 'post:memory_manager.py']);
      expect(envOption(doc, env, 'custom_mm_libs')).toBe('TinyClassifier, ImageFilters');
      expect(envOption(doc, env, 'custom_mm_storage')).toBe('sd');
      // configparser agrees (no duplicate options, block parses as PlatformIO reads it).
      expect(pythonRead(installed, `env:${env}`, 'custom_mm_libs')).toBe('TinyClassifier, ImageFilters');
      const py = pythonRead(installed, `env:${env}`, 'extra_scripts');
      if (py !== '<none>') expect(py.split(/[\n,]/).map((s) => s.trim()).filter(Boolean).pop()).toBe('post:memory_manager.py');
    });
  }

  it('keeps CRLF line endings and a missing final newline', () => {
    const original = read('windows-crlf.ini');
    const installed = installIntegration(original, opts('s3'));
    expect(installed.replace(/\r\n/g, '')).not.toContain('\n');
    expect(installed.endsWith('\n')).toBe(false);
    expect(installed).toContain('\r\n\tpost:memory_manager.py\r\n'); // same indent as the other entries
  });

  it('a second install with other options replaces the first', () => {
    const original = read('arduino-basic.ini');
    const a = installIntegration(original, opts('esp32dev'));
    const b = installIntegration(a, opts('esp32dev', { libs: ['Other'], storage: 'littlefs', data: 'psram' }));
    expect(b).toBe(installIntegration(original, opts('esp32dev', { libs: ['Other'], storage: 'littlefs', data: 'psram' })));
    expect(b).not.toContain('TinyClassifier');
    expect(uninstallIntegration(b)).toBe(original);
  });

  it('refuses custom_mm_* options set by hand outside the block', () => {
    const text = read('arduino-basic.ini').replace('monitor_speed', 'custom_mm_libs = X\nmonitor_speed');
    expect(() => installIntegration(text, opts('esp32dev'))).toThrow(/already sets custom_mm_libs \(line \d+\)/);
  });

  it('leaves a user-written post:memory_manager.py entry alone', () => {
    const text = read('c3-own-extra-scripts.ini').replace('post:merge_bin.py', 'post:memory_manager.py');
    const installed = installIntegration(text, opts('c3'));
    expect(installed.match(/post:memory_manager\.py/g)!.length).toBe(1);
    expect(uninstallIntegration(installed)).toBe(text);
  });
});

describe('esp32mm init', () => {
  const dirs: string[] = [];
  const newDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'esp32mm-init-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  const quiet = async <T>(f: () => Promise<T>): Promise<T> => {
    const log = console.log;
    console.log = () => {};
    try {
      return await f();
    } finally {
      console.log = log;
    }
  };

  it('installs the script and options, then --uninstall restores the file byte for byte', async () => {
    const dir = newDir();
    const original = read('windows-crlf.ini');
    writeFileSync(join(dir, 'platformio.ini'), original);
    const code = await quiet(() => initCommand.run([dir], { libs: 'TinyClassifier,ImageFilters', storage: 'littlefs', slot: ['ai:TinyClassifier,ImageFilters'] }));
    expect(code).toBe(0);
    const script = readFileSync(join(dir, 'memory_manager.py'), 'utf8');
    expect(script).toContain('env.AddPostAction(elf');
    const template = readFileSync(join(__dirname, '../../../firmware/extra_script/memory_manager.py'), 'utf8');
    const withoutCli = (t: string) => t.replace(/^INSTALLED_CLI = .*$/m, '');
    expect(withoutCli(script)).toBe(withoutCli(template));
    const ini = readFileSync(join(dir, 'platformio.ini'), 'utf8');
    expect(ini).toContain('custom_mm_slots = ai: TinyClassifier ImageFilters\r\n');
    expect(ini).toContain('custom_mm_storage = littlefs\r\n');
    // Again: same bytes.
    await quiet(() => initCommand.run([dir], { libs: 'TinyClassifier,ImageFilters', storage: 'littlefs', slot: ['ai:TinyClassifier,ImageFilters'] }));
    expect(readFileSync(join(dir, 'platformio.ini'), 'utf8')).toBe(ini);
    expect(await quiet(() => initCommand.run([dir], { uninstall: true }))).toBe(0);
    expect(readFileSync(join(dir, 'platformio.ini'), 'utf8')).toBe(original);
    expect(existsSync(join(dir, 'memory_manager.py'))).toBe(false);
  });

  it('warns about lib_archive = no and library folders that do not exist', async () => {
    const dir = newDir();
    writeFileSync(join(dir, 'platformio.ini'), read('arduino-basic.ini').replace('monitor_speed', 'lib_archive = no\nmonitor_speed'));
    const errors: string[] = [];
    const err = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      await quiet(() => initCommand.run([dir], { libs: 'Missing', storage: 'sd' }));
    } finally {
      console.error = err;
    }
    expect(errors.join('\n')).toMatch(/lib_archive = no: libraries are then linked as loose objects/);
    expect(errors.join('\n')).toMatch(/no folder .*Missing: the library must be built as libMissing\.a/);
  });

  it('does not overwrite a memory_manager.py it did not write', async () => {
    const dir = newDir();
    writeFileSync(join(dir, 'platformio.ini'), read('arduino-basic.ini'));
    writeFileSync(join(dir, 'memory_manager.py'), '# my own script\n');
    await expect(initCommand.run([dir], { libs: 'A', storage: 'sd' })).rejects.toThrow(/was not written by esp32mm/);
    expect(readFileSync(join(dir, 'platformio.ini'), 'utf8')).toBe(read('arduino-basic.ini'));
  });
});

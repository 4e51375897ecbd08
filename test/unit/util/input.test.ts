// readInputFile: only regular files (symlinks followed), only up to a size limit, and a clear
// message naming the file and what is wrong. Before it, a symlink to /dev/zero or a FIFO
// named firmware.elf was read forever.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputFileError, readInputFile, readInputFileSync, type InputOptions } from '../../../src/core/util/input';
import { tempDir } from '../../helpers/tools';

const dir = tempDir('esp32mm-input-');
writeFileSync(join(dir, 'small.bin'), 'hello');
symlinkSync(join(dir, 'small.bin'), join(dir, 'link.bin'));
symlinkSync('/dev/zero', join(dir, 'zero.elf'));
symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
execFileSync('mkfifo', [join(dir, 'fifo.map')]);
mkdirSync(join(dir, 'folder'));

const opts: InputOptions = { what: 'map file', maxBytes: 1024 };

async function problem(name: string, o = opts): Promise<[string, string]> {
  const errors: InputFileError[] = [];
  for (const read of [() => readInputFile(join(dir, name), o), async () => readInputFileSync(join(dir, name), o)]) {
    try {
      await read();
    } catch (e) {
      if (!(e instanceof InputFileError)) throw e;
      errors.push(e);
    }
  }
  expect(errors).toHaveLength(2);
  expect(errors[0].message).toBe(errors[1].message);
  return [errors[0].problem, errors[0].message];
}

describe('readInputFile', () => {
  it('reads a regular file, and one behind a symlink', async () => {
    expect((await readInputFile(join(dir, 'small.bin'), opts)).toString()).toBe('hello');
    expect(readInputFileSync(join(dir, 'link.bin'), opts).toString()).toBe('hello');
  });

  it('refuses a character device behind a symlink, a FIFO and a folder, naming each', async () => {
    expect(await problem('zero.elf')).toEqual([
      'not-regular',
      `the map file ${join(dir, 'zero.elf')} is a character device, not a regular file: give the path of the map file itself`,
    ]);
    expect((await problem('fifo.map'))[1]).toMatch(/fifo\.map is a FIFO \(named pipe\), not a regular file/);
    expect((await problem('folder'))[1]).toMatch(/folder is a folder, not a regular file/);
  });

  it('refuses a file over the limit before reading it', async () => {
    const [kind, message] = await problem('small.bin', { what: 'sdkconfig', maxBytes: 4 });
    expect(kind).toBe('too-large');
    expect(message).toMatch(/the sdkconfig .*small\.bin is 5 bytes, more than the 4 bytes such a file can plausibly be/);
  });

  it('a missing file and a symlink loop say so, with the hint', async () => {
    expect((await problem('nope.elf', { ...opts, missingHint: 'build the project first' }))[1]).toMatch(
      /cannot read the map file .*nope\.elf: no such file \(build the project first\)/,
    );
    expect((await problem('loop-a'))[1]).toMatch(/a loop of symbolic links/);
  });
});

// The CLI's outputs through the one commit (issue 14 item 7): `fragment -o` into a device
// node, a FIFO, a symlink and a file with its own mode; `init` into a symlinked
// platformio.ini. The device node is made here (mknod as root), never /dev/full itself.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { esp32mm, tempDir } from '../../helpers/tools';

const fragment = (out: string) => esp32mm(['fragment', '--chip', 'esp32', '--libs', 'A,B', '-o', out]);

describe('fragment -o', () => {
  it('refuses a device node and a FIFO, and leaves them as they were', () => {
    const dir = tempDir('esp32mm-out-');
    const device = join(dir, 'full');
    if (process.getuid?.() === 0)
      execFileSync('mknod', [device, 'c', '1', '7']); // the /dev/full device, in our folder
    else symlinkSync('/dev/full', device);
    execFileSync('mkfifo', [join(dir, 'fifo.ld')]);
    for (const [name, kind] of [
      ['full', 'a character device'],
      ['fifo.ld', 'a FIFO'],
    ]) {
      const r = fragment(join(dir, name));
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`refusing to write .*${name}: it is ${kind}`));
    }
    expect(lstatSync(device).isCharacterDevice() || lstatSync(device).isSymbolicLink()).toBe(true);
    expect(statSync(device).isCharacterDevice()).toBe(true);
    expect(lstatSync(join(dir, 'fifo.ld')).isFIFO()).toBe(true);
  });

  it("writes through a symlink and keeps the file's mode", () => {
    const dir = tempDir('esp32mm-out-');
    mkdirSync(join(dir, 'shared'));
    writeFileSync(join(dir, 'shared', 'esp32mm.ld'), 'old');
    chmodSync(join(dir, 'shared', 'esp32mm.ld'), 0o600);
    symlinkSync('shared/esp32mm.ld', join(dir, 'esp32mm.ld'));
    const r = fragment(join(dir, 'esp32mm.ld'));
    expect(r.status, r.stderr).toBe(0);
    expect(readlinkSync(join(dir, 'esp32mm.ld'))).toBe('shared/esp32mm.ld');
    expect(readFileSync(join(dir, 'shared', 'esp32mm.ld'), 'utf8')).toMatch(/\.mm\.A\.text/);
    expect(statSync(join(dir, 'shared', 'esp32mm.ld')).mode & 0o777).toBe(0o600);
  });
});

describe('init', () => {
  it('a symlinked platformio.ini stays a symlink; the file it names gets the block', () => {
    const dir = tempDir('esp32mm-out-');
    mkdirSync(join(dir, 'config'));
    mkdirSync(join(dir, 'lib', 'A'), { recursive: true });
    writeFileSync(join(dir, 'config', 'platformio.ini'), '[env:esp32dev]\nplatform = espressif32\nboard = esp32dev\nframework = arduino\n');
    symlinkSync('config/platformio.ini', join(dir, 'platformio.ini'));
    const r = esp32mm(['init', dir, '--env', 'esp32dev', '--libs', 'A', '--storage', 'sd']);
    expect(r.status, r.stderr).toBe(0);
    expect(lstatSync(join(dir, 'platformio.ini')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'config', 'platformio.ini'), 'utf8')).toMatch(/custom_mm_libs = A/);
    expect(spawnSync('ls', ['-A', join(dir, 'config')], { encoding: 'utf8' }).stdout.trim()).toBe('platformio.ini');
  });
});

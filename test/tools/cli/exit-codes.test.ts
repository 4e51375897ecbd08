// One table of exit codes for every command (0 ok, 1 bad input or failure, 2 bad usage), and
// output that cannot be written is a failure: real CLI processes with stdout on /dev/full.
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, REPO, esp32mm, tempDir } from '../../helpers/tools';

const FW = join(REPO, 'test/fixtures/firmware/out/xtensa/fw.elf');
const MAP = join(REPO, 'test/fixtures/firmware/out/xtensa/fw.map');
const work = tempDir('esp32mm-exit-');
const full = openSync('/dev/full', 'w');
afterAll(() => closeSync(full));

/** The CLI with its stdout on /dev/full: every write fails with ENOSPC. */
function toDevFull(args: string[]) {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
  const r = spawnSync(process.execPath, [CLI, ...args], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8', cwd: work });
  return { status: r.status, stderr: r.stderr };
}

function project(): string {
  const dir = tempDir('esp32mm-exit-project-');
  writeFileSync(join(dir, 'platformio.ini'), '[env:esp32dev]\nboard = esp32dev\n');
  return dir;
}

function elfCopy(): string {
  const dir = tempDir('esp32mm-exit-split-');
  copyFileSync(FW, join(dir, 'firmware.elf'));
  return join(dir, 'firmware.elf');
}

describe('stdout that cannot be written', () => {
  it.each([
    ['fragment', () => ['fragment', '--chip', 'esp32', '--libs', 'A,B']],
    ['inspect', () => ['inspect', FW]],
    ['inspect --json', () => ['inspect', FW, '--json']],
    ['map', () => ['map', FW]],
    ['map --json', () => ['map', FW, '--json']],
    ['map --format csv', () => ['map', FW, '--format', 'csv']],
    ['fragment --check-map', () => ['fragment', '--check-map', MAP, '--libs', 'fastmath']],
    ['split --json', () => ['split', elfCopy(), '--out', join(work, 'mm'), '--json']],
    ['init', () => [`init`, project(), '--libs', 'A', '--storage', 'sd']],
    ['--help', () => ['--help']],
  ])('%s: exit 1 and says so, without a stack trace', (_name, args) => {
    const r = toDevFull(args());
    expect(r.stderr).toMatch(/: cannot write the output to stdout \(no space left on the device\): it is incomplete\n$/);
    expect(r.stderr).not.toMatch(/Unhandled|\n {4}at |node:internal/);
    expect(r.status).toBe(1);
  });
});

describe('the same fault, the same exit code in every command', () => {
  const missing = join(work, 'nope', 'firmware.elf');
  it.each([
    ['inspect', [missing]],
    ['inspect --json', [missing, '--json']],
    ['map', [missing]],
    ['map --map', ['--map', join(work, 'nope.map')]],
    ['split', [missing, '--out', join(work, 'out')]],
    ['fragment --check-map', ['--check-map', join(work, 'nope.map'), '--libs', 'A']],
    ['init', [join(work, 'nope'), '--libs', 'A', '--storage', 'sd']],
    ['init --uninstall', [join(work, 'nope'), '--uninstall']],
    ['upload', ['--port', '/dev/null', missing]],
  ])('a missing file: %s exits 1 naming it, in words', (name, rest) => {
    const r = esp32mm([name.split(' ')[0], ...rest]);
    expect(r.stderr).toMatch(/nope/);
    expect(r.stderr).not.toMatch(/ENOENT|\n {4}at /);
    expect(r.status).toBe(1);
  });

  it.each(['split', 'inspect', 'map', 'fragment', 'init', 'upload', 'ls', 'rm', 'df', 'flash-slots'])(
    'an unknown option: %s exits 2',
    (name) => {
      const r = esp32mm([name, '--no-such-option']);
      expect(r.stderr).toMatch(/Unknown option '--no-such-option'/);
      expect(r.status).toBe(2);
    },
  );
});

describe('a reader that stops early', () => {
  it("esp32mm fragment … | head -c 10: quiet, the command's own exit code", () => {
    // A fragment for 2,000 libraries is far more than a pipe buffer: once head exits after
    // 10 bytes, the rest of the output hits EPIPE.
    const libs = Array.from({ length: 2000 }, (_, i) => `Lib${i}`).join(',');
    const r = spawnSync(
      'bash',
      ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" fragment --chip esp32 --libs ${libs} | head -c 10 >/dev/null`],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

// The one multi-file commit (src/core/util/atomic.ts): targets it follows or refuses, modes
// it keeps, failures before and during the switch, and the recovery of what a dead process
// left (journals written here by hand, as a killed commit leaves them; the kill -9 runs
// of the real CLI are in test/tools/split/crash.test.ts).
import { spawnSync, execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommitError, recoverPendingCommits, writeFilesAtomically } from '../../../src/core/util/atomic';
import { tempDir } from '../../helpers/tools';

/** The pid of a process that has exited: what a kill -9 leaves in temp file names. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const read = (p: string) => readFileSync(p, 'utf8');
const mode = (p: string) => statSync(p).mode & 0o7777;

describe('writeFilesAtomically: targets', () => {
  it('follows a symlinked target: the link stays a link, the file it names is replaced', async () => {
    const dir = tempDir('esp32mm-atomic-');
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'platformio.ini'), 'old');
    symlinkSync('real/platformio.ini', join(dir, 'platformio.ini'));
    await writeFilesAtomically([{ path: join(dir, 'platformio.ini'), data: 'new' }]);
    expect(lstatSync(join(dir, 'platformio.ini')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'platformio.ini'))).toBe('real/platformio.ini');
    expect(read(join(dir, 'real', 'platformio.ini'))).toBe('new');
    expect(readdirSync(dir).sort()).toEqual(['platformio.ini', 'real']);
    expect(readdirSync(join(dir, 'real'))).toEqual(['platformio.ini']);
  });

  it('refuses a FIFO, a character device and a folder; nothing of the change is written', async () => {
    const dir = tempDir('esp32mm-atomic-');
    execFileSync('mkfifo', [join(dir, 'fifo.ld')]);
    mkdirSync(join(dir, 'folder.ld'));
    symlinkSync('/dev/null', join(dir, 'null.ld'));
    for (const [name, kind] of [
      ['fifo.ld', 'a FIFO'],
      ['folder.ld', 'a folder'],
      ['null.ld', 'a character device'],
    ]) {
      const files = [
        { path: join(dir, 'first.txt'), data: 'x' },
        { path: join(dir, name), data: 'x' },
      ];
      await expect(writeFilesAtomically(files)).rejects.toThrow(
        new RegExp(`refusing to write .*${name}: it is ${kind}.*, not a regular file`),
      );
      await expect(writeFilesAtomically(files)).rejects.toBeInstanceOf(CommitError);
    }
    expect(readdirSync(dir).sort()).toEqual(['fifo.ld', 'folder.ld', 'null.ld']);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('keeps the mode of a replaced file (600 stays 600, 755 stays 755); a new file takes the mode given', async () => {
    const dir = tempDir('esp32mm-atomic-');
    writeFileSync(join(dir, 'secret.ini'), 'a');
    chmodSync(join(dir, 'secret.ini'), 0o600);
    writeFileSync(join(dir, 'fw.elf'), 'a');
    chmodSync(join(dir, 'fw.elf'), 0o755);
    await writeFilesAtomically([
      { path: join(dir, 'secret.ini'), data: 'b' },
      { path: join(dir, 'fw.elf'), data: 'b' },
      { path: join(dir, 'fw.full.elf'), data: 'b', mode: 0o751 },
    ]);
    expect([mode(join(dir, 'secret.ini')), mode(join(dir, 'fw.elf')), mode(join(dir, 'fw.full.elf'))]).toEqual([0o600, 0o755, 0o751]);
  });

  it('a failure before the switch (a temp name the file system refuses) leaves every file as it was, no temp', async () => {
    const dir = tempDir('esp32mm-atomic-');
    writeFileSync(join(dir, 'a'), 'old a');
    const long = 'x'.repeat(240); // the file fits in 255 bytes, its temporary name does not
    await expect(
      writeFilesAtomically([
        { path: join(dir, 'a'), data: 'new a' },
        { path: join(dir, long), data: 'new' },
      ]),
    ).rejects.toThrow(/ENAMETOOLONG/);
    expect(readdirSync(dir)).toEqual(['a']);
    expect(read(join(dir, 'a'))).toBe('old a');
  });
});

describe('recovery of a commit whose process died', () => {
  const tx = () => `${deadPid()}-${'0123456789abcdef'}`;

  it('temp files of a dead process are reclaimed by the next commit in their folder', async () => {
    const dir = tempDir('esp32mm-atomic-');
    const t = tx();
    writeFileSync(join(dir, `.manifest.json.${t}.esp32mm-new`), 'half');
    writeFileSync(join(dir, `.esp32mm-${t}.intent.part`), '{"form');
    await writeFilesAtomically([{ path: join(dir, 'manifest.json'), data: 'new' }]);
    expect(readdirSync(dir)).toEqual(['manifest.json']);
  });

  it('marker present: the renames are finished (roll forward) in every folder of the change', async () => {
    const root = tempDir('esp32mm-atomic-');
    const out = join(root, 'out'),
      build = join(root, 'build');
    mkdirSync(out);
    mkdirSync(build);
    writeFileSync(join(out, 'Lib_e'), 'old e');
    writeFileSync(join(build, 'fw.elf'), 'new elf'); // already switched before the kill
    const t = tx();
    const marker = join(build, `.esp32mm-${t}.commit`);
    writeFileSync(
      join(out, `.esp32mm-${t}.intent`),
      JSON.stringify({ format: 1, marker: `../build/.esp32mm-${t}.commit`, entries: [{ name: 'Lib_e', existed: true }] }),
    );
    writeFileSync(
      join(build, `.esp32mm-${t}.intent`),
      JSON.stringify({ format: 1, marker: `.esp32mm-${t}.commit`, entries: [{ name: 'fw.elf', existed: true }] }),
    );
    writeFileSync(join(out, `.Lib_e.${t}.esp32mm-new`), 'new e');
    writeFileSync(join(out, `.Lib_e.${t}.esp32mm-old`), 'old e');
    writeFileSync(join(build, `.fw.elf.${t}.esp32mm-old`), 'old elf');
    writeFileSync(marker, JSON.stringify({ format: 1, intents: [`../out/.esp32mm-${t}.intent`, `.esp32mm-${t}.intent`] }));
    await recoverPendingCommits([out]);
    expect(read(join(out, 'Lib_e'))).toBe('new e');
    expect(readdirSync(out)).toEqual(['Lib_e']);
    expect(existsSync(marker)).toBe(true); // the build folder still has its intent
    await recoverPendingCommits([build]);
    expect(readdirSync(build)).toEqual(['fw.elf']);
    expect(read(join(build, 'fw.elf'))).toBe('new elf');
  });

  it('marker absent: backups are put back and new files removed (roll back)', async () => {
    const dir = tempDir('esp32mm-atomic-');
    const t = tx();
    writeFileSync(join(dir, 'manifest.json'), 'new m'); // switched, then the marker was taken back
    writeFileSync(join(dir, `.manifest.json.${t}.esp32mm-old`), 'old m');
    writeFileSync(join(dir, 'Lib_e'), 'new e'); // a new file, switched in
    writeFileSync(join(dir, `.fw.elf.${t}.esp32mm-new`), 'new elf');
    writeFileSync(join(dir, 'fw.elf'), 'old elf');
    writeFileSync(
      join(dir, `.esp32mm-${t}.intent`),
      JSON.stringify({
        format: 1,
        marker: `.esp32mm-${t}.commit`,
        entries: [
          { name: 'manifest.json', existed: true },
          { name: 'Lib_e', existed: false },
          { name: 'fw.elf', existed: true },
        ],
      }),
    );
    await recoverPendingCommits([dir]);
    expect(readdirSync(dir).sort()).toEqual(['fw.elf', 'manifest.json']);
    expect([read(join(dir, 'manifest.json')), read(join(dir, 'fw.elf'))]).toEqual(['old m', 'old elf']);
  });

  it('an intent from a cloned project cannot make recovery touch anything outside its folder', async () => {
    const root = tempDir('esp32mm-atomic-');
    const dir = join(root, 'project');
    mkdirSync(dir);
    writeFileSync(join(root, 'victim'), 'keep');
    const t = tx();
    writeFileSync(
      join(dir, `.esp32mm-${t}.intent`),
      JSON.stringify({
        format: 1,
        marker: '../../../etc/passwd',
        entries: [
          { name: '../victim', existed: false },
          { name: '/etc/hostname', existed: false },
        ],
      }),
    );
    await recoverPendingCommits([dir]);
    expect(read(join(root, 'victim'))).toBe('keep');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a commit of a live process is left alone', async () => {
    const dir = tempDir('esp32mm-atomic-');
    const live = `${process.ppid}-0123456789abcdef`;
    writeFileSync(join(dir, `.a.${live}.esp32mm-new`), 'in progress');
    await recoverPendingCommits([dir]);
    expect(readdirSync(dir)).toEqual([`.a.${live}.esp32mm-new`]);
  });
});

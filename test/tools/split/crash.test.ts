// The split is one change (issue 14 item 7): `kill -9` of the real CLI at 100 seeded points
// of its commit, each point counted in the commit's own steps (ESP32MM_COMMIT_PAUSE_AT stops
// the process there for good; the kill follows the step line, no timing involved). After
// each kill, the recovery the next run does leaves the old files or the new ones, never a
// mix, modes included, and no temporary file; the next split then ends in the new state.
// A rename that really fails (an immutable ELF) puts every file back.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recoverPendingCommits } from '../../../src/core/util/atomic';
import { killAtStep, leftovers, snapshot, traceCommit } from '../../helpers/crash';
import { esp32mm, fixtureElfs, tempDir } from '../../helpers/tools';
import { seededRandom } from '../../helpers/random';

const FIXTURE = fixtureElfs().find((f) => f.endsWith('xtensa/fw.elf'))!;
const RUNS = 100;
const SEED = 0x14a7;

/** A project as a previous split left it: the unsplit ELF (755) and old library files (600). */
function oldState(): string {
  const dir = tempDir('esp32mm-crash-');
  mkdirSync(join(dir, 'build'));
  mkdirSync(join(dir, 'out'));
  copyFileSync(FIXTURE, join(dir, 'build', 'fw.elf'));
  chmodSync(join(dir, 'build', 'fw.elf'), 0o755);
  writeFileSync(join(dir, 'out', 'manifest.json'), '{"old": true}\n');
  writeFileSync(join(dir, 'out', 'fastmath_e'), 'old library file');
  chmodSync(join(dir, 'out', 'manifest.json'), 0o600);
  writeFileSync(join(dir, 'out', 'notes.txt'), 'not ours');
  return dir;
}

const splitArgs = (dir: string) => ['split', join(dir, 'build', 'fw.elf'), '--out', join(dir, 'out')];

describe('kill -9 during a split', () => {
  const reference = oldState();
  const before = snapshot(reference);
  const traced = traceCommit(splitArgs(reference));
  const steps = traced.steps;
  const after = snapshot(reference);

  it('the traced split succeeds, changes the files and keeps their modes', () => {
    expect(traced.status, traced.stderr).toBe(0);
    expect(after['build/fw.elf']).not.toBe(before['build/fw.elf']);
    expect(after['build/fw.elf']).toMatch(/ 755$/);
    expect(after['build/fw.full.elf']).toBe(before['build/fw.elf']);
    expect(after['out/manifest.json']).toMatch(/ 600$/);
    expect(after['out/notes.txt']).toBe(before['out/notes.txt']);
    expect(leftovers(reference)).toEqual([]);
    // intents, backups, halves and wholes of every temp, the marker, every rename, cleanup
    expect(steps).toContain('committed');
    expect(steps.length).toBeGreaterThan(30);
  });

  it(`${RUNS} kills at seeded steps: old or new after recovery, never a mix, no temporary file after the next run`, async () => {
    const random = seededRandom(SEED);
    const outcomes = { old: 0, new: 0 };
    for (let run = 0; run < RUNS; run++) {
      const at = Math.floor(random() * steps.length);
      const dir = oldState();
      await killAtStep(splitArgs(dir), at);
      await recoverPendingCommits([join(dir, 'out'), join(dir, 'build')]);
      const state = snapshot(dir);
      const which =
        JSON.stringify(state) === JSON.stringify(before) ? 'old' : JSON.stringify(state) === JSON.stringify(after) ? 'new' : undefined;
      expect(which, `run ${run}: killed at step ${at} (${steps[at]}), state is a mix:\n${JSON.stringify(state, null, 1)}`).toBeDefined();
      outcomes[which!]++;
      const next = esp32mm(splitArgs(dir));
      expect(next.status, `run ${run}: ${next.stderr}`).toBe(which === 'old' ? 0 : 1);
      expect(snapshot(dir), `run ${run}`).toEqual(after);
      expect(leftovers(dir), `run ${run}`).toEqual([]);
    }
    console.log(
      `${RUNS} kill -9 runs at seeded points among the ${steps.length} commit steps (seed ${SEED}): ${outcomes.old} rolled back, ${outcomes.new} rolled forward`,
    );
    // Both sides of the marker were hit.
    expect(outcomes.old).toBeGreaterThan(10);
    expect(outcomes.new).toBeGreaterThan(10);
  });

  it('a temp left by a kill in the middle of writing is reclaimed by the next split itself', async () => {
    const dir = oldState();
    const at = steps.findIndex((s) => s.startsWith('half fw.elf'));
    await killAtStep(splitArgs(dir), at);
    expect(leftovers(dir).length).toBeGreaterThan(0);
    const next = esp32mm(splitArgs(dir));
    expect(next.status, next.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(after);
  });
});

describe('a rename that fails during the switch', () => {
  it('an immutable ELF (chattr +i): the library files and manifest already switched are put back', () => {
    const dir = oldState();
    const before = snapshot(dir);
    const elf = join(dir, 'build', 'fw.elf');
    // Root ignores permissions: the immutable flag is what makes rename fail for root.
    const root = process.getuid?.() === 0;
    const lock = () => (root ? spawnSync('chattr', ['+i', elf]) : (chmodSync(join(dir, 'build'), 0o555), { status: 0 }));
    const unlock = () => (root ? spawnSync('chattr', ['-i', elf]) : chmodSync(join(dir, 'build'), 0o755));
    expect(lock().status).toBe(0);
    try {
      const r = esp32mm(splitArgs(dir));
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(root ? /could not replace .*fw\.elf .*every file was put back as it was/ : /EACCES|permission denied/i);
    } finally {
      unlock();
    }
    expect(snapshot(dir)).toEqual(before);
    expect(leftovers(dir)).toEqual([]);
  });
});

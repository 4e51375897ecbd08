// `esp32mm init` is one change too: platformio.ini, memory_manager.py, the vendored device
// library and include/mm_libraries.h go in one atomic commit. kill -9 of the real CLI at 100
// seeded steps of that commit (see test/helpers/crash.ts): after the next run's recovery the
// project is as it was or as a finished init leaves it, never a mix, and no temporary file
// is left; running init again then ends in the installed state.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recoverPendingCommits } from '../../../src/core/util/atomic';
import { killAtStep, leftovers, snapshot, traceCommit } from '../../helpers/crash';
import { seededRandom } from '../../helpers/random';
import { esp32mm, tempDir } from '../../helpers/tools';

const RUNS = 100;
const SEED = 0x14b8;
const INI =
  '; a project someone cloned\n[env:esp32cam]\nplatform = espressif32\nboard = esp32cam\nframework = arduino\nmonitor_speed = 115200\n';

function oldState(): string {
  const dir = tempDir('esp32mm-init-crash-');
  writeFileSync(join(dir, 'platformio.ini'), INI);
  mkdirSync(join(dir, 'lib', 'TinyClassifier'), { recursive: true });
  writeFileSync(join(dir, 'lib', 'TinyClassifier', 'tiny.h'), 'int tiny_classify(const unsigned char *image, int n);\n');
  return dir;
}

const initArgs = (dir: string) => ['init', dir, '--env', 'esp32cam', '--libs', 'TinyClassifier', '--storage', 'sd'];

/** Every folder of the project: the commit may have written into any of them. */
function folders(dir: string): string[] {
  return [
    dir,
    ...readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((f) => join(dir, f))
      .filter((p) => statSync(p).isDirectory()),
  ];
}

describe('kill -9 during init', () => {
  const reference = oldState();
  const before = snapshot(reference);
  const traced = traceCommit(initArgs(reference));
  const after = snapshot(reference);

  it('the traced init succeeds and writes its files in one commit', () => {
    expect(traced.status, traced.stderr).toBe(0);
    expect(Object.keys(after)).toEqual(expect.arrayContaining(['platformio.ini', 'memory_manager.py']));
    expect(after['platformio.ini']).not.toBe(before['platformio.ini']);
    expect(traced.steps).toContain('committed');
    expect(leftovers(reference)).toEqual([]);
  });

  it(`${RUNS} kills at seeded steps: old or new after recovery, never a mix, no temporary file after the next run`, async () => {
    const random = seededRandom(SEED);
    const outcomes = { old: 0, new: 0 };
    for (let run = 0; run < RUNS; run++) {
      const at = Math.floor(random() * traced.steps.length);
      const dir = oldState();
      await killAtStep(initArgs(dir), at);
      await recoverPendingCommits(folders(dir));
      const state = snapshot(dir);
      const which =
        JSON.stringify(state) === JSON.stringify(before) ? 'old' : JSON.stringify(state) === JSON.stringify(after) ? 'new' : undefined;
      expect(
        which,
        `run ${run}: killed at step ${at} (${traced.steps[at]}), state is a mix:\n${JSON.stringify(state, null, 1)}`,
      ).toBeDefined();
      outcomes[which!]++;
      const next = esp32mm(initArgs(dir));
      expect(next.status, `run ${run}: ${next.stderr}`).toBe(0);
      expect(snapshot(dir), `run ${run}`).toEqual(after);
      expect(leftovers(dir), `run ${run}`).toEqual([]);
    }
    console.log(
      `${RUNS} kill -9 runs at seeded points among the ${traced.steps.length} commit steps of init (seed ${SEED}): ${outcomes.old} rolled back, ${outcomes.new} rolled forward`,
    );
    expect(outcomes.old).toBeGreaterThan(10);
    expect(outcomes.new).toBeGreaterThan(10);
  });

  it('30 kills, then init again with no recovery step of its own: it reclaims what the kill left and ends installed', async () => {
    const random = seededRandom(SEED + 1);
    for (let run = 0; run < 30; run++) {
      const at = Math.floor(random() * traced.steps.length);
      const dir = oldState();
      await killAtStep(initArgs(dir), at);
      const next = esp32mm(initArgs(dir));
      expect(next.status, `run ${run}: ${next.stderr}`).toBe(0);
      expect(leftovers(dir), `run ${run}: killed at step ${at} (${traced.steps[at]})`).toEqual([]);
      expect(snapshot(dir), `run ${run}: killed at step ${at} (${traced.steps[at]})`).toEqual(after);
    }
  });
});

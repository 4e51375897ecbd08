// VS Code's progress.report({ increment }) is relative: the increments of one task must add
// up to 100 and never go backwards, whatever absolute fractions core reports. The split's
// own steps are driven by the real split workflow on the fixture firmware.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitBuild } from '../../../src/core/split/workflow';
import { type ProgressStep, progressSteps, splitStep } from '../../../src/extension/progressSteps';

const FIXTURE = join(__dirname, '..', '..', 'fixtures', 'firmware', 'out', 'xtensa', 'fw.elf');
const sum = (steps: ProgressStep[]) => steps.reduce((s, p) => s + (p.increment ?? 0), 0);

describe('progress increments', () => {
  it('a split reports increments that sum to 100 (not the fractions 10, 30, 100 as increments)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'esp32mm-progress-'));
    try {
      const elf = join(dir, 'firmware.elf');
      copyFileSync(FIXTURE, elf);
      const steps: ProgressStep[] = [];
      const p = progressSteps((s) => steps.push(s));
      const libs = ['fastmath', 'shapes'];
      await splitBuild({
        elf,
        outDir: join(dir, 'out'),
        libs,
        onPhase: (phase) => {
          const s = splitStep(phase, libs);
          p.report(s.message, s.fraction);
        },
      });
      p.finish();
      expect(steps.map((s) => s.increment)).toEqual([10, 20, 70]);
      expect(steps[1].message).toBe('cutting out fastmath, shapes');
      expect(sum(steps)).toBe(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never goes backwards or past 100, and messages without a fraction add nothing', () => {
    const steps: ProgressStep[] = [];
    const p = progressSteps((s) => steps.push(s));
    p.report('connecting', 0);
    p.report('a 50%', 0.25);
    p.report('phase text');
    p.report('late event', 0.2); // an out-of-order event: no negative increment
    p.report('b', 0.9);
    p.report('overshoot', 1.4);
    p.finish();
    expect(steps.every((s) => s.increment === undefined || s.increment >= 0)).toBe(true);
    expect(steps.find((s) => s.message === 'phase text')?.increment).toBeUndefined();
    expect(sum(steps)).toBe(100);
    expect(steps.length).toBe(6); // finish adds nothing once 100 was reached
  });

  it('tops up to 100 when the task ends early (a skip of every file)', () => {
    const steps: ProgressStep[] = [];
    const p = progressSteps((s) => steps.push(s));
    p.report('connecting', 0);
    p.finish();
    expect(sum(steps)).toBe(100);
  });
});

// Core reports progress as absolute fractions (0.3 = 30 % done); VS Code's progress.report
// takes increments (relative: +20). This turns one into the other, never goes backwards and
// never past 100, and tops up to exactly 100 when the task ends. No 'vscode' here, so it is
// unit-tested directly; progress.ts shows it.
import type { SplitPhase } from '../core/split/workflow';

export interface ProgressStep {
  message?: string;
  increment?: number;
}
/** How core and the commands report: a message, and how far along the whole task is (0…1). */
export type Report = (message: string, fraction?: number) => void;

export function progressSteps(sink: (step: ProgressStep) => void): { report: Report; finish(): void } {
  let done = 0; // percent reported so far
  const advance = (fraction: number) => {
    const to = Math.min(100, Math.max(done, fraction * 100));
    const inc = to - done;
    done = to;
    return inc;
  };
  return {
    report: (message, fraction) => sink({ message, increment: fraction === undefined ? undefined : advance(fraction) }),
    finish: () => {
      if (done < 100) sink({ increment: advance(1) });
    },
  };
}

/** How far a split is at each of core's phases (reading the ELF is quick; writing the files is the rest). */
export function splitStep(phase: SplitPhase, libs: string[]): { message: string; fraction: number } {
  return phase === 'read'
    ? { message: 'reading the firmware', fraction: 0.1 }
    : { message: `cutting out ${libs.join(', ')}`, fraction: 0.3 };
}

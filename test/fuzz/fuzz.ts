// The fuzz tier's shared parts: one seed, one time budget, the inputs, and what counts as a
// typed error. ESP32MM_FUZZ_SEED and ESP32MM_FUZZ_SECONDS (the whole tier) override the
// defaults; every failure names the seed and iteration that reproduce it.
import { existsSync, readFileSync } from 'node:fs';
import { ElfError } from '../../src/core/elf/types';
import { ChipError } from '../../src/core/chips/detect';
import { MapFileError } from '../../src/core/mapfile/parse';
import { FormatError } from '../../src/core/split/format';
import { SplitError } from '../../src/core/split/errors';
import { CORPUS_ABSENT, corpusAvailable } from '../helpers/corpus';
import { EXAMPLE_ELF } from '../helpers/tools';
import { seededRandom } from '../helpers/random';

export const SEED = Number(process.env.ESP32MM_FUZZ_SEED ?? 0x14f022);
/** The whole tier's fuzzing time; each test takes its share, so even run one after another the tier stays under 3 minutes. */
export const TIER_SECONDS = Number(process.env.ESP32MM_FUZZ_SECONDS ?? 120);

export const EXAMPLE_MAP = EXAMPLE_ELF.replace(/\.elf$/, '.map');

/** The tests' seeded PRNG; iteration i of a run uses seed SEED + i, so it replays alone. */
export const prng = seededRandom;

export type Random = () => number;
export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
export const below = (random: Random, n: number): number => Math.floor(random() * n);

/** The errors a malformed input may raise: each names what is wrong (and, for ELFs, the offset). */
export const TYPED_ERRORS = [ElfError, SplitError, FormatError, MapFileError, ChipError] as const;

export function isTyped(e: unknown): boolean {
  return TYPED_ERRORS.some((T) => e instanceof T);
}

/** The corpus is required unless ESP32MM_CORPUS_OPTIONAL=1 (then the run says it was left out). */
export function corpusOrSay(): boolean {
  if (corpusAvailable()) return true;
  if (process.env.ESP32MM_CORPUS_OPTIONAL === '1') {
    console.warn(`fuzz: ${CORPUS_ABSENT}`);
    return false;
  }
  throw new Error(`CORPUS_ABSENT: ${CORPUS_ABSENT}`);
}

export function readIfPresent(path: string): Uint8Array | undefined {
  return existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined;
}

/**
 * Runs `iteration(i, random)` for i = 0, 1, … until its `share` of the tier's time is spent
 * (at least `min` times). Any untyped error fails with the seed and iteration that reproduce it.
 */
export async function fuzzFor(
  name: string,
  share: number,
  min: number,
  iteration: (i: number, random: Random) => Outcome | Promise<Outcome>,
): Promise<{ runs: number; rejected: number }> {
  const budgetMs = 1000 * TIER_SECONDS * share;
  const start = performance.now();
  let runs = 0,
    rejected = 0;
  while (runs < min || performance.now() - start < budgetMs) {
    const i = runs++;
    try {
      if ((await iteration(i, prng(SEED + i))) === 'rejected') rejected++;
    } catch (e) {
      const err = e as Error;
      throw new Error(`${name}: iteration ${i} (ESP32MM_FUZZ_SEED=${SEED}) failed with ${err.name}: ${err.message}\n${err.stack}`);
    }
  }
  console.log(
    `${name}: ${runs} inputs in ${((performance.now() - start) / 1000).toFixed(1)} s (seed ${SEED}), ${rejected} rejected with a typed error, ${runs - rejected} accepted`,
  );
  return { runs, rejected };
}

export type Outcome = 'rejected' | 'accepted';

/** Calls `f`; a typed error means rejected, anything else untyped is rethrown. */
export function outcome(f: () => void): Outcome {
  try {
    f();
    return 'accepted';
  } catch (e) {
    if (isTyped(e)) return 'rejected';
    throw e;
  }
}

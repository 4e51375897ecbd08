// The real-builds corpus: real ESP-IDF builds made by Espressif's toolchains, kept beside the
// repository (never copied into it). Tests that need it read it from here and say plainly
// when it is absent; CI always has it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { it } from 'vitest';
import { REPO } from './tools';

/** `ESP32MM_CORPUS` or `../shared/real-builds` beside the repository. */
export const CORPUS_DIR = process.env.ESP32MM_CORPUS ? resolve(process.env.ESP32MM_CORPUS) : resolve(REPO, '..', 'shared', 'real-builds');

export const CORPUS_ABSENT = `the real-builds corpus is not at ${CORPUS_DIR}: corpus tests did NOT run (put the shared folder beside the repository, or set ESP32MM_CORPUS)`;

export interface CorpusCase {
  /** Folder name, e.g. `esp32cam_idf_demo`. */
  name: string;
  dir: string;
  /** `<project>.map` as the build wrote it. */
  mapPath: string;
  /** `partitions.bin` or `partition-table.bin`. */
  partitionsPath?: string;
  /** `esp32`, `esp32c3`, … as meta.json says. */
  chip: string;
  meta: Record<string, unknown>;
}

export function corpusAvailable(): boolean {
  return existsSync(CORPUS_DIR) && corpusCaseNames().length > 0;
}

function corpusCaseNames(): string[] {
  if (!existsSync(CORPUS_DIR)) return [];
  return readdirSync(CORPUS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(CORPUS_DIR, d.name, 'meta.json')))
    .map((d) => d.name)
    .sort();
}

export function corpusCase(name: string): CorpusCase {
  const dir = join(CORPUS_DIR, name);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
  const files = readdirSync(dir);
  const map = files.find((f) => f.endsWith('.map'));
  if (!map) throw new Error(`corpus case ${name} has no .map file`);
  const partitions = ['partitions.bin', 'partition-table.bin'].find((f) => files.includes(f));
  return {
    name,
    dir,
    mapPath: join(dir, map),
    partitionsPath: partitions ? join(dir, partitions) : undefined,
    chip: String(meta.chip),
    meta,
  };
}

/** Every case of the corpus (empty when it is absent: check `corpusAvailable()` and say so). */
export function corpusCases(): CorpusCase[] {
  return corpusCaseNames().map(corpusCase);
}

/** A file of `expected/` parsed as JSON (esp-idf-size 2.0.0 output or the independent count). */
export function corpusExpected<T = unknown>(c: CorpusCase, file: string): T {
  return JSON.parse(readFileSync(join(c.dir, 'expected', file), 'utf8')) as T;
}

/**
 * The one test that stands for the whole corpus when it is absent: it fails with
 * CORPUS_ABSENT, or is a visible skip when ESP32MM_CORPUS_OPTIONAL=1 — never a silent pass.
 * Call it where the corpus tests would be declared, when `corpusAvailable()` is false.
 */
export function reportMissingCorpus(): void {
  if (process.env.ESP32MM_CORPUS_OPTIONAL === '1') {
    console.warn(CORPUS_ABSENT);
    it.skip('corpus present', () => {});
  } else {
    it('corpus present', () => {
      throw new Error(CORPUS_ABSENT);
    });
  }
}

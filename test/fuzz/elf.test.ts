// Mutated ELFs through what `inspect`, `map` and `split` do, in process: the committed
// fixtures, the example's firmware.elf and ELFs rebuilt from the corpus's readelf tables.
// Every outcome is a typed error or a valid result (a split's ELF reads back and is no
// larger than twice its input); a split to files writes nothing outside its
// folder. A fixed seed and a time budget (fuzz.ts).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../src/core/elf/reader';
import { removeSections } from '../../src/core/elf/writer';
import { buildMemoryMap } from '../../src/core/memmap/model';
import { findDynamicLibraries } from '../../src/core/split/libraries';
import { splitFile, splitFirmware } from '../../src/core/split/split';
import { corpusCases } from '../helpers/corpus';
import { rebuildCorpusElf } from '../helpers/corpus-elf';
import { EXAMPLE_ELF, fixtureElfs, tempDir } from '../helpers/tools';
import { below, corpusOrSay, fuzzFor, isTyped, outcome, pick, readIfPresent, type Random } from './fuzz';

const inputs: { name: string; bytes: Uint8Array }[] = [
  ...fixtureElfs().map((f) => ({ name: relative(join(__dirname, '../..'), f), bytes: readIfPresent(f)! })),
  { name: 'example firmware.elf', bytes: readIfPresent(EXAMPLE_ELF)! },
  ...(corpusOrSay() ? corpusCases().map((c) => ({ name: `corpus ${c.name}`, bytes: rebuildCorpusElf(c) })) : []),
];

const INTERESTING = [0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, 0xfff, 0x1000, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

/** Offsets of every header field worth hitting: file header, program and section headers. */
function headerFields(bytes: Uint8Array): number[] {
  const elf = readElf(bytes);
  const h = elf.header;
  const width = elf.is64 ? 8 : 4;
  const out: number[] = [];
  for (let o = 16; o < h.ehsize; o += 2) out.push(o);
  for (let i = 0; i < h.phnum; i++) for (let f = 0; f < h.phentsize; f += width) out.push(h.phoff + i * h.phentsize + f);
  for (let i = 0; i < h.shnum; i++) for (let f = 0; f < h.shentsize; f += 4) out.push(h.shoff + i * h.shentsize + f);
  return out;
}

const fields = inputs.map((x) => headerFields(x.bytes));

/** One mutated copy of a random input: field values, byte flips, a truncation or a library-name edit. */
function mutate(random: Random): { source: string; bytes: Uint8Array } {
  const k = below(random, inputs.length);
  const input = inputs[k];
  let bytes = input.bytes.slice();
  const view = new DataView(bytes.buffer);
  const edits = 1 + below(random, 2);
  for (let e = 0; e < edits; e++) {
    const kind = below(random, 10);
    if (kind < 5) {
      const at = pick(random, fields[k]);
      const value = random() < 0.7 ? pick(random, INTERESTING) : (random() * 2 ** 32) >>> 0;
      if (at + 4 <= bytes.length)
        view.setUint32(
          at,
          random() < 0.3 ? Math.min(0xffffffff, bytes.length + below(random, 64) - 32) >>> 0 : value,
          input.bytes[5] === 1,
        );
    } else if (kind < 8) {
      for (let f = 1 + below(random, 8); f > 0; f--) bytes[below(random, bytes.length)] = below(random, 256);
    } else if (kind < 9) {
      bytes = bytes.subarray(0, below(random, bytes.length));
    } else {
      editLibraryName(bytes, random);
    }
  }
  return { source: input.name, bytes: bytes.slice() };
}

/** A `.mm.` section name gets a path character, a dot, a NUL or a non-ASCII byte. */
function editLibraryName(bytes: Uint8Array, random: Random): void {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const names = [...text.matchAll(/\.mm\.[A-Za-z_]+\.(text|data|bss)\0/g)];
  if (!names.length) return;
  const m = pick(random, names);
  const at = m.index! + 4 + below(random, m[0].length - 9);
  bytes[at] = pick(random, [0x2f, 0x2e, 0x5c, 0x00, 0xe9, 0x2d, 0x41]);
}

/**
 * The most an output may grow: rebuilt string tables are not tail-merged as the linker's
 * are, so they can be larger; a blow-up from an alignment or size field is far beyond this.
 */
const sizeBound = (input: Uint8Array) => 2 * input.length + 65536;

/**
 * Everything a command does with an ELF: parse it all, list its libraries, map it, split it;
 * and the writer alone, removing random sections (the corpus ELFs have no libraries to split).
 */
function exercise(bytes: Uint8Array, random: Random): void {
  const elf = readElf(bytes);
  elf.symbols();
  elf.dynamicSymbols();
  elf.notes();
  findDynamicLibraries(elf);
  try {
    buildMemoryMap({ elf: bytes });
  } catch (e) {
    if (!isTyped(e)) throw e;
  }
  const names = elf.sections.filter((x) => x.index > 0 && x.name).map((x) => x.name);
  if (names.length) {
    try {
      const removed = removeSections(
        elf,
        Array.from({ length: 1 + below(random, 3) }, () => pick(random, names)),
      );
      expect(removed.bytes.length).toBeLessThanOrEqual(sizeBound(bytes));
      expect(() => readElf(removed.bytes), 'the written ELF reads back').not.toThrow();
    } catch (e) {
      if (!isTyped(e)) throw e;
    }
  }
  const r = splitFirmware(bytes);
  // A split that succeeded must have written an ELF readers accept: an ElfError here is a
  // failure of the split, not a rejected input.
  expect(() => readElf(r.strippedElf), 'the split ELF reads back').not.toThrow();
  expect(r.strippedElf.length).toBeLessThanOrEqual(sizeBound(bytes));
}

describe('fuzz: mutated ELFs', () => {
  it('has the inputs it names (fixtures, example, corpus rebuilds)', () => {
    expect(inputs.every((x) => x.bytes && x.bytes.length > 0)).toBe(true);
    expect(inputs.length).toBeGreaterThanOrEqual(5);
  });

  it('inspect / map / split in process: typed errors or valid results only', async () => {
    const { runs, rejected } = await fuzzFor('elf', 0.35, 1000, (_i, random) => outcome(() => exercise(mutate(random).bytes, random)));
    expect(rejected).toBeGreaterThan(runs / 10);
  });

  it('split to files: nothing written outside the folder it was given, nothing half-written', async () => {
    const root = tempDir('esp32mm-fuzz-split-');
    const sandbox = join(root, 'project');
    let splits = 0;
    await fuzzFor('split-to-files', 0.2, 100, async (i, random) => {
      rmSync(sandbox, { recursive: true, force: true });
      mkdirSync(join(sandbox, 'build'), { recursive: true });
      const { bytes } = mutate(random);
      const elf = join(sandbox, 'build', 'fw.elf');
      writeFileSync(elf, bytes);
      let result: Awaited<ReturnType<typeof splitFile>> | undefined;
      try {
        result = await splitFile(elf, join(sandbox, 'out'));
      } catch (e) {
        if (!isTyped(e)) throw e;
      }
      expect(readdirSync(root), `iteration ${i}`).toEqual(['project']);
      const written = readdirSync(sandbox, { recursive: true, encoding: 'utf8' }).sort();
      if (!result) {
        expect(written, `iteration ${i}: a refused split left files`).toEqual(['build', 'build/fw.elf']);
        return 'rejected';
      }
      splits++;
      const libFiles = result.libraries.flatMap((l) => l.files.map((f) => `out/${f.file}`));
      expect(written).toEqual(['build', 'build/fw.elf', 'build/fw.full.elf', 'out', ...libFiles, 'out/manifest.json'].sort());
      return 'accepted';
    });
    expect(splits).toBeGreaterThan(0);
  });
});

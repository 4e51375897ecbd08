// Malformed input gives typed errors only: truncation at every header boundary and at
// every byte of the headers, wrong identification, tables outside the file, bad string
// indices, and 1000 seeded random mutations. No crash, no hang, no output file.
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../../src/core/elf/reader';
import { ElfError } from '../../../src/core/elf/types';
import { FormatError } from '../../../src/core/split/format';
import { splitFile, splitFirmware, SplitError } from '../../../src/core/split/split';
import { fixtureElfs } from '../../helpers/tools';
import { seededRandom } from '../../helpers/random';

const FIXTURE = fixtureElfs().find((f) => f.endsWith('xtensa/fw.elf'))!;
const original = new Uint8Array(readFileSync(FIXTURE));

/** Parse fully (symbols, notes) and split: everything a user command would touch. */
function exercise(bytes: Uint8Array): void {
  const elf = readElf(bytes);
  readElf(bytes).symbolsStartingWith('_');
  elf.symbols();
  elf.dynamicSymbols();
  elf.notes();
  splitFirmware(bytes);
}

/** Runs `exercise`; returns whether it rejected the input. Any untyped error fails the test. */
function rejectsWithTypedError(bytes: Uint8Array, what: string): boolean {
  try {
    exercise(bytes);
    return false;
  } catch (e) {
    const typed = e instanceof ElfError || e instanceof SplitError || e instanceof FormatError;
    if (!typed) throw new Error(`${what}: untyped ${(e as Error).name}: ${(e as Error).message}`);
    return true;
  }
}

function mutate(bytes: Uint8Array, edit: (b: Uint8Array, v: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  edit(copy, new DataView(copy.buffer));
  return copy;
}

const prng = seededRandom;

describe('malformed ELF input', () => {
  const elf = readElf(original);
  const h = elf.header;

  it('truncated at every header and table boundary: ElfError naming an offset', () => {
    const cuts = [
      0,
      1,
      4,
      15,
      16,
      51,
      h.phoff,
      h.phoff + h.phentsize,
      h.phoff + h.phnum * h.phentsize - 1,
      h.shoff,
      h.shoff + h.shentsize,
      h.shoff + h.shnum * h.shentsize - 1,
      ...elf.sections.filter((s) => s.size > 0 && s.type !== 8).map((s) => s.offset + s.size - 1),
    ];
    for (const cut of cuts) {
      expect(() => exercise(original.subarray(0, cut)), `cut at ${cut}`).toThrow(ElfError);
    }
  });

  it('truncated at every byte of the file: typed errors only', () => {
    for (let cut = 0; cut < original.length; cut += 7) {
      expect(rejectsWithTypedError(original.subarray(0, cut), `cut ${cut}`), `cut ${cut}`).toBe(true);
    }
  });

  it('wrong magic, class, byte order and version are named', () => {
    expect(() =>
      readElf(
        mutate(original, (b) => {
          b[1] = 0x58;
        }),
      ),
    ).toThrow(/not an ELF file/);
    expect(() =>
      readElf(
        mutate(original, (b) => {
          b[4] = 3;
        }),
      ),
    ).toThrow(/unknown ELF class 3/);
    expect(() =>
      readElf(
        mutate(original, (b) => {
          b[5] = 0;
        }),
      ),
    ).toThrow(/unknown byte order 0/);
    expect(() =>
      readElf(
        mutate(original, (b) => {
          b[6] = 2;
        }),
      ),
    ).toThrow(/identification version/);
    // Byte order flipped: the header fields now read as huge values pointing outside the file.
    expect(() =>
      readElf(
        mutate(original, (b) => {
          b[5] = 2;
        }),
      ),
    ).toThrow(ElfError);
  });

  it('tables outside the file are reported with their offset', () => {
    const shoffAt = 32;
    const e = (() => {
      try {
        readElf(mutate(original, (_b, v) => v.setUint32(shoffAt, original.length + 100, true)));
      } catch (x) {
        return x as ElfError;
      }
    })();
    expect(e).toBeInstanceOf(ElfError);
    expect(e!.offset).toBe(original.length + 100);
    expect(e!.message).toMatch(/section header 0 .* runs past the end of the file/);
    expect(() => readElf(mutate(original, (_b, v) => v.setUint32(28, original.length - 8, true)))).toThrow(/program header table/);
    const text = elf.sections[1];
    const at = h.shoff + text.index * h.shentsize + 16; // sh_offset of section 1
    expect(() => readElf(mutate(original, (_b, v) => v.setUint32(at, original.length, true)))).toThrow(/contents of section 1/);
  });

  it('equal addresses are legal (overlays), overlapping file ranges are not', () => {
    const codec = elf.section('.mm.codec.text')!,
      filters = elf.section('.mm.filters.text')!;
    expect(codec.addr).toBe(filters.addr);
    const at = h.shoff + codec.index * h.shentsize + 16; // sh_offset of .mm.codec.text
    const bad = mutate(original, (_b, v) => v.setUint32(at, filters.offset + 4, true));
    expect(() => readElf(bad)).toThrow(/sections \.mm\.filters\.text and \.mm\.codec\.text overlap in the file/);
  });

  it('a string index out of range names the section or symbol', () => {
    const nameAt = h.shoff + 1 * h.shentsize; // sh_name of section 1
    expect(() => readElf(mutate(original, (_b, v) => v.setUint32(nameAt, 0xfffff, true)))).toThrow(
      /section 1 name index 1048575 is outside/,
    );
    const symtab = elf.sections.find((s) => s.name === '.symtab')!;
    const bad = mutate(original, (_b, v) => v.setUint32(symtab.offset + 16 * 3, 0xfffff, true));
    expect(() => readElf(bad).symbols()).toThrow(/symbol 3 name index/);
    // The prefix lookup does not skip a name it cannot read.
    expect(() => readElf(bad).symbolsStartingWith('_')).toThrow(/symbol 3 name index/);
  });

  it('1000 random mutations: typed errors only, no hang', () => {
    const random = prng(20261125);
    let rejected = 0;
    for (let i = 0; i < 1000; i++) {
      const bytes = original.slice();
      const flips = 1 + Math.floor(random() * 8);
      // Bias half the mutations into the headers and tables, where parsing decisions live.
      const tableZone = [0, 52 + h.phnum * h.phentsize, h.shoff, bytes.length];
      for (let k = 0; k < flips; k++) {
        const inHeaders = random() < 0.5;
        const pos = inHeaders
          ? random() < 0.5
            ? Math.floor(random() * tableZone[1])
            : tableZone[2] + Math.floor(random() * (tableZone[3] - tableZone[2]))
          : Math.floor(random() * bytes.length);
        bytes[pos] = Math.floor(random() * 256);
      }
      if (rejectsWithTypedError(bytes, `mutation ${i}`)) rejected++;
    }
    // Mutations of code bytes are harmless; those of headers must have been caught.
    expect(rejected).toBeGreaterThan(100);
  });

  it('a malformed or foreign file writes no output at all', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'esp32mm-bad-'));
    const cases: [string, Uint8Array][] = [
      ['truncated.elf', original.subarray(0, 200)],
      ['text.elf', new TextEncoder().encode('this is not an ELF file\n')],
      ['nolibs.elf', new Uint8Array(readFileSync(fixtureElfs().find((f) => f.includes('nomm'))!))],
    ];
    for (const [name, bytes] of cases) {
      await writeFile(join(dir, name), bytes);
      await expect(splitFile(join(dir, name), join(dir, 'mm'))).rejects.toThrow();
      expect(readFileSync(join(dir, name)).equals(Buffer.from(bytes))).toBe(true);
    }
    expect(readdirSync(dir).sort()).toEqual(cases.map((c) => c[0]).sort());
  });
});

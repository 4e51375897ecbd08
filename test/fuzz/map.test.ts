// Mutated and truncated real linker maps (the corpus's ESP-IDF maps, the committed fixture
// and quirk maps, the example's map) through the memory map (buildMemoryMap, map-only and
// with the ELF beside) and the link-map check (checkLinkMap, what `fragment --check-map`
// runs). Every outcome is a typed error or a model. A fixed seed and a time budget (fuzz.ts).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLinkMap } from '../../src/core/link/mapcheck';
import { decodeMapFile } from '../../src/core/mapfile/parse';
import { buildMemoryMap } from '../../src/core/memmap/model';
import { corpusCases } from '../helpers/corpus';
import { EXAMPLE_ELF, REPO } from '../helpers/tools';
import { below, corpusOrSay, EXAMPLE_MAP, fuzzFor, outcome, pick, readIfPresent, type Random } from './fuzz';

interface MapInput {
  name: string;
  text: string;
  lines: number[];
  elf?: Uint8Array;
  libs: string[];
}

function mapsUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.map'))
    .map((f) => join(dir, f))
    .sort();
}

function input(name: string, path: string, elfPath?: string): MapInput {
  const text = decodeMapFile(readIfPresent(path)!);
  const lines = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines.push(i + 1);
  // The libraries its .mm sections name, or a name that is not there (the check's other path).
  const libs = [...new Set([...text.matchAll(/^\s*\.mm\.([A-Za-z_]\w*)\.text/gm)].map((m) => m[1]))];
  return { name, text, lines, elf: elfPath ? readIfPresent(elfPath) : undefined, libs: libs.length ? libs : ['TinyClassifier'] };
}

const inputs: MapInput[] = [
  ...mapsUnder(join(REPO, 'test/fixtures/firmware/out')).map((m) => input(m.slice(REPO.length + 1), m, m.replace(/\.map$/, '.elf'))),
  ...mapsUnder(join(REPO, 'test/fixtures/mapfiles')).map((m) => input(m.slice(REPO.length + 1), m)),
  input('example firmware.map', EXAMPLE_MAP, EXAMPLE_ELF),
  ...(corpusOrSay() ? corpusCases().map((c) => input(`corpus ${c.name}`, c.mapPath)) : []),
];

const NUMBERS = ['0x0', '0xffffffff', '0xffffffffffffffff', '0x80000000', '0x1', '-1', '0x', '99999999999999999999'];

/** One damaged copy of a random map: truncated, lines dropped or repeated, numbers or characters changed. */
function mutate(random: Random): MapInput {
  const m = pick(random, inputs);
  let text = m.text;
  const edits = 1 + below(random, 3);
  for (let e = 0; e < edits; e++) {
    const lineAt = (n: number) => m.lines[Math.min(n, m.lines.length - 1)];
    const from = below(random, m.lines.length);
    const kind = below(random, 8);
    if (kind === 0) text = text.slice(0, below(random, text.length));
    else if (kind === 1) text = text.slice(0, lineAt(from));
    else if (kind === 2) text = text.slice(0, lineAt(from)) + text.slice(lineAt(from + 1 + below(random, 50)));
    else if (kind === 3)
      text =
        text.slice(0, lineAt(from)) + text.slice(lineAt(from), lineAt(from + 1 + below(random, 20))).repeat(2) + text.slice(lineAt(from));
    else if (kind === 4 || kind === 5) {
      const at = below(random, text.length);
      const hex = /0x[0-9a-f]+/g;
      hex.lastIndex = at;
      const n = hex.exec(text);
      if (n) text = text.slice(0, n.index) + pick(random, NUMBERS) + text.slice(n.index + n[0].length);
    } else if (kind === 6) {
      const at = below(random, text.length);
      text =
        text.slice(0, at) + pick(random, [' ', '\n', '\r\n', '\0', '(', ')', '*', 'é', '\t', '0x']) + text.slice(at + below(random, 3));
    } else {
      text = text.includes('\r\n') ? text.replace(/\r\n/g, '\n') : text.replace(/\n/g, '\r\n');
    }
  }
  return { ...m, text };
}

describe('fuzz: mutated and truncated real maps', () => {
  it('has the maps it names (fixtures, quirks, example, corpus)', () => {
    expect(inputs.length).toBeGreaterThanOrEqual(8);
    expect(inputs.filter((m) => m.elf).length).toBeGreaterThanOrEqual(3);
  });

  it('buildMemoryMap (map-only and with the ELF) and checkLinkMap: typed errors or results only', async () => {
    const { runs, rejected } = await fuzzFor('map', 0.45, 100, (_i, random) => {
      const m = mutate(random);
      const results = [
        outcome(() => buildMemoryMap({ mapText: m.text })),
        m.elf ? outcome(() => buildMemoryMap({ elf: m.elf, mapText: m.text })) : 'accepted',
        outcome(() => checkLinkMap(m.text, m.libs)),
      ];
      return results.includes('rejected') ? 'rejected' : 'accepted';
    });
    expect(rejected).toBeGreaterThan(runs / 20);
  });
});

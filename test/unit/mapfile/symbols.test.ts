// The symbol names ld lists under each input section (ParseOptions.symbols, what the map
// check's warnings name): checked against readelf's symbol table of the same link in the
// real-builds corpus, an oracle independent of the parser. Each listed name is a symbol of
// the ELF whose value lies inside its record; both parser paths read the same lists.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeMapFile, parseMapFile, type MapFile } from '../../../src/core/mapfile/parse';
import { corpusAvailable, corpusCases, reportMissingCorpus } from '../../helpers/corpus';

/**
 * readelf -s: name → the values it has (a local name may be defined in several files). ld
 * may list C++ names demangled (`--demangle`): each name is also kept as binutils' c++filt
 * writes it.
 */
function readelfSymbols(path: string): Map<string, number[]> {
  const rows: [string, number][] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S+)/.exec(line);
    if (m) rows.push([m[2], parseInt(m[1], 16)]);
  }
  const demangled = execFileSync('c++filt', {
    input: rows.map(([name]) => name).join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  }).split('\n');
  const out = new Map<string, number[]>();
  const add = (name: string, value: number) => out.set(name, [...(out.get(name) ?? []), value]);
  rows.forEach(([name, value], i) => {
    add(name, value);
    if (demangled[i] !== name) add(demangled[i], value);
  });
  return out;
}

const listed = (map: MapFile) => map.sections.flatMap((s) => s.inputs.map((i) => i.symbols));

describe('symbols under the input records', () => {
  if (!corpusAvailable()) {
    reportMissingCorpus();
    return;
  }
  it.each(corpusCases())('corpus: $name', (c) => {
    const text = decodeMapFile(readFileSync(c.mapPath));
    const map = parseMapFile(text, undefined, { symbols: true });
    expect(listed(parseMapFile(text, undefined, { symbols: true, careful: true }))).toEqual(listed(map));
    const elf = readelfSymbols(join(c.dir, 'elf-symbols.txt'));
    let checked = 0;
    for (const out of map.sections) {
      if (out.address === 0) continue; // not allocated: no addresses to compare
      for (const input of out.inputs) {
        expect(input.symbols !== undefined, `${input.name} line ${input.line}`).toBe(input.kind === 'input');
        for (const name of input.symbols ?? []) {
          const values = elf.get(name) ?? [];
          const inside = values.some((v) => v >= input.address && v <= input.address + input.size);
          expect(
            inside,
            `${name} under ${input.name} (0x${input.address.toString(16)}, ${input.size} bytes, map line ${input.line}): readelf has ${values.map((v) => '0x' + v.toString(16)).join(', ') || 'no such symbol'}`,
          ).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('without the option no record carries symbols', () => {
    const c = corpusCases()[0];
    const map = parseMapFile(decodeMapFile(readFileSync(c.mapPath)));
    expect(map.sections.every((s) => s.inputs.every((i) => !('symbols' in i)))).toBe(true);
  });
});

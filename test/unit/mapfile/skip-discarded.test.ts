// The memory map skips the "Discarded input sections" list (parseMapFile's skipDiscarded):
// everything else it reads must be what a full parse reads, line numbers included, on every
// committed map and every corpus map; and an error after the skipped list still names its line.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MapFileError, decodeMapFile, parseMapFile } from '../../../src/core/mapfile/parse';
import { corpusCases } from '../../helpers/corpus';
import { abs } from '../memmap/fixtures';

const committed = [
  ...readdirSync(abs('test/fixtures'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.map'))
    .map((f) => join(abs('test/fixtures'), f)),
  abs('examples/esp32cam-ai/.pio/build/esp32cam/firmware.map'),
];
const maps = [...committed, ...corpusCases().map((c) => c.mapPath)];

describe('skipping the discarded list', () => {
  it.each(maps)('%s: the same records, memory and line numbers as a full parse', (path) => {
    const text = decodeMapFile(readFileSync(path));
    const full = parseMapFile(text);
    const skipped = parseMapFile(text, undefined, { skipDiscarded: true });
    expect(skipped.discarded).toEqual([]);
    const { discarded: _a, carefulLines: _b, ...rest } = full;
    const { discarded: _c, carefulLines: _d, ...restSkipped } = skipped;
    expect(restSkipped).toEqual(rest);
  });

  it('an error after the skipped list names the right line', () => {
    const path = abs('test/fixtures/firmware/out/xtensa/fw.map');
    const lines = readFileSync(path, 'utf8').split('\n');
    const at = lines.findIndex(
      (l) => /^ \.text\s+0x[0-9a-f]+\s+0x[0-9a-f]+ /.test(l) && lines.indexOf('Linker script and memory map') < lines.indexOf(l),
    );
    expect(at).toBeGreaterThan(0);
    lines[at] = lines[at].replace(/0x([0-9a-f]+)(\s+0x[0-9a-f]+ )/, '0xZZ$2');
    const damaged = lines.join('\n');
    const error = (options: { skipDiscarded?: boolean }) => {
      try {
        parseMapFile(damaged, undefined, options);
      } catch (e) {
        return e as MapFileError;
      }
      throw new Error('expected an error');
    };
    expect(error({ skipDiscarded: true }).line).toBe(at + 1);
    expect(error({ skipDiscarded: true }).message).toBe(error({}).message);
  });
});

// The definition line of a symbol in its object's source (src/core/memmap/definitions.ts) on
// the example project's own sources and the symbols its firmware.elf really has: each line
// is checked against the line a reader finds with a plain text search for the definition.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../../src/core/elf/reader';
import { SymbolType } from '../../../src/core/elf/types';
import { definitionLine, symbolName } from '../../../src/core/memmap/definitions';
import { abs, bytes } from './fixtures';

const example = 'examples/esp32cam-ai';
const source = (p: string) => readFileSync(abs(`${example}/${p}`), 'utf8');
/** The 1-based line holding `text` (exactly one must). */
const lineOf = (src: string, text: string) => {
  const hits = src.split('\n').flatMap((l, i) => (l.includes(text) ? [i + 1] : []));
  expect(hits, text).toHaveLength(1);
  return hits[0];
};

describe('symbolName: the name and scope of a linker symbol', () => {
  it.each([
    ['if_extract_features', 'if_extract_features', []],
    ['_ZL5frame', 'frame', []],
    ['_ZN10Classifier8classifyEPKh', 'classify', ['Classifier']],
    ['_ZNK10Classifier5labelEi', 'label', ['Classifier']],
    ['_ZN10ClassifierC2Ei', 'Classifier', ['Classifier']],
    ['_ZN10ClassifierD0Ev', '~Classifier', ['Classifier']],
    ['_ZN12_GLOBAL__N_1L3kW1E', 'kW1', []],
    ['_ZN12_GLOBAL__N_19NoFatImpl4openEPKcS2_', 'open', ['NoFatImpl']],
    ['_ZNSt6vectorIiE9push_backEv', undefined, undefined],
    ['file_crc$constprop$0', 'file_crc', []],
    ['_ZNK2fs4File4sizeEv.isra.0', 'size', ['fs', 'File']],
    ['.text.literal', undefined, undefined],
  ] as const)('%s', (link, name, scope) => {
    const got = symbolName(link);
    expect(got && { name: got.name, scope: got.scope }).toEqual(name === undefined ? undefined : { name, scope });
  });
});

describe('definitionLine on the example sources', () => {
  const tc = source('lib/TinyClassifier/src/TinyClassifier.cpp');
  const header = source('lib/TinyClassifier/src/TinyClassifier.h');
  const filters = source('lib/ImageFilters/src/ImageFilters.c');
  const main = source('src/main.cpp');

  it.each([
    [tc, '_ZNK10Classifier8classifyEPKh', 'function', 'int Classifier::classify('],
    [tc, '_ZNK10Classifier5labelEi', 'function', 'const char *Classifier::label('],
    [tc, '_ZN10ClassifierC2Ei', 'function', 'Classifier::Classifier(int minScore)'],
    [tc, 'tiny_classify', 'function', 'extern "C" int tiny_classify('],
    [tc, '_ZN12_GLOBAL__N_117defaultClassifierE', 'variable', 'Classifier defaultClassifier(8);'],
    [tc, '_ZN12_GLOBAL__N_14biasE', 'variable', 'Bias bias;'],
    [tc, '_ZN12_GLOBAL__N_1L3kW1E', 'variable', 'kW1 = '],
    [tc, '_ZN12_GLOBAL__N_1L7kLabelsE', 'variable', 'const char *const kLabels['],
    [filters, 'histogram', 'variable', 'static uint32_t histogram[256];'],
    [filters, 'gamma_lut', 'variable', 'static const uint8_t gamma_lut[64]'],
    [filters, 'if_edge_gain', 'variable', 'int if_edge_gain = 3;'],
    [filters, 'div_u32', 'function', 'static uint32_t div_u32('],
    [filters, 'if_last_histogram', 'function', 'const uint32_t *if_last_histogram(void)'],
    [main, '_ZL5frame', 'variable', 'static uint8_t frame['],
    [main, '_ZL10classifier', 'variable', 'static Classifier *classifier;'],
    [main, '_ZL17classifierStorage', 'variable', 'classifierStorage[sizeof(Classifier)]'],
  ] as const)('%s → the line of %s', (src, symbol, kind, text) => {
    expect(definitionLine(src, symbol, kind)).toBe(lineOf(src, text));
  });

  it('a declaration is not a definition: the header declares, the source defines', () => {
    expect(definitionLine(header, '_ZNK10Classifier8classifyEPKh', 'function')).toBeUndefined();
    expect(definitionLine(header, 'tiny_classify', 'function')).toBeUndefined();
    expect(definitionLine('extern int counter;\nint use() { return counter; }\n', 'counter', 'variable')).toBeUndefined();
  });

  it('calls and uses inside bodies, comments and strings are not definitions', () => {
    const src = '// relu(1) { }\nconst char *s = "relu(2) {";\nint f() { return relu(3); }\nint relu(int x) { return x; }\n';
    expect(definitionLine(src, 'relu', 'function')).toBe(4);
    expect(definitionLine('/* int x = 1; */\n#define x 2\nint y;\n', 'x', 'variable')).toBeUndefined();
  });

  it('every function or variable of the example firmware defined in these files lands on a line that names it', () => {
    const elf = readElf(bytes(`${example}/.pio/build/esp32cam/firmware.elf`));
    const sources = [tc, filters, main];
    let found = 0;
    for (const s of elf.symbols()) {
      if (s.size === 0 || (s.type !== SymbolType.FUNC && s.type !== SymbolType.OBJECT)) continue;
      const want = symbolName(s.name);
      if (!want) continue;
      for (const src of sources) {
        const line = definitionLine(src, s.name, s.type === SymbolType.FUNC ? 'function' : 'variable');
        if (line === undefined) continue;
        found++;
        expect(src.split('\n')[line - 1], `${s.name} at line ${line}`).toMatch(new RegExp(`\\b${want.name.replace(/^~/, '~?')}\\b`));
      }
    }
    expect(found).toBeGreaterThan(20);
  });
});

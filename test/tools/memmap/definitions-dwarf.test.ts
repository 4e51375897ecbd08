// The definition lines src/core/memmap/definitions.ts finds in a source file, against the
// compiler's own record of them: the example's library sources compiled with debug info by
// the real GCC (C and C++), each function's line from its first instruction (addr2line),
// each variable's DW_AT_decl_line (readelf's DWARF dump). Every function and variable the
// compiler emitted under a name the reader can read must be found, on the compiler's line.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { definitionLine, symbolName } from '../../../src/core/memmap/definitions';
import { REPO, runOk, tempDir } from '../../helpers/tools';

const tmp = tempDir('esp32mm-defs-');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Symbol {
  name: string;
  kind: 'function' | 'variable';
  section: string;
}

/** FUNC and OBJECT symbols defined in the object, with the section each lies in. */
function definedSymbols(obj: string): Symbol[] {
  const sections = new Map<string, string>();
  for (const m of runOk('readelf', ['-SW', obj]).matchAll(/^\s*\[\s*(\d+)\]\s+(\S+)/gm)) sections.set(m[1], m[2]);
  const out: Symbol[] = [];
  for (const line of runOk('readelf', ['-sW', obj]).split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || (f[3] !== 'FUNC' && f[3] !== 'OBJECT') || !/^\d+$/.test(f[6]) || f[2] === '0') continue;
    out.push({ name: f[7], kind: f[3] === 'FUNC' ? 'function' : 'variable', section: sections.get(f[6])! });
  }
  return out;
}

/**
 * Variables the DWARF info defines (a DIE with a location) → DW_AT_decl_line. A definition
 * that completes an earlier declaration (a namespace-scope constant, a static member) points
 * to it with DW_AT_specification and carries its name and line there.
 */
function variableLines(obj: string): Map<string, number> {
  const dies = new Map<string, { tag: string; text: string }>();
  const dump = runOk('readelf', ['--debug-dump=info', obj]);
  for (const die of dump.split(/\n(?=\s*<\d+><[0-9a-f]+>: Abbrev Number)/)) {
    const head = /^\s*<\d+><([0-9a-f]+)>: Abbrev Number: \d+ \((DW_TAG_\w+)\)/.exec(die);
    if (head) dies.set(head[1], { tag: head[2], text: die });
  }
  const attr = (die: string, a: string) => new RegExp(`DW_AT_${a}\\s*:\\s*(?:\\([^)]*\\):\\s*)?(.+)`).exec(die)?.[1].trim();
  const lines = new Map<string, number>();
  for (const { tag, text } of dies.values()) {
    if (tag !== 'DW_TAG_variable' || !/DW_AT_location/.test(text)) continue;
    const spec = /DW_AT_specification:\s*<0x([0-9a-f]+)>/.exec(text)?.[1];
    const decl = spec ? (dies.get(spec)?.text ?? '') : '';
    const name = attr(text, 'linkage_name') ?? attr(text, 'name') ?? attr(decl, 'linkage_name') ?? attr(decl, 'name');
    const line = attr(text, 'decl_line') ?? attr(decl, 'decl_line');
    if (name && line) lines.set(name, Number(line));
  }
  return lines;
}

/** A function's line: where its first instruction comes from (addr2line on its own section). */
function functionLine(obj: string, section: string): number | undefined {
  const m = /:(\d+)/.exec(runOk('addr2line', ['-e', obj, '-j', section, '0x0']));
  return m && Number(m[1]) > 0 ? Number(m[1]) : undefined;
}

/** Made by the compiler, not written in the source: static initialisers, vtables, typeinfo. */
const GENERATED = /^(_GLOBAL__sub_|_Z\d+__static_initialization|_ZT[VIS])/;

const cases = [
  { file: 'examples/esp32cam-ai/lib/TinyClassifier/src/TinyClassifier.cpp', cc: 'g++' },
  { file: 'examples/esp32cam-ai/lib/ImageFilters/src/ImageFilters.c', cc: 'gcc' },
];

describe("definition lines against the compiler's debug info", () => {
  for (const c of cases) {
    it(c.file, () => {
      const src = join(REPO, c.file);
      const obj = join(tmp, `${c.file.split('/').pop()}.o`);
      runOk(c.cc, ['-g', '-O0', '-ffunction-sections', '-fdata-sections', '-c', src, '-o', obj]);
      const text = readFileSync(src, 'utf8');
      const vars = variableLines(obj);
      let compared = 0;
      for (const s of definedSymbols(obj)) {
        if (GENERATED.test(s.name) || !symbolName(s.name)) continue; // templates and the like: the view shows no link
        const expected = s.kind === 'function' ? functionLine(obj, s.section) : (vars.get(s.name) ?? vars.get(symbolName(s.name)!.name));
        if (expected === undefined) continue;
        expect(definitionLine(text, s.name, s.kind), `${s.name} (${s.kind})`).toBe(expected);
        compared++;
      }
      // (the constexpr tables kW1…kW3 get no DWARF location in GCC's output: not compared)
      expect(compared).toBeGreaterThanOrEqual(12);
    });
  }
});

// ESP-IDF's own placements, read back from the link map. ldgen writes archive-specific rules
// such as `*libesp_ringbuf.a:(.literal .literal.* .text .text.*)` into `.iram0.text`: code
// and data ESP-IDF keeps in internal RAM on purpose (it runs with the flash cache disabled,
// from interrupts, or before the heap exists). GNU ld echoes every input-section statement
// of the scripts into the map, under the output section it belongs to, so the rules can be
// read from there. The esp32mm fragment comes first and would take those sections: a library
// named by such a rule must not be made dynamic (docs/design.md §4).
import type { MapFile } from '../mapfile/parse';

export interface FrameworkRule {
  /** The archive the rule names, e.g. `libesp_ringbuf.a`. */
  archive: string;
  /** The member pattern (`cpu_hal.*`), or undefined when the rule takes the whole archive. */
  member?: string;
  /** Input-section patterns of the rule, EXCLUDE_FILE groups left out. */
  patterns: string[];
  /** The output section the rule is under (`.iram0.text`, `.dram0.data`, `.rtc.text`). */
  section: string;
  /** The rule as the map echoes it. */
  text: string;
  /** 1-based line of the map. */
  line: number;
}

const RULE = /^ (?:KEEP\()?\*(lib[^\s:()*]+\.a):([^\s(]*)\((.*)\)\)?\s*$/;

/**
 * Archive-specific rules of the map that sit in output sections held in internal RAM (not
 * `.flash.*`, not our `.mm.*`). Lines are found by searching the text for rule starts, so a
 * 25 MB map is not walked line by line again; the output section a rule belongs to is the
 * last section header before it (headers are the column-0 lines that start with `.`).
 */
export function residentFrameworkRules(mapText: string, map: MapFile): FrameworkRule[] {
  const rules: FrameworkRule[] = [];
  const starts = ruleLineStarts(mapText);
  if (!starts.length) return rules;
  const headers = sectionHeaders(mapText, map);
  let h = -1;
  let lineNo = 1;
  let counted = 0;
  for (const at of starts) {
    while (h + 1 < headers.length && headers[h + 1].at < at) h++;
    if (h < 0) continue;
    const section = headers[h].name;
    if (!isResident(section)) continue;
    const end = mapText.indexOf('\n', at);
    const text = mapText.slice(at, end < 0 ? mapText.length : end).replace(/\r$/, '');
    const m = RULE.exec(text);
    if (!m) continue;
    lineNo += countLines(mapText, counted, at);
    counted = at;
    rules.push({ archive: m[1], member: m[2] || undefined, patterns: sectionPatterns(m[3]), section, text: text.trim(), line: lineNo });
  }
  return rules;
}

/** Output sections in internal RAM: IRAM, DRAM, RTC (everything but flash and our slots). */
function isResident(section: string): boolean {
  return !section.startsWith('.flash') && !section.startsWith('.mm.') && section !== '/DISCARD/' && !section.startsWith('.debug') && section !== '.comment';
}

/** Offsets of the lines that start with ` *lib` or ` KEEP(*lib`, in text order. */
function ruleLineStarts(text: string): number[] {
  const out: number[] = [];
  for (const probe of ['\n *lib', '\n KEEP(*lib']) {
    for (let i = text.indexOf(probe); i >= 0; i = text.indexOf(probe, i + 1)) out.push(i + 1);
  }
  return out.sort((a, b) => a - b);
}

/** Offset and name of every output-section header, matched in order with the parsed map's sections. */
function sectionHeaders(text: string, map: MapFile): { at: number; name: string }[] {
  const out: { at: number; name: string }[] = [];
  const memoryMap = text.indexOf('\nLinker script and memory map');
  let from = memoryMap < 0 ? 0 : memoryMap;
  for (const s of map.sections) {
    let i = text.indexOf('\n' + s.name, from);
    // The whole name: `.iram0.text` is not the header `.iram0.text_end`.
    while (i >= 0 && !/[\s]/.test(text[i + 1 + s.name.length] ?? '\n')) i = text.indexOf('\n' + s.name, i + 1);
    if (i < 0) break;
    out.push({ at: i + 1, name: s.name });
    from = i + 1;
  }
  return out;
}

function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** `EXCLUDE_FILE(*a *b) .literal .text.*` → `.literal`, `.text.*`. */
function sectionPatterns(body: string): string[] {
  return body.replace(/EXCLUDE_FILE\([^)]*\)/g, ' ').replace(/[()]/g, ' ').split(/\s+/).filter((p) => p.startsWith('.') || p === 'COMMON');
}

/** Input sections the esp32mm fragment moves into a library's `.mm` sections. */
const MOVED_BY_FRAGMENT = /^\.(literal|text|data|rodata|sdata|srodata|bss|sbss|init_array|fini_array|ctors|dtors)(\.|$)|^COMMON$/;

/** The rule's patterns that name sections the fragment takes (`.text`, `.rodata.*`, …). */
export function contestedPatterns(rule: FrameworkRule): string[] {
  return rule.patterns.filter((p) => MOVED_BY_FRAGMENT.test(p));
}

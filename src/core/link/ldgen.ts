// ESP-IDF's own placements, read back from the link map. ldgen writes archive-specific rules
// such as `*libesp_ringbuf.a:(.literal .literal.* .text .text.*)` into `.iram0.text`: code
// and data ESP-IDF keeps in internal RAM on purpose (it runs with the flash cache disabled,
// from interrupts, or before the heap exists). GNU ld echoes every input-section statement
// of the scripts into the map, under the output section it belongs to, so the rules can be
// read from there. The esp32mm fragment comes first and would take those sections: a library
// named by such a rule must not be made dynamic (docs/design.md §4).
import { MM_SECTION_PREFIX } from '../conventions';

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
 * The rules naming `archives` (`libesp_ringbuf.a`) that sit in output sections held in
 * internal RAM (not `.flash.*`, not our `.mm.*`). Lines are found by searching the text for
 * `*lib`, so a 25 MB map is not walked line by line again; the output section a rule belongs
 * to is named by the closest column-0 line before it that starts with `.` (ld writes output
 * section headers there, and nothing else).
 */
export function residentFrameworkRules(mapText: string, archives: string[]): FrameworkRule[] {
  const rules: FrameworkRule[] = [];
  let lineNo = 1;
  let counted = 0;
  for (const at of ruleLineStarts(mapText, new Set(archives))) {
    const header = mapText.lastIndexOf('\n.', at);
    if (header < 0) continue;
    const section = /^\S+/.exec(mapText.slice(header + 1, header + 256))![0];
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
  return (
    !section.startsWith('.flash') &&
    !section.startsWith(MM_SECTION_PREFIX) &&
    section !== '/DISCARD/' &&
    !section.startsWith('.debug') &&
    section !== '.comment'
  );
}

/** Offsets of the lines ` *<archive>:…` and ` KEEP(*<archive>:…` of `archives`, in text order. */
function ruleLineStarts(text: string, archives: Set<string>): number[] {
  const out: number[] = [];
  for (let i = text.indexOf('*lib'); i >= 0; i = text.indexOf('*lib', i + 4)) {
    const colon = text.indexOf(':', i);
    if (colon < 0 || colon - i > 200 || !archives.has(text.slice(i + 1, colon))) continue;
    if (text.startsWith('\n ', i - 2)) out.push(i - 1);
    else if (text.startsWith('\n KEEP(', i - 7)) out.push(i - 6);
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
  return body
    .replace(/EXCLUDE_FILE\([^)]*\)/g, ' ')
    .replace(/[()]/g, ' ')
    .split(/\s+/)
    .filter((p) => p.startsWith('.') || p === 'COMMON');
}

/** Input sections the esp32mm fragment moves into a library's `.mm` sections. */
const MOVED_BY_FRAGMENT = /^\.(literal|text|data|rodata|sdata|srodata|bss|sbss|init_array|fini_array|ctors|dtors)(\.|$)|^COMMON$/;

/** The rule's patterns that name sections the fragment takes (`.text`, `.rodata.*`, …). */
export function contestedPatterns(rule: FrameworkRule): string[] {
  return rule.patterns.filter((p) => MOVED_BY_FRAGMENT.test(p));
}

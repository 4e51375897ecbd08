// What the Problems panel shows for an environment, placed on its platformio.ini: the
// split's and the link check's warnings and the doctor's findings, each on the line of the
// option it is about (the library's name marked on custom_mm_libs, a slot's on
// custom_mm_slots), else on the env's section header. No 'vscode' here, so it is unit-tested
// directly; diagnostics.ts shows the result.
import { optionSource, type IniDocument } from '../core/platformio/ini';
import type { DoctorFinding } from '../core/doctor';

export type ProblemSeverity = 'error' | 'warning' | 'note';

export interface Problem {
  message: string;
  severity: ProblemSeverity;
  library?: string;
  slot?: string;
  /** A platformio.ini option (`custom_mm_code`) the problem is about. */
  option?: string;
}

export interface PlacedProblem extends Problem {
  line: number;
  start: number;
  end: number;
}

/** A doctor finding as a problem: what is wrong, then what to change. */
export function doctorProblem(f: DoctorFinding): Problem {
  return { message: `${f.message}. Fix: ${f.fix}`, severity: f.severity, library: f.lib, slot: f.slot, option: f.option };
}

export function placeProblems(doc: IniDocument, env: string, problems: Problem[]): PlacedProblem[] {
  const lines = doc.lines.map((l) => l.text);
  const lineOf = (option: string) => optionSource(doc, env, option)?.option.line;
  const header = Math.max(
    0,
    lines.findIndex((l) => l.trim() === `[env:${env}]`),
  );
  return problems.map((p) => {
    // The option named (only platformio.ini's own: CONFIG_… lives in sdkconfig), else where the name is listed.
    const own = p.option?.startsWith('custom_mm_') ? lineOf(p.option) : undefined;
    const listing =
      p.library !== undefined
        ? lineOf('custom_mm_libs')
        : p.slot !== undefined
          ? (lineOf('custom_mm_slots') ?? lineOf('custom_mm_libs'))
          : undefined;
    const line = own ?? listing ?? lineOf('custom_mm_libs') ?? header;
    const text = lines[line] ?? '';
    const name = own === undefined ? (p.library ?? p.slot) : undefined;
    const col = name ? wordColumn(text, name) : -1;
    return col >= 0 ? { ...p, line, start: col, end: col + name!.length } : { ...p, line, start: 0, end: text.length };
  });
}

/** Column of `word` standing alone in `text` (not inside a longer name), -1 if absent. */
function wordColumn(text: string, word: string): number {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`(^|[^\\w-])(${escaped})(?![\\w-])`).exec(text);
  return m ? m.index + m[1].length : -1;
}

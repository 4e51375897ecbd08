// The Problems panel: per environment, what the split, the link check and the doctor found,
// on its platformio.ini (problems.ts places them). Each source replaces only its own list.
import * as vscode from 'vscode';
import { type Problem, placeProblems } from './problems';
import { type Target, targetKey } from './target';

export type ProblemSource = 'split' | 'link' | 'doctor';

const SEVERITY = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  note: vscode.DiagnosticSeverity.Information,
} as const;

export class Diagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('esp32mm');
  /** Per environment: its latest target (platformio.ini as last read) and each source's problems. */
  private readonly envs = new Map<string, { t: Target; lists: Map<ProblemSource, Problem[]> }>();

  set(t: Target, source: ProblemSource, problems: Problem[]): void {
    const key = targetKey(t);
    const lists = this.envs.get(key)?.lists ?? new Map<ProblemSource, Problem[]>();
    lists.set(source, problems);
    this.envs.set(key, { t, lists });
    this.publish(t.project.iniPath);
  }

  /** Every environment of one platformio.ini: the file's diagnostics are set as one list. */
  private publish(iniPath: string): void {
    const diagnostics = [...this.envs.values()]
      .filter((e) => e.t.project.iniPath === iniPath)
      .flatMap(({ t, lists }) =>
        placeProblems(t.project.pio.doc, t.env.name, [...lists.values()].flat()).map((p) => {
          const d = new vscode.Diagnostic(new vscode.Range(p.line, p.start, p.line, p.end), p.message, SEVERITY[p.severity]);
          d.source = 'Memory Manager';
          return d;
        }),
      );
    this.collection.set(vscode.Uri.file(iniPath), diagnostics);
  }

  dispose(): void {
    this.collection.dispose();
  }
}

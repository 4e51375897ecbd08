// The one progress notification of the extension: cancellable, its messages escaped, core's
// absolute fractions turned into VS Code's increments (progressSteps.ts).
import * as vscode from 'vscode';
import { escapeNotification } from './messages';
import { type Report, progressSteps } from './progressSteps';

export function withProgress<T>(title: string, task: (report: Report, signal: AbortSignal) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: escapeNotification(title), cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      const steps = progressSteps((s) => progress.report({ message: s.message && escapeNotification(s.message), increment: s.increment }));
      const result = await task(steps.report, abort.signal);
      steps.finish();
      return result;
    },
  );
}

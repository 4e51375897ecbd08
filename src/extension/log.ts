// One output channel for everything the extension does ("Memory Manager: Show Log").
import * as vscode from 'vscode';
import { escapeNotification, inVsCodeTerms } from './messages';

export const log: vscode.LogOutputChannel = vscode.window.createOutputChannel('ESP32 Memory Manager', { log: true });

/** Shows an error with the actions that fix it, and records it in the log. */
export async function showError(message: string, ...actions: { title: string; run: () => unknown }[]): Promise<void> {
  log.error(message);
  const picked = await vscode.window.showErrorMessage(escapeNotification(message), ...actions.map((a) => a.title), 'Show Log');
  if (picked === 'Show Log') log.show(true);
  else actions.find((a) => a.title === picked)?.run();
}

/** An information notification; its text is escaped (it often holds workspace names). */
export function showInfo(message: string, ...items: string[]): Thenable<string | undefined> {
  return vscode.window.showInformationMessage(escapeNotification(message), ...items);
}

/** An error's message in VS Code's terms (core's CLI hints replaced, see messages.ts). */
export function errorText(e: unknown): string {
  return inVsCodeTerms(e instanceof Error ? e.message : String(e));
}

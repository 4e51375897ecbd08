// What the Memory Map webviews ask of the host: drill-down rows (object files, symbols),
// opening a file or folder of the project, exporting, revealing a library, running one of
// our commands.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Comparison, DrillBuild, DrillRows, WebviewToHost } from '../../webview-ui/model';
import { revealLibrary } from './commands/revealLibrary';
import type { Ctx } from './ctx';
import { errorText, log, showError, showInfo } from './log';
import { exportText, type ExportFormat } from './mapDetail';

export function onWebviewMessage(ctx: Ctx, msg: WebviewToHost): void {
  if (msg.type === 'reveal') void revealLibrary(ctx, msg.library);
  else if (msg.type === 'drill') ctx.panel.post({ type: 'drill', rows: drill(ctx, msg.library, msg.object, msg.build) });
  else if (msg.type === 'open') void openPath(ctx, msg.path, msg.line);
  else if (msg.type === 'export') void exportMap(ctx, msg.format, msg.what === 'diff' ? msg.against : undefined);
  else if (msg.type === 'command' && msg.command.startsWith('esp32mm.')) void vscode.commands.executeCommand(msg.command);
}

/** Drill-down rows for the full view (mapDetail.ts): a library's object files, or one object's symbols, of either firmware. */
function drill(ctx: Ctx, library: string, object?: string, build?: DrillBuild): DrillRows {
  if (!ctx.detail) return { type: 'unavailable', library, ...(object !== undefined ? { object } : {}), reason: 'No memory map is shown.' };
  const rows = ctx.detail.drill(library, object, build);
  if (rows.type === 'unavailable') log.debug(`Drill-down into ${library}${object ? `/${object}` : ''}: ${rows.reason}`);
  return rows;
}

/** Opens a file or folder the view named, if it lies in the project (the view only names ones it was given). */
async function openPath(ctx: Ctx, file: string, line?: number): Promise<void> {
  const t = ctx.target;
  if (!t || path.relative(t.project.root, file).startsWith('..') || !fs.existsSync(file)) return;
  const uri = vscode.Uri.file(file);
  if (fs.statSync(file).isDirectory()) await vscode.commands.executeCommand('revealInExplorer', uri);
  else {
    const at = line ? new vscode.Range(line - 1, 0, line - 1, 0) : undefined;
    await vscode.window.showTextDocument(uri, { preview: true, viewColumn: vscode.ViewColumn.Beside, ...(at ? { selection: at } : {}) });
  }
}

/** Writes the libraries or a comparison as CSV / JSON / Markdown where the user says (temp file, then rename). */
async function exportMap(ctx: Ctx, format: ExportFormat, against?: Comparison['against']): Promise<void> {
  const t = ctx.target;
  const model = ctx.lastState?.after;
  if (!t || !model) return;
  const comparison = against ? ctx.lastState?.comparisons?.find((c) => c.against === against) : undefined;
  const ext = format === 'md' ? 'md' : format;
  const name = `memory-map-${t.env.name}${comparison ? `-vs-${comparison.against}` : ''}.${ext}`;
  const target = await vscode.window.showSaveDialog({
    title: `Memory Manager: export the ${comparison ? 'changes' : 'memory map'} as ${format === 'md' ? 'Markdown' : format.toUpperCase()}`,
    defaultUri: vscode.Uri.file(path.join(t.project.root, name)),
    filters: { [format === 'md' ? 'Markdown' : format.toUpperCase()]: [ext] },
  });
  if (!target) return;
  const text = exportText(model, format, comparison?.diff);
  const tmp = `${target.fsPath}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, target.fsPath);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    return showError(`Exporting to ${target.fsPath} failed: ${errorText(e)}`);
  }
  void showInfo(`Exported to ${vscode.workspace.asRelativePath(target.fsPath)}.`, 'Open').then((a) => {
    if (a) void vscode.window.showTextDocument(target);
  });
}

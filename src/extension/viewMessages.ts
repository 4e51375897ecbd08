// What the Memory Map webviews ask of the host: drill-down rows (object files, symbols),
// opening a file or folder of the project, exporting, revealing a library, running one of
// our commands.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Comparison, DrillRows, WebviewToHost } from '../../webview-ui/model';
import { revealLibrary } from './commands/revealLibrary';
import type { Ctx } from './ctx';
import { errorText, log, showError, showInfo } from './log';
import { exportText, type ExportFormat } from './mapDetail';
import { librarySources } from './sources';

export function onWebviewMessage(ctx: Ctx, msg: WebviewToHost): void {
  if (msg.type === 'reveal') void revealLibrary(ctx, msg.library);
  else if (msg.type === 'drill') ctx.panel.post({ type: 'drill', rows: drill(ctx, msg.library, msg.object) });
  else if (msg.type === 'open') void openPath(ctx, msg.path);
  else if (msg.type === 'export') void exportMap(ctx, msg.format, msg.what === 'diff' ? msg.against : undefined);
  else if (msg.type === 'command' && msg.command.startsWith('esp32mm.')) void vscode.commands.executeCommand(msg.command);
}

/** Drill-down rows for the full view: the object files of a library, or the symbols of one object. */
function drill(ctx: Ctx, library: string, object?: string): DrillRows {
  const detail = ctx.detail;
  const why = detail ? detail.unavailable() : 'No memory map is shown.';
  if (!detail || why) return { type: 'unavailable', library, ...(object !== undefined ? { object } : {}), reason: why! };
  try {
    if (object === undefined) {
      const objects = detail.objectsOf(library);
      if (!objects.length) return { type: 'unavailable', library, reason: `${library} has no bytes in this firmware (a dynamic library is in its files after the split).` };
      const sources: Record<string, string> = {};
      for (const o of objects) {
        const source = objectSource(ctx, library, o.member ?? o.object);
        if (source) sources[o.member ?? o.object] = source;
      }
      return { type: 'objects', library, objects, sources };
    }
    const source = objectSource(ctx, library, object);
    return { type: 'symbols', library, object, symbols: detail.symbolsOf(library, object), ...(source ? { source } : {}) };
  } catch (e) {
    log.warn(`Drill-down into ${library}${object ? `/${object}` : ''} failed: ${errorText(e)}`);
    return { type: 'unavailable', library, ...(object !== undefined ? { object } : {}), reason: errorText(e) };
  }
}

/**
 * The source of one object of a library: a member of a project library is looked up in that
 * library's own folder only (a framework archive's `main.cpp.o` is not the project's
 * src/main.cpp); a loose object is the library row's own source file.
 */
function objectSource(ctx: Ctx, library: string, object: string): string | undefined {
  const own = ctx.sources[library];
  if (!own) return undefined;
  if (!fs.statSync(own).isDirectory()) return own;
  const roots = { projectRoot: own, srcDir: own, libDir: own, libdepsDir: own };
  return librarySources([{ name: object, archive: /\.(o|obj)$/.test(object) ? object : `${object}.o` }], roots)[object];
}

/** Opens a file or folder the view named, if it lies in the project (the view only names ones it was given). */
async function openPath(ctx: Ctx, file: string): Promise<void> {
  const t = ctx.target;
  if (!t || path.relative(t.project.root, file).startsWith('..') || !fs.existsSync(file)) return;
  const uri = vscode.Uri.file(file);
  if (fs.statSync(file).isDirectory()) await vscode.commands.executeCommand('revealInExplorer', uri);
  else await vscode.window.showTextDocument(uri, { preview: true, viewColumn: vscode.ViewColumn.Beside });
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
  void showInfo(`Exported to ${vscode.workspace.asRelativePath(target.fsPath)}.`, 'Open').then((a) => { if (a) void vscode.window.showTextDocument(target); });
}

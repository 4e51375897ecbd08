// Reveal Library Folder (the tree's context menu, a map row): the library's folder or file in the project.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { showInfo } from '../log';
import { librarySources } from '../sources';
import { libDir, sourceRoots } from '../target';

export const revealLibraryCommand = (ctx: Ctx) => (arg: string | { lib: { name: string } }) =>
  revealLibrary(ctx, typeof arg === 'string' ? arg : arg.lib.name); // a name from the view, a node from the tree

export async function revealLibrary(ctx: Ctx, name: string): Promise<void> {
  const t = ctx.target;
  if (!t) return;
  const source = ctx.sources[name] ?? librarySources([{ name, archive: `lib${name}.a` }], sourceRoots(t))[name];
  if (!source) {
    const libs = path.relative(t.project.root, libDir(t)).split(path.sep).join('/') || '.';
    void showInfo(
      `${name} has no folder in this project: it comes from the framework or a package. Only folders in ${libs}/ can be made dynamic.`,
    );
    return;
  }
  const uri = vscode.Uri.file(source);
  if (fs.statSync(source).isDirectory()) await vscode.commands.executeCommand('revealInExplorer', uri);
  else await vscode.window.showTextDocument(uri, { preview: true });
}

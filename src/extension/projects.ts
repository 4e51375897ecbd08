// PlatformIO projects in the workspace (multi-root: any folder holding a platformio.ini),
// each read with src/core/platformio (target.ts) and labelled as the Explorer shows it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { log } from './log';
import { type Project, loadProject } from './target';

const EXCLUDE = '{**/.pio/**,**/node_modules/**,**/.git/**}';

export async function discoverProjects(): Promise<Project[]> {
  const inis = await vscode.workspace.findFiles('**/platformio.ini', EXCLUDE, 100);
  const projects: Project[] = [];
  for (const uri of inis.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) {
    try {
      const root = path.dirname(uri.fsPath);
      projects.push(loadProject(root, projectLabel(root)));
    } catch (e) {
      // One unreadable platformio.ini must not hide the other projects.
      log.warn(`Skipping ${uri.fsPath}: ${(e as Error).message}`);
    }
  }
  return projects;
}

/** The workspace folder's name (as the Explorer shows it), plus the path below it if nested. */
function projectLabel(root: string): string {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(root));
  if (!folder) return path.basename(root);
  const rel = path.relative(folder.uri.fsPath, root).split(path.sep).join('/');
  if (!rel) return folder.name;
  return (vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? `${folder.name}/${rel}` : rel;
}

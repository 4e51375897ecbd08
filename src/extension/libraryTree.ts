// The "Dynamic Libraries" tree: each library chosen in platformio.ini (custom_mm_libs), its
// split files in sd/mm or data/mm with sizes, its slot, and whether the files on the board
// are the current ones (as far as this workspace uploaded them).
import * as vscode from 'vscode';
import { kib } from '../../webview-ui/format';
import type { LibraryFile, LibraryInfo } from './libraries';

type Node = { kind: 'lib'; lib: LibraryInfo } | { kind: 'file'; file: LibraryFile };

export class LibraryTree implements vscode.TreeDataProvider<Node> {
  static readonly id = 'esp32mm.libraries';
  private libs: LibraryInfo[] = [];
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  set(libs: LibraryInfo[]): void {
    this.libs = libs;
    this.changed.fire(undefined);
  }

  getChildren(node?: Node): Node[] {
    if (!node) return this.libs.map((lib) => ({ kind: 'lib', lib }));
    if (node.kind === 'lib') return node.lib.files.map((file) => ({ kind: 'file', file }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'file') {
      const f = node.file;
      const item = new vscode.TreeItem(f.name, vscode.TreeItemCollapsibleState.None);
      item.description = `${kib(f.size)}${f.uploaded ? ' · on board' : ''}`;
      item.resourceUri = vscode.Uri.file(f.path);
      item.iconPath = new vscode.ThemeIcon(f.name.endsWith('_e') ? 'symbol-method' : 'symbol-variable');
      item.command = { command: 'revealInExplorer', title: 'Reveal', arguments: [vscode.Uri.file(f.path)] };
      return item;
    }
    const l = node.lib;
    const size = l.files.reduce((s, f) => s + f.size, 0);
    const uploaded = l.files.length > 0 && l.files.every((f) => f.uploaded);
    const state = l.files.length === 0 ? 'not split yet' : uploaded ? 'uploaded' : 'not uploaded';
    const item = new vscode.TreeItem(
      l.name,
      l.files.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.description = [l.files.length ? kib(size) : '', l.slot ? `slot ${l.slot}` : '', state].filter(Boolean).join(' · ');
    item.tooltip = new vscode.MarkdownString(
      `**${l.name}**\n\n${l.files.map((f) => `- \`${f.name}\` ${f.size} B${f.uploaded ? ' (on board)' : ''}`).join('\n') || 'Not split yet: build, then run **Split Libraries**.'}`,
    );
    item.contextValue = 'library';
    item.iconPath = new vscode.ThemeIcon(uploaded ? 'pass' : l.files.length ? 'package' : 'circle-large-outline');
    item.accessibilityInformation = { label: `${l.name}, ${item.description}` };
    return item;
  }
}

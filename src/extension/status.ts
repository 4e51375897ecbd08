// The status bar: in an environment that uses the Memory Manager, the upload item (storage,
// port, the last upload's result); in a PlatformIO environment that does not, an offer to
// install the build integration instead. Never both, and nothing without a project.
import * as vscode from 'vscode';
import type { Settings } from './config';
import { type Target, baudRateOf, deviceFolder, serialPortOf, storageOf, usesMemoryManager } from './target';

export interface LastUpload {
  ok: boolean;
  text: string;
  at: number;
}

export class StatusItems implements vscode.Disposable {
  private readonly upload = vscode.window.createStatusBarItem('esp32mm.upload', vscode.StatusBarAlignment.Left, 50);
  private readonly install = vscode.window.createStatusBarItem('esp32mm.install', vscode.StatusBarAlignment.Left, 50);
  /** Shown while an upload runs, instead of the port. */
  private running?: string;

  constructor() {
    this.upload.name = 'Memory Manager Upload';
    this.upload.command = 'esp32mm.upload';
    this.install.name = 'Memory Manager Install';
    this.install.command = 'esp32mm.installIntegration';
    this.install.text = '$(add) Memory Manager';
  }

  /** `where` while an upload to it runs; undefined when it ended (the next update shows the result). */
  uploading(where: 'sd' | 'fs' | undefined): void {
    this.running = where && `$(sync~spin) ${where === 'sd' ? 'SD' : 'FS'}`;
    if (this.running) this.upload.text = this.running;
  }

  update(t: Target | undefined, s: Settings | undefined, last: LastUpload | undefined): void {
    if (!t || !s) {
      this.upload.hide();
      this.install.hide();
      return;
    }
    if (!usesMemoryManager(t)) {
      this.upload.hide();
      const md = new vscode.MarkdownString(undefined, true);
      md.appendMarkdown('**Memory Manager** is not set up in env:')
        .appendText(t.env.name)
        .appendMarkdown('\n\nInstall the build integration to move libraries out of the firmware and load them at run time.');
      this.install.tooltip = md;
      this.install.accessibilityInformation = { label: `Install the Memory Manager build integration in env:${t.env.name}` };
      this.install.show();
      return;
    }
    this.install.hide();
    const storage = storageOf(t, s);
    const sd = storage === 'sd';
    const choice = serialPortOf(t, s);
    const port = choice?.port ?? '';
    const icon = last ? (last.ok ? ' $(check)' : ' $(error)') : '';
    this.upload.text =
      this.running ??
      `$(cloud-upload) ${sd ? 'SD' : 'FS'}${port ? ' ' + port.replace(/^\/dev\//, '').replace(/\$\(/g, '$\u200b(') : ''}${icon}`;
    // Workspace text (env name, port, folder, errors) goes in as text, never as Markdown.
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**Upload libraries to the ${sd ? 'SD card' : storage}** of env:`)
      .appendText(t.env.name)
      .appendMarkdown('\n\n');
    md.appendMarkdown('Port: ')
      .appendText(port ? `${port}${choice!.from === 'esp32mm.serialPort' ? '' : ` (${choice!.from} in platformio.ini)`}` : 'not selected')
      .appendText(` · folder ${deviceFolder(t, s)} · ${baudRateOf(t, s)} baud`)
      .appendMarkdown('\n\n');
    if (last) md.appendText(`Last: ${last.text} (${new Date(last.at).toLocaleTimeString()})`);
    this.upload.tooltip = md;
    this.upload.accessibilityInformation = {
      label: `Upload libraries to ${sd ? 'SD card' : 'flash file system'}${port ? ' on ' + port : ''}${last ? '. ' + last.text : ''}`,
    };
    this.upload.show();
  }

  dispose(): void {
    this.upload.dispose();
    this.install.dispose();
  }
}

// The VS Code shell of the ESP32 Memory Manager: activation only. It only adapts VS Code to
// src/core — ctx.ts holds the state, commands/ the commands, watch.ts build detection,
// memoryMap.ts the views' content, status.ts and diagnostics.ts the status bar and Problems.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { affectsSettings } from './config';
import { Ctx } from './ctx';
import { log } from './log';
import { refreshMemoryMap } from './memoryMap';
import { buildHandlers } from './onBuild';
import { onWebviewMessage } from './viewMessages';
import { BuildWatcher } from './watch';

export async function activate(extension: vscode.ExtensionContext): Promise<void> {
  const ctx = new Ctx(extension, onWebviewMessage, refreshMemoryMap);
  extension.subscriptions.push(ctx, log);
  registerCommands(ctx);
  const watcher = new BuildWatcher(() => ctx.projects, buildHandlers(ctx));
  ctx.onProjectsChanged(() => watcher.watchBuildFolders());
  ctx.push(
    watcher,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsSettings(e)) {
        ctx.updateStatus();
        void ctx.refresh();
      }
    }),
  );
  await ctx.reloadProjects();
}

export function deactivate(): void {
  /* disposables are released by VS Code */
}

// Every command of package.json `contributes.commands`, each made by its factory from the
// context. A command's failure is shown, never thrown at VS Code.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { errorText, log, showError } from '../log';
import { installCommand } from './install';
import { openMemoryMap, refresh, showMemoryMap } from './memoryMap';
import { revealLibraryCommand } from './revealLibrary';
import { selectEnvironment } from './selectEnvironment';
import { selectPortCommand } from './selectPort';
import { splitCommand } from './split';
import { uploadCommand } from './upload';

export function registerCommands(ctx: Ctx): void {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command takes VS Code's own arguments (a tree item, a URI)
  const reg = (id: string, fn: (...args: any[]) => unknown) =>
    ctx.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          await fn(...args);
        } catch (e) {
          void showError(`${id}: ${errorText(e)}`);
        }
      }),
    );
  reg('esp32mm.splitLibraries', splitCommand(ctx));
  reg('esp32mm.showMemoryMap', showMemoryMap(ctx));
  reg('esp32mm.refresh', refresh(ctx));
  reg('esp32mm.openMemoryMap', openMemoryMap(ctx));
  reg('esp32mm.upload', uploadCommand(ctx));
  reg('esp32mm.uploadSd', uploadCommand(ctx, 'sd'));
  reg('esp32mm.uploadFs', uploadCommand(ctx, 'fs'));
  reg('esp32mm.selectPort', selectPortCommand(ctx));
  reg('esp32mm.selectEnvironment', selectEnvironment(ctx));
  reg('esp32mm.installIntegration', installCommand(ctx));
  reg('esp32mm.showLog', () => log.show());
  reg('esp32mm.revealLibrary', revealLibraryCommand(ctx));
}

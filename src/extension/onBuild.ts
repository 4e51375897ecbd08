// What a build event does (watch.ts reports them): a new firmware.elf shows its map — of the
// environment just built, unless the user pinned another one — or is split first when the
// user turned on esp32mm.autoSplit; other build files refresh the shown environment.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isSplitElf } from '../core/split/workflow';
import { split } from './commands/split';
import type { Ctx } from './ctx';
import { log } from './log';
import { dynamicLibraryNames, firmwareElf, targetOfElf } from './target';
import { type WatchHandlers, mtimeOf } from './watch';

export function buildHandlers(ctx: Ctx): WatchHandlers {
  return {
    elf: (file) => void onFirmwareChanged(ctx, file),
    buildFile: (file) => {
      const t = ctx.target;
      if (t && path.resolve(path.dirname(file)) === path.resolve(t.env.outputs.buildDir)) void ctx.refresh();
    },
    projects: () => void ctx.reloadProjects(),
    taskEnded: () => void ctx.refresh(),
  };
}

async function onFirmwareChanged(ctx: Ctx, elf: string): Promise<void> {
  if (ctx.ownWrites.get(elf) === mtimeOf(elf)) return;
  const t = targetOfElf(ctx.projects, elf);
  if (!t) return;
  log.info(`Build output changed: ${vscode.workspace.asRelativePath(elf)}`);
  if (!ctx.target || (!ctx.pinned && !ctx.isShown(t))) {
    ctx.target = t; // follow the build that just finished unless the user pinned an env
    ctx.updateStatus();
  }
  // A firmware the build hook (or we) already split carries the splitter's marker section.
  if (ctx.settings(t).autoSplit && dynamicLibraryNames(t).length && !isSplitElf(firmwareElf(t))) {
    await split(ctx, t);
    return;
  }
  if (ctx.isShown(t)) await ctx.refresh();
}

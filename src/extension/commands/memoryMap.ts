// Memory Manager: Show Memory Map (the sidebar view), Open Memory Map (the editor tab), Refresh.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { MemoryMapView } from '../mapView';

export const showMemoryMap = (ctx: Ctx) => async () => {
  await vscode.commands.executeCommand(`${MemoryMapView.id}.focus`);
  await ctx.refresh();
};

export const openMemoryMap = (ctx: Ctx) => async () => {
  ctx.panel.open();
  if (ctx.lastState) ctx.panel.show(ctx.lastState);
  else await ctx.refresh();
};

export const refresh = (ctx: Ctx) => () => ctx.refresh();

// Memory Manager: Install Build Integration — core's install workflow
// (src/core/platformio/integration.ts, what `esp32mm init` runs): the block in platformio.ini,
// the build hook recording the CLI this extension bundles, the vendored device library and
// include/mm_libraries.h. Afterwards, a vendored device library older than the bundled one
// is offered an update.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { deviceLibraryOutdated, installProjectIntegration, updateDeviceLibrary } from '../../core/platformio/integration';
import { DEVICE_LIBRARY, describePlan } from '../../core/platformio/vendor';
import type { Ctx } from '../ctx';
import { errorText, log, showError, showInfo } from '../log';
import { escapeNotification, inVsCodeTerms } from '../messages';
import { type Target, libDir, storageOf } from '../target';

export const installCommand = (ctx: Ctx) => () => installIntegration(ctx);

export async function installIntegration(ctx: Ctx): Promise<void> {
  const t = ctx.requireTarget();
  if (!t) return;
  const dir = libDir(t);
  let folders: string[] = [];
  try {
    // The vendored device library is what loads the others: it cannot be one of them.
    folders = fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== DEVICE_LIBRARY)
      .map((d) => d.name)
      .sort();
  } catch {
    /* none */
  }
  if (!folders.length) {
    return showError(
      `env:${t.env.name} has no libraries to make dynamic: only folders in ${vscode.workspace.asRelativePath(dir)} can be moved out of the firmware. Put the library there first.`,
    );
  }
  const current = new Set(t.env.mm.libs);
  const libs = await vscode.window.showQuickPick(
    folders.map((f) => ({ label: f, picked: current.has(f) })),
    {
      title: escapeNotification(`Memory Manager: libraries of env:${t.env.name} to load at run time`),
      canPickMany: true,
      placeHolder: 'Each chosen library folder is linked at a fixed address and moved to a file',
    },
  );
  if (!libs?.length) return;
  const storages = [
    { label: 'sd', description: 'SD card (project folder sd/mm)' },
    { label: 'spiffs', description: 'SPIFFS (project folder data/mm)' },
    { label: 'littlefs', description: 'LittleFS (project folder data/mm)' },
  ] as const;
  const now = storageOf(t, ctx.settings(t));
  const storage = await vscode.window.showQuickPick(
    storages.map((s) => ({ ...s, picked: s.label === now })),
    { title: 'Memory Manager: where the device reads the library files' },
  );
  if (!storage) return;
  const names = libs.map((l) => l.label);
  try {
    const cliPath = vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'cli.js').fsPath;
    const r = await installProjectIntegration(t.project.root, { env: t.env.name, libs: names, storage: storage.label, cliPath });
    for (const m of r.device.messages) log.info(m);
    for (const w of r.warnings) log.warn(w);
    // flash slots (set in platformio.ini): the mmlib partition added, or the line to add by hand
    for (const m of r.partition?.messages ?? []) {
      if (r.partition?.write) log.info(m);
      else log.warn(m);
    }
    if (r.partition && !r.partition.write && r.partition.messages.length)
      void vscode.window.showWarningMessage(escapeNotification(inVsCodeTerms(r.partition.messages.join(' '))));
    if (r.warnings.length) void vscode.window.showWarningMessage(escapeNotification(inVsCodeTerms(r.warnings.join('; '))));
    void showInfo(
      `Build integration installed in env:${t.env.name}: the next build links ${names.join(', ')} at fixed addresses and splits them out.`,
      'Open platformio.ini',
    ).then((a) => {
      if (a) void vscode.window.showTextDocument(vscode.Uri.file(t.project.iniPath));
    });
    await ctx.reloadProjects();
    if (deviceLibraryOutdated(r.device.plan)) void offerDeviceLibraryUpdate(ctx, t, describePlan(r.device.plan));
  } catch (e) {
    return showError(`Installing the build integration failed: ${errorText(e)}`, {
      title: 'Open platformio.ini',
      run: () => vscode.window.showTextDocument(vscode.Uri.file(t.project.iniPath)),
    });
  }
}

async function offerDeviceLibraryUpdate(ctx: Ctx, t: Target, plan: string): Promise<void> {
  const where = path
    .relative(t.project.root, path.join(libDir(t), DEVICE_LIBRARY))
    .split(path.sep)
    .join('/');
  const pick = await showInfo(
    `The device library in ${where} is older than the one this extension brings (${plan}). Update it?`,
    'Update Device Library',
  );
  if (!pick) return;
  try {
    const done = await updateDeviceLibrary(t.project.pio);
    log.info(`Device library: updated ${describePlan(done)}`);
    void showInfo(`Updated ${where} to version ${done.to}; rebuild env:${t.env.name}.`);
    await ctx.reloadProjects();
  } catch (e) {
    void showError(`Updating ${where} failed: ${errorText(e)}`);
  }
}

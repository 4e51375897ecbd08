// Memory Manager: Split Libraries — core's split workflow (src/core/split/workflow.ts, the
// same rule as `esp32mm split --again`: an ELF split before is split again from its kept
// original), its warnings in Problems, then the view, and an upload if the user asked for it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { splitBuild } from '../../core/split/workflow';
import type { Ctx } from '../ctx';
import { errorText, log, showError, showInfo } from '../log';
import { inVsCodeTerms } from '../messages';
import { withProgress } from '../progress';
import { splitStep } from '../progressSteps';
import { retryHelps } from '../retry';
import { isCancel } from '../serialTransfer';
import { buildHookRuns, dynamicLibraryNames, firmwareElf, fullElf, outputDir, storageOf } from '../target';
import { mtimeOf } from '../watch';
import { installIntegration } from './install';
import { upload } from './upload';

export const splitCommand = (ctx: Ctx) => () => split(ctx);

export async function split(ctx: Ctx, t = ctx.requireTarget()): Promise<void> {
  if (!t) return;
  const key = `split:${t.project.root}:${t.env.name}`;
  if (ctx.busy.has(key)) {
    void showInfo('A split of this environment is already running.');
    return;
  }
  const libs = dynamicLibraryNames(t);
  const elf = firmwareElf(t);
  if (!libs.length) {
    return showError(
      `No dynamic libraries chosen for env:${t.env.name}. Add custom_mm_libs = <lib folder names> to its section in platformio.ini, rebuild, then split.`,
      { title: 'Open platformio.ini', run: () => vscode.window.showTextDocument(vscode.Uri.file(t.project.iniPath)) },
    );
  }
  if (!fs.existsSync(elf)) {
    return showError(`Build env:${t.env.name} first: ${vscode.workspace.asRelativePath(elf)} does not exist.`);
  }
  const settings = ctx.settings(t);
  const outDir = outputDir(t, settings);
  ctx.busy.add(key);
  ctx.setBusy('Splitting libraries…');
  try {
    const r = await withProgress(`Memory Manager: splitting ${t.env.name}`, async (report, signal) => {
      try {
        return await splitBuild({
          elf,
          outDir,
          libs,
          again: true,
          signal,
          onPhase: (phase) => {
            const s = splitStep(phase, libs);
            report(s.message, s.fraction);
          },
        });
      } finally {
        ctx.ownWrites.set(elf, mtimeOf(elf));
      }
    });
    ctx.diagnostics.set(
      t,
      'split',
      r.warnings.map((w) => ({ message: inVsCodeTerms(w.message), library: w.library, severity: 'warning' as const })),
    );
    const files = r.libraries.flatMap((l) => l.files.map((f) => path.join(outDir, f.file)));
    const saved = r.loadableBytesBefore - r.loadableBytesAfter;
    const summary = `${files.length} files in ${path.basename(path.dirname(outDir))}/${path.basename(outDir)}, flash image ${r.loadableBytesBefore} → ${r.loadableBytesAfter} bytes (${saved} saved)`;
    log.info(`Split ${t.project.label}/${t.env.name}${r.resplit ? ` again from ${path.basename(fullElf(t))}` : ''}: ${summary}`);
    for (const w of r.warnings) log.warn(w.message);
    const done = `Split ${libs.length} librar${libs.length === 1 ? 'y' : 'ies'}: ${summary}`;
    // Without the post-link hook, PlatformIO made firmware.bin from the unsplit ELF (and
    // SCons relinks an ELF changed behind its back): only the hook makes flashing use the split.
    if (buildHookRuns(t)) void showInfo(done);
    else {
      void showInfo(
        `${done}. This build's firmware.bin still holds them: Memory Manager: Install Build Integration makes every build split before firmware.bin.`,
        'Install Build Integration',
      ).then((a) => {
        if (a) void installIntegration(ctx);
      });
    }
    await ctx.refresh();
    if (settings.autoUpload) await upload(ctx, t, storageOf(t, settings) === 'sd' ? 'sd' : 'fs');
  } catch (e) {
    if (isCancel(e)) {
      log.info('Split cancelled; the previous outputs are unchanged.');
      void showInfo('Split cancelled; the previous files are unchanged.');
      return;
    }
    const retry = retryHelps(e) ? [{ title: 'Retry', run: () => split(ctx, t) }] : [];
    return showError(`Split failed: ${errorText(e)}`, ...retry);
  } finally {
    ctx.busy.delete(key);
    ctx.setBusy(null);
  }
}

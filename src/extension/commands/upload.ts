// Memory Manager: Upload Libraries (status bar), … to SD Card, … to SPIFFS/LittleFS: the
// split's files (core's collectFiles: those manifest.json lists, then the manifest) to the
// board's agent. Whatever can be wrong without a board is said before a port is asked for.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { collectFiles, type FileSet } from '../../core/transfer/upload';
import { kib } from '../../../webview-ui/format';
import type { Ctx } from '../ctx';
import { errorText, log, showError, showInfo } from '../log';
import { withProgress } from '../progress';
import { retryHelps } from '../retry';
import { isCancel, isTransferError, uploadFileSet, uploadFilesystemImage } from '../serialTransfer';
import { type Target, baudRateOf, deviceFolder, dynamicLibraryNames, outputDir, storageOf } from '../target';
import { installIntegration } from './install';
import { selectPort } from './selectPort';
import { split } from './split';

type Where = 'sd' | 'fs';

export const uploadCommand = (ctx: Ctx, where?: Where) => () => upload(ctx, undefined, where);

const openIni = (t: Target) => ({
  title: 'Open platformio.ini',
  run: () => vscode.window.showTextDocument(vscode.Uri.file(t.project.iniPath)),
});

export async function upload(ctx: Ctx, t = ctx.requireTarget(), where?: Where, ignoreBuildId = false): Promise<void> {
  if (!t) return;
  const settings = ctx.settings(t);
  const storage = storageOf(t, settings);
  where ??= storage === 'sd' ? 'sd' : 'fs';
  if ((where === 'sd') !== (storage === 'sd')) {
    const wanted = where === 'sd' ? 'sd' : 'spiffs or littlefs';
    return showError(
      `env:${t.env.name} keeps its libraries on ${storage === 'sd' ? 'the SD card' : storage} (custom_mm_storage = ${storage}), ` +
        `so the device looks for them there. To use ${where === 'sd' ? 'an SD card' : 'the flash file system'}, set custom_mm_storage = ${wanted} in platformio.ini (or the esp32mm.storage setting), rebuild and split.`,
      openIni(t),
      {
        title: storage === 'sd' ? 'Upload to SD Card' : 'Upload to SPIFFS/LittleFS',
        run: () => upload(ctx, t, storage === 'sd' ? 'sd' : 'fs'),
      },
    );
  }
  if (!dynamicLibraryNames(t).length) {
    return showError(
      `Nothing to upload: env:${t.env.name} has no dynamic libraries. Choose them with Memory Manager: Install Build Integration (or custom_mm_libs in platformio.ini), build, then split.`,
      { title: 'Install Build Integration', run: () => installIntegration(ctx) },
      openIni(t),
    );
  }
  const dir = outputDir(t, settings);
  let set: FileSet | undefined;
  if (fs.existsSync(dir)) {
    try {
      set = collectFiles([dir]);
    } catch (e) {
      // A damaged manifest, or a file it lists that is gone: the split writes them again.
      return showError(`Cannot upload ${vscode.workspace.asRelativePath(dir)}: ${errorText(e)}`, {
        title: 'Split Libraries',
        run: () => split(ctx, t),
      });
    }
  }
  if (!set?.manifest) {
    return showError(
      `Nothing to upload: ${vscode.workspace.asRelativePath(dir)} has no library files. Run Memory Manager: Split Libraries first.`,
      { title: 'Split Libraries', run: () => split(ctx, t) },
    );
  }
  const port = ctx.port(t) || (await selectPort(ctx, t)) || '';
  if (!port) return;
  const folder = deviceFolder(t, settings);
  const medium = where === 'sd' ? 'SD card' : storage === 'littlefs' ? 'LittleFS' : 'SPIFFS';
  ctx.status.uploading(where);
  const t0 = Date.now();
  try {
    const outcome = await withProgress(`Memory Manager: uploading to the ${medium} on ${port}`, (report, signal) =>
      uploadFileSet(
        {
          port,
          baudRate: baudRateOf(t, settings),
          deviceFolder: folder,
          set,
          ignoreBuildId,
          onLog: (text) => log.info(`[board] ${text.trimEnd()}`),
        },
        report,
        signal,
      ),
    );
    for (const w of outcome.warnings) log.warn(w);
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    const n = outcome.uploaded.length;
    const text =
      `Uploaded ${n} file${n === 1 ? '' : 's'} (${kib(outcome.bytes)}) to ${folder} on ${port} in ${secs} s` +
      (outcome.skipped.length ? `; ${outcome.skipped.length} unchanged` : '');
    ctx.lastUpload = { ok: true, text, at: Date.now() };
    await ctx.rememberUploaded(
      t,
      set.files.map((f) => ({ local: f.local, ...fileStamp(f.local) })),
    );
    log.info(text);
    void showInfo(text + (outcome.warnings.length ? ` — warning: ${outcome.warnings[0]}` : ''));
  } catch (e) {
    const cancelled = isCancel(e);
    ctx.lastUpload = { ok: false, text: cancelled ? 'Upload cancelled' : `Upload failed: ${errorText(e)}`, at: Date.now() };
    if (cancelled) {
      log.info('Upload cancelled; files already on the board are unchanged.');
      void showInfo('Upload cancelled; the files on the board are unchanged (a partial file stays as .part and resumes next time).');
    } else if (isTransferError(e, 'WRONG_BUILD_ID')) {
      void showError(errorText(e), { title: 'Upload Anyway', run: () => upload(ctx, t, where, true) });
    } else if (isTransferError(e, 'NO_AGENT') && where === 'fs') {
      void showError(
        `${errorText(e)} Without the agent, PlatformIO can write the whole file-system image (data/).`,
        { title: 'Write File-System Image (uploadfs)', run: () => writeFilesystemImage(ctx, t, port) },
        { title: 'Select Serial Port', run: () => selectPort(ctx, t) },
      );
    } else {
      const retry = retryHelps(e) ? [{ title: 'Retry', run: () => upload(ctx, t, where, ignoreBuildId) }] : [];
      void showError(`Upload to ${port} failed: ${errorText(e)}`, ...retry, { title: 'Select Serial Port', run: () => selectPort(ctx, t) });
    }
  } finally {
    ctx.status.uploading(undefined);
    ctx.updateStatus();
    ctx.updateTree();
  }
}

function fileStamp(file: string): { size: number; mtimeMs: number } {
  const st = fs.statSync(file);
  return { size: st.size, mtimeMs: st.mtimeMs };
}

async function writeFilesystemImage(ctx: Ctx, t: Target, port: string): Promise<void> {
  try {
    await withProgress(`Memory Manager: PlatformIO writes the file-system image of env:${t.env.name}`, (report, signal) =>
      uploadFilesystemImage({ projectRoot: t.project.root, env: t.env.name, port }, report, signal),
    );
    ctx.lastUpload = { ok: true, text: `File-system image written on ${port}`, at: Date.now() };
    void showInfo(ctx.lastUpload.text);
  } catch (e) {
    ctx.lastUpload = { ok: false, text: `uploadfs failed: ${errorText(e)}`, at: Date.now() };
    if (!isCancel(e)) void showError(ctx.lastUpload.text);
  } finally {
    ctx.updateStatus();
  }
}

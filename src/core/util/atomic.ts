// Writing a set of files so that a failure leaves every old file as it was: each file is
// written to a temporary name in its own folder, and only when all writes succeeded are
// they renamed into place (rename within a folder is atomic).
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface PendingFile {
  path: string;
  data: Uint8Array | string;
}

export async function writeFilesAtomically(files: PendingFile[]): Promise<void> {
  const temps: { temp: string; path: string }[] = [];
  try {
    for (const f of files) {
      await mkdir(dirname(f.path), { recursive: true });
      const temp = join(dirname(f.path), `.${basename(f.path)}.${process.pid}.tmp`);
      temps.push({ temp, path: f.path });
      await writeFile(temp, f.data);
    }
  } catch (e) {
    await Promise.all(temps.map((t) => rm(t.temp, { force: true })));
    throw e;
  }
  // Renames are in the given order: callers put the file that marks completion last.
  for (const t of temps) await rename(t.temp, t.path);
}

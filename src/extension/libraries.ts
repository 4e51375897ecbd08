// The dynamic libraries of an environment as the tree shows them: the names chosen in
// platformio.ini, the dynamic ones in the memory map and the split files found on disk.
// No 'vscode' here, so it is unit-tested directly.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MemoryMapModel } from '../../webview-ui/model';
import { CODE_FILE_SUFFIX, DATA_FILE_SUFFIX } from '../core/conventions';

const FILE_SUFFIXES = [CODE_FILE_SUFFIX, DATA_FILE_SUFFIX];

export interface LibraryFile {
  name: string;
  path: string;
  size: number;
  uploaded: boolean;
}
export interface LibraryInfo {
  name: string;
  slot?: string;
  files: LibraryFile[];
}

/** Lists the split files of each dynamic library in `outDir` (`<lib>_e`, `<lib>_d`). */
export function collectLibraries(
  names: string[],
  model: MemoryMapModel | null,
  outDir: string,
  isUploaded: (file: string, size: number, mtime: number) => boolean,
): LibraryInfo[] {
  const all = new Set(names);
  for (const l of model?.libraries ?? []) if (l.dynamic) all.add(l.name);
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(outDir);
  } catch {
    /* not split yet */
  }
  for (const e of entries)
    for (const suffix of FILE_SUFFIXES) if (e.endsWith(suffix) && e.length > suffix.length) all.add(e.slice(0, -suffix.length));
  const slotOf = (name: string): string | undefined => {
    const lib = model?.libraries.find((l) => l.name === name);
    if (lib?.slot) return String(lib.slot);
    const s = model?.slots.find((s) => s.libraries.includes(name));
    return s?.name;
  };
  return [...all].sort().map((name) => {
    const files: LibraryFile[] = [];
    for (const suffix of FILE_SUFFIXES) {
      const p = path.join(outDir, name + suffix);
      try {
        const st = fs.statSync(p);
        files.push({ name: name + suffix, path: p, size: st.size, uploaded: isUploaded(p, st.size, st.mtimeMs) });
      } catch {
        /* missing */
      }
    }
    return { name, slot: slotOf(name), files };
  });
}

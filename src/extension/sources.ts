// Where a row of the memory map opens in the project: a library archive (`libFoo.a`) is the
// folder `lib/Foo` (or `.pio/libdeps/<env>/Foo`, or the `lib_dir` of platformio.ini), a loose
// object (`main.cpp.o`) is its source file (`src/main.cpp`). Framework archives and linker-made
// bytes have nothing in the project: they get no entry, so the view shows no link for them.
// No 'vscode' here, so it is unit-tested directly.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface SourceRoots {
  projectRoot: string;
  /** `src_dir` of platformio.ini, absolute (default `<project>/src`). */
  srcDir: string;
  /** `lib_dir`, absolute (default `<project>/lib`). */
  libDir: string;
  /** `.pio/libdeps/<env>`, absolute. */
  libdepsDir: string;
}

const SOURCE_FILE = /\.(c|cc|cpp|cxx|c\+\+|S|s|ino)$/;
const SOURCE_EXTENSIONS = ['.c', '.cpp', '.cc', '.cxx', '.S', '.s', '.ino'];
const SKIP_DIR = new Set(['.git', '.pio', 'node_modules', '.vscode']);
/** Deep enough for library layouts (`lib/Foo/src/sub/x.cpp`), bounded for huge trees. */
const MAX_DEPTH = 8;
const MAX_FILES = 20_000;

/** Source files under `dirs` by base name, in the order of `dirs` (the project's own first). */
function indexSources(dirs: string[]): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  let seen = 0;
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (seen >= MAX_FILES) return;
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < MAX_DEPTH && !SKIP_DIR.has(e.name)) walk(p, depth + 1);
      else if (e.isFile() && SOURCE_FILE.test(e.name)) {
        seen++;
        byName.set(e.name, [...(byName.get(e.name) ?? []), p]);
      }
    }
  };
  for (const d of dirs) walk(d, 0);
  return byName;
}

/** The project path each library of the model opens, absolute; libraries with nothing to open are absent. */
export function librarySources(libs: { name: string; archive: string }[], roots: SourceRoots): Record<string, string> {
  const out: Record<string, string> = {};
  let index: Map<string, string[]> | undefined;
  for (const l of libs) {
    const loose = /^(.+)\.(o|obj)$/.exec(l.archive);
    if (loose) {
      index ??= indexSources([roots.srcDir, roots.libDir, roots.libdepsDir]);
      const stem = path.basename(loose[1].replace(/\\/g, '/'));
      // PlatformIO names objects `main.cpp.o`; other builds `main.o` (the source's extension dropped)
      const found =
        index.get(stem)?.[0] ??
        (SOURCE_FILE.test(stem) ? undefined : SOURCE_EXTENSIONS.map((e) => index!.get(stem + e)?.[0]).find(Boolean));
      if (found) out[l.name] = found;
      continue;
    }
    if (!/^lib.+\.a$/.test(l.archive)) continue; // (linker), (global symbols), …
    const folder = [roots.libDir, roots.libdepsDir].map((d) => path.join(d, l.name)).find((d) => isDir(d));
    if (folder) out[l.name] = folder;
  }
  return out;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

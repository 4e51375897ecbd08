// Compiling the esp32-ld fixture project with Debian's lx106 cross compiler and linking it
// the way PlatformIO does (lib/<Name> → lib<hash>/lib<Name>.a; gcc as the linker driver).
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, run, runOk, tempDir } from '../../helpers/tools';

export const X = 'xtensa-lx106-elf-';
export const LD_DIR = join(REPO, 'test/fixtures/esp32-ld');
export const PROJECT = join(LD_DIR, 'project');
export const LIBS = ['TinyClassifier', 'ImageFilters', 'Filters'];
const CFLAGS = ['-mlongcalls', '-ffunction-sections', '-fdata-sections', '-Os'];

export interface Built {
  main: string;
  /** Archive per library, as PlatformIO names them. */
  archives: Record<string, string>;
  /** The same libraries as loose object files (PlatformIO's lib_archive = no). */
  objects: Record<string, string[]>;
}

export function compileFixture(work: string): Built {
  const archives: Record<string, string> = {};
  const objects: Record<string, string[]> = {};
  LIBS.forEach((lib, i) => {
    const dir = join(work, 'build', `lib${(0xa10 + i).toString(16)}`, lib);
    mkdirSync(dir, { recursive: true });
    objects[lib] = readdirSync(join(PROJECT, 'lib', lib)).map((src) => compile(join(PROJECT, 'lib', lib, src), join(dir, `${src}.o`)));
    archives[lib] = join(dir, '..', `lib${lib}.a`);
    runOk(`${X}ar`, ['rcs', archives[lib], ...objects[lib]]);
  });
  const main = compile(join(PROJECT, 'src/main.c'), join(work, 'build', 'main.c.o'));
  return { main, archives, objects };
}

function compile(src: string, out: string): string {
  const cxx = src.endsWith('.cpp');
  runOk(`${X}${cxx ? 'g++' : 'gcc'}`, [...CFLAGS, ...(cxx ? ['-fno-exceptions', '-fno-rtti'] : []), '-c', src, '-o', out]);
  return out;
}

export interface LinkResult {
  status: number;
  stderr: string;
  elf: string;
  map: string;
}

/** gcc -nostdlib … -T a -T b …, in the order given. */
export function link(work: string, name: string, scripts: string[], inputs: string[]): LinkResult {
  const elf = join(work, `${name}.elf`);
  const map = join(work, `${name}.map`);
  const args = [
    '-nostdlib',
    '-Wl,--gc-sections',
    `-Wl,-Map=${map}`,
    `-L${LD_DIR}`,
    ...scripts.flatMap((s) => ['-T', s]),
    ...inputs,
    '-o',
    elf,
  ];
  const r = run(`${X}gcc`, args, { cwd: work });
  return { status: r.status, stderr: r.stderr, elf, map };
}

export function copyInto(src: string, dst: string): string {
  copyFileSync(src, dst);
  return dst;
}

export interface ObjdumpSection {
  name: string;
  size: number;
  vma: number;
  lma: number;
  loadable: boolean;
}

/** `objdump -h`: every section with its VMA and LMA. */
export function sectionsOf(elf: string): Map<string, ObjdumpSection> {
  const out = runOk(`${X}objdump`, ['-h', '-w', elf]);
  const map = new Map<string, ObjdumpSection>();
  for (const line of out.split('\n')) {
    const m = /^\s*\d+\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s.*?\s(\S*)$/.exec(line);
    if (m)
      map.set(m[1], {
        name: m[1],
        size: parseInt(m[2], 16),
        vma: parseInt(m[3], 16),
        lma: parseInt(m[4], 16),
        loadable: /\bLOAD\b/.test(line),
      });
  }
  return map;
}

/** `nm`: symbol → address. */
export function symbolsOf(elf: string): Map<string, number> {
  const out = runOk(`${X}nm`, [elf]);
  const map = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f]+)\s+\S\s+(\S+)$/.exec(line);
    if (m) map.set(m[2], parseInt(m[1], 16));
  }
  return map;
}

const scratchDirs: string[] = [];

/** A temporary folder removed by `removeScratch` (kept when ESP32MM_KEEP_TEST_DIRS is set). */
export function scratch(prefix: string): string {
  const dir = tempDir(prefix);
  scratchDirs.push(dir);
  return dir;
}

export function removeScratch(): void {
  if (process.env.ESP32MM_KEEP_TEST_DIRS) return;
  for (const d of scratchDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

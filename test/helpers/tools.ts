// Running the real cross tools from tests, and reading their output.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '../..');
export const CLI = join(REPO, 'dist/cli.js');

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): RunResult {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Run and fail loudly on a non-zero exit. */
export function runOk(cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

export function esp32mm(args: string[], opts: { cwd?: string } = {}): RunResult {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
  return run(process.execPath, [CLI, ...args], opts);
}

export function tempDir(prefix = 'esp32mm-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The binutils prefix that understands this ELF (Xtensa needs its own; others multiarch). */
export function binutilsFor(elfPath: string): string {
  const machine = readFileSync(elfPath).readUInt16LE(18);
  if (machine === 94) return 'xtensa-lx106-elf-';
  if (machine === 243) return 'riscv64-unknown-elf-';
  return '';
}

/** Every committed fixture firmware ELF (test/fixtures/firmware/out/<arch>/*.elf). */
export function fixtureElfs(): string[] {
  const root = join(REPO, 'test/fixtures/firmware/out');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.elf'))
    .map((f) => join(root, f))
    .sort();
}

export const EXAMPLE_ELF = join(REPO, 'examples/esp32cam-ai/.pio/build/esp32cam/firmware.elf');

export interface ReadelfSection {
  index: number;
  name: string;
  type: string;
  addr: number;
  offset: number;
  size: number;
  flags: string;
  link: number;
  info: number;
  align: number;
}

/** `readelf -W -S`, parsed. */
export function readelfSections(elfPath: string): ReadelfSection[] {
  const out = runOk(`${binutilsFor(elfPath)}readelf`, ['-W', '-S', elfPath]);
  const rows: ReadelfSection[] = [];
  const re =
    /^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\S*?)\s*(\d+)\s+(\d+)\s+(\d+)\s*$/;
  for (const line of out.split('\n')) {
    const m = re.exec(line);
    if (!m || m[1] === '0') continue;
    rows.push({
      index: +m[1],
      name: m[2],
      type: m[3],
      addr: parseInt(m[4], 16),
      offset: parseInt(m[5], 16),
      size: parseInt(m[6], 16),
      flags: m[8],
      link: +m[9],
      info: +m[10],
      align: +m[11],
    });
  }
  return rows;
}

export interface ReadelfSegment {
  type: string;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
}

/** `readelf -W -l`, parsed (program headers only). */
export function readelfSegments(elfPath: string): ReadelfSegment[] {
  const out = runOk(`${binutilsFor(elfPath)}readelf`, ['-W', '-l', elfPath]);
  const rows: ReadelfSegment[] = [];
  const re =
    /^\s+([A-Z_]+|LOOS\+0x[0-9a-f]+|0x[0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s/;
  for (const line of out.split('\n')) {
    const m = re.exec(line);
    if (m)
      rows.push({
        type: m[1],
        offset: parseInt(m[2], 16),
        vaddr: parseInt(m[3], 16),
        paddr: parseInt(m[4], 16),
        filesz: parseInt(m[5], 16),
        memsz: parseInt(m[6], 16),
      });
  }
  return rows;
}

export interface ReadelfSymbol {
  index: number;
  value: number;
  size: number;
  type: string;
  bind: string;
  ndx: string;
  name: string;
}

/** `readelf -W -s` for one table ('.symtab' or '.dynsym'), parsed. */
export function readelfSymbols(elfPath: string, table = '.symtab'): ReadelfSymbol[] {
  const out = runOk(`${binutilsFor(elfPath)}readelf`, ['-W', '-s', elfPath]);
  const rows: ReadelfSymbol[] = [];
  let inTable = false;
  const re = /^\s*(\d+):\s+([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)\s?(.*)$/;
  for (const line of out.split('\n')) {
    if (line.startsWith('Symbol table')) {
      inTable = line.includes(`'${table}'`);
      continue;
    }
    const m = inTable && re.exec(line);
    if (!m || m[1] === '0') continue;
    rows.push({ index: +m[1], value: parseInt(m[2], 16), size: Number(m[3]), type: m[4], bind: m[5], ndx: m[6], name: m[7] });
  }
  return rows;
}

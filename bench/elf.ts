// ELF engine benchmarks, each against a baseline measured in the same run:
//  1. parsing a ≥ 50k-symbol firmware ELF (headers, sections, every symbol name) vs elfinfo
//  2. the full split (parse, build id, library files, stripped ELF, all files written)
//     vs the equivalent cross objcopy commands (remove the .mm sections; extract each
//     library's text and data), on the example firmware and on the large ELF.
// Run: npm run bench:elf
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { open as elfinfoOpen } from 'elfinfo';
import { readElf } from '../src/core/elf/reader';
import { splitFile } from '../src/core/split/split';
import { findDynamicLibraries } from '../src/core/split/libraries';

const repo = resolve(__dirname, '../..');
const largeDir = join(repo, 'build/bench/large');

function sh(cmd: string, args: string[]): void {
  // objcopy warns about empty segments on every call; only a failure matters here.
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median wall time of `runs` calls, after one untimed warm-up call (JIT, file cache). */
async function timeIt(runs: number, fn: () => unknown): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

function largeElf(): string {
  const elf = join(largeDir, 'large.elf');
  if (!existsSync(elf)) {
    mkdirSync(largeDir, { recursive: true });
    console.log('generating the large ELF with the cross compiler (first run only)...');
    sh('bash', [join(repo, 'test/fixtures/firmware/gen-large.sh'), largeDir, '50000']);
  }
  return elf;
}

async function benchParse(path: string) {
  const bytes = new Uint8Array(readFileSync(path));
  const ours = await timeIt(15, () => readElf(bytes).symbols().length);
  const elf = readElf(bytes);
  const theirs = await timeIt(3, () => elfinfoOpen(Buffer.from(bytes)));
  console.log(
    `\nparse ${path.replace(repo + '/', '')}: ${(bytes.length / 1e6).toFixed(1)} MB, ${elf.sections.length} sections, ${elf.symbols().length} symbols`,
  );
  console.log(`  esp32mm readElf + all symbols  ${ours.toFixed(1).padStart(9)} ms (median of 15)`);
  console.log(`  elfinfo open (baseline)        ${theirs.toFixed(1).padStart(9)} ms (median of 3)`);
  console.log(`  ratio: esp32mm is ${(theirs / ours).toFixed(0)}x faster (goal >= 20x)`);
}

async function benchSplit(path: string) {
  const elf = readElf(new Uint8Array(readFileSync(path)));
  const libs = findDynamicLibraries(elf);
  if (!libs.length) {
    console.log(`\nsplit: ${path} has no dynamic libraries, skipped in this benchmark`);
    return;
  }
  const prefix = elf.header.machine === 94 ? 'xtensa-lx106-elf-' : elf.header.machine === 243 ? 'riscv64-unknown-elf-' : '';
  const scratch = mkdtempSync(join(tmpdir(), 'esp32mm-bench-'));
  const input = join(scratch, 'firmware.elf');
  const sections = libs
    .flatMap((l) => [l.text, l.data, l.bss])
    .filter((s) => s)
    .map((s) => s!.name);
  const runs = 7;
  const ours = await timeIt(runs, async () => {
    copyFileSync(path, input);
    await splitFile(input, join(scratch, 'mm'));
  });
  const oursCli = await timeIt(runs, () => {
    copyFileSync(path, input);
    sh(process.execPath, [join(repo, 'dist/cli.js'), 'split', input, '--out', join(scratch, 'mm')]);
  });
  const objcopy = await timeIt(runs, () => {
    copyFileSync(path, input);
    sh(`${prefix}objcopy`, [...sections.flatMap((s) => ['--remove-section', s]), input, join(scratch, 'stripped.elf')]);
    for (const l of libs) {
      if (l.text) sh(`${prefix}objcopy`, ['-O', 'binary', '-j', l.text.name, input, join(scratch, `${l.name}_e`)]);
      if (l.data) sh(`${prefix}objcopy`, ['-O', 'binary', '-j', l.data.name, input, join(scratch, `${l.name}_d`)]);
    }
  });
  const copyOnly = await timeIt(runs, () => copyFileSync(path, input));
  rmSync(scratch, { recursive: true, force: true });
  console.log(`\nsplit ${path.replace(repo + '/', '')}: ${libs.length} libraries, ${sections.length} sections removed`);
  console.log(`  esp32mm split (in process, incl. writes)  ${(ours - copyOnly).toFixed(1).padStart(8)} ms`);
  console.log(`  esp32mm split (CLI process, node start)   ${(oursCli - copyOnly).toFixed(1).padStart(8)} ms`);
  console.log(`  objcopy: 1 strip + ${libs.length * 2} extractions (baseline) ${(objcopy - copyOnly).toFixed(1).padStart(8)} ms`);
  console.log(
    `  ratio in process: ${((ours - copyOnly) / (objcopy - copyOnly)).toFixed(2)}x of objcopy's time; CLI: ${((oursCli - copyOnly) / (objcopy - copyOnly)).toFixed(2)}x (goal <= 1x)`,
  );
}

async function main() {
  if (!existsSync(join(repo, 'dist/cli.js'))) sh('npm', ['run', '-s', 'build']);
  const large = largeElf();
  await benchParse(large);
  const example = join(repo, 'examples/esp32cam-ai/.pio/build/esp32cam/firmware.elf');
  for (const f of [example, large]) if (existsSync(f)) await benchSplit(f);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// Crash decoding after the split (issue 13): the stripped firmware.elf keeps each library's
// symbols and debug info and an allocated NOBITS placeholder at its address, so addr2line
// (as PlatformIO's exception decoder calls it) and GDB name the function and line inside a
// library, while what goes to flash is the same as without the placeholders.
//
// The fixtures are built without -g (their README: reproducible bytes); here
// test/fixtures/firmware/build.sh rebuilds them with debug info by putting compiler
// wrappers first on PATH that add -g and drop the link's --strip-debug. The real compilers
// run; ESP-IDF and Arduino builds carry DWARF the same way. Each architecture is built
// twice: plain, and linked with --emit-relocs as the build hook links (its relocations
// name the libraries' symbols, so the placeholders must keep them).
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REPO,
  binutilsFor,
  esp32mm,
  readelfSections,
  readelfSegments,
  readelfSymbols,
  run,
  runOk,
  tempDir,
  type ReadelfSection,
} from '../../helpers/tools';

const COMPILERS = ['xtensa-lx106-elf-gcc', 'xtensa-lx106-elf-g++', 'riscv64-unknown-elf-gcc', 'riscv64-unknown-elf-g++'];
const VARIANTS = (['xtensa', 'riscv'] as const).flatMap((arch) => [
  { arch, emitRelocs: false },
  { arch, emitRelocs: true },
]);

/** build.sh into `out` with every compile and link given -g (and the hook's --emit-relocs), the link's --strip-debug dropped. */
function buildWithDebugInfo(out: string, emitRelocs: boolean): void {
  const bin = join(out, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const cc of COMPILERS) {
    const real = runOk('sh', ['-c', `command -v ${cc}`]).trim();
    writeFileSync(
      join(bin, cc),
      `#!/bin/sh\nfor a in "$@"; do shift; [ "$a" = "-Wl,--strip-debug" ] || set -- "$@" "$a"; done\nexec ${real} -g${emitRelocs ? ' -Wl,--emit-relocs' : ''} "$@"\n`,
    );
    chmodSync(join(bin, cc), 0o755);
  }
  const r = run('sh', ['-c', `PATH="${bin}:$PATH" exec "$0" --out "$1"`, join(REPO, 'test/fixtures/firmware/build.sh'), out]);
  if (r.status !== 0) throw new Error(`build.sh with -g failed:\n${r.stderr}`);
}

/** What PlatformIO's esp32_exception_decoder runs for each address: addr2line -fipC -e firmware.elf <address>. */
function decode(elf: string, address: number): string {
  return runOk(`${binutilsFor(elf)}addr2line`, ['-fipC', '-e', elf, '0x' + address.toString(16)]).trimEnd();
}

function gdb(elf: string, commands: string[]): string {
  const r = run('gdb-multiarch', ['-batch', '-nx', ...commands.flatMap((c) => ['-ex', c]), elf]);
  if (r.status !== 0) throw new Error(`gdb-multiarch failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

interface Built {
  full: string;
  stripped: string;
  libraryText: ReadelfSection[];
  functions: { name: string; at: number; section: string }[];
}

describe.each(VARIANTS)('crash decoding after the split, $arch, --emit-relocs $emitRelocs', ({ arch, emitRelocs }) => {
  const b = {} as Built;
  const dir = tempDir('esp32mm-crash-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(() => {
    buildWithDebugInfo(dir, emitRelocs);
    b.stripped = join(dir, arch, 'fw.elf');
    b.full = join(dir, arch, 'fw.full.elf');
    const sections = readelfSections(b.stripped);
    if (!sections.some((s) => s.name === '.debug_info') || sections.some((s) => s.type === 'RELA') !== emitRelocs) {
      throw new Error('the build has no .debug_info or no relocations: the compiler wrappers did not take effect');
    }
    b.libraryText = sections.filter((s) => /^\.mm\..+\.text$/.test(s.name));
    // A point inside each library function (past its first instruction).
    b.functions = readelfSymbols(b.stripped)
      .filter((s) => s.type === 'FUNC' && s.size >= 4)
      .flatMap((s) => {
        const section = b.libraryText.find((t) => String(t.index) === s.ndx);
        return section ? [{ name: s.name, at: s.value + 2, section: section.name }] : [];
      });
    const r = esp32mm(['split', b.stripped, '--out', join(dir, arch, 'sd')]);
    if (r.status !== 0) throw new Error(`split failed: ${r.stderr}`);
  });

  it('addr2line names every library function and its line, as it did before the split', () => {
    expect(b.functions.length).toBeGreaterThanOrEqual(8);
    for (const f of b.functions) {
      const after = decode(b.stripped, f.at);
      const before = decode(b.full, f.at);
      // RISC-V links with --emit-relocs keep the assembler's local .L labels, and addr2line -f
      // names the nearest one in the unsplit ELF; the split drops them, so after it the name
      // is the function's. The lines are the same either way.
      const labelled = arch === 'riscv' && emitRelocs;
      const lines = (text: string) => text.replace(/^.* at (?=\.\/)/gm, '');
      if (labelled) expect(lines(after), f.name).toBe(lines(before));
      else expect(after, f.name).toBe(before);
      // The innermost frame (inlined callers follow on their own lines).
      expect(after.split('\n')[0], f.name).toMatch(/ at \.\/src\/\w+\.c(pp)?:\d+( \(discriminator \d+\))?$/);
      // Overlay members share addresses: the answer is the first member's, before and after alike.
      if (!sharedAddress(b, f.at)) expect(after.startsWith(`${demangle(arch, f.name)} at `), `${f.name}: ${after}`).toBe(true);
      if (labelled) expect(after, f.name).not.toMatch(/^\.L/m);
    }
  });

  it("GDB: info symbol names the function in its library's placeholder, info line the source line", () => {
    const unique = b.functions.filter((f) => !sharedAddress(b, f.at));
    expect(unique.length).toBeGreaterThan(0);
    const commands = unique.flatMap((f) => [`info symbol 0x${f.at.toString(16)}`, `info line *0x${f.at.toString(16)}`]);
    const before = gdb(b.full, commands).trimEnd().split('\n');
    const after = gdb(b.stripped, commands).trimEnd().split('\n');
    unique.forEach((f, i) => {
      expect(after[2 * i]).toBe(`${demangle(arch, f.name)} + 2 in section ${f.section.replace(/^\.mm\./, '.esp32mm.')}`);
      expect(after[2 * i + 1]).toMatch(/^Line \d+ of "src\/\w+\.c(pp)?"/);
      expect(after[2 * i + 1]).toBe(before[2 * i + 1]);
    });
  });

  it('the placeholders add no image bytes: loadable segments and allocated contents are those of the firmware without them', () => {
    const without = b.stripped.replace(/\.elf$/, '.noplaceholders.elf');
    copyFileSync(b.stripped, without);
    // objcopy drops a section only with the relocations that name its symbols.
    runOk(`${binutilsFor(without)}objcopy`, ['--wildcard', '--remove-relocations=*', '--remove-section=.esp32mm.*', without]);
    expect(readelfSections(without).filter((s) => s.name.startsWith('.esp32mm.'))).toEqual([]);
    expect(loadImage(b.stripped)).toEqual(loadImage(without));
    expect(allocatedContents(b.stripped)).toEqual(allocatedContents(without));
  });
});

function sharedAddress(b: Built, at: number): boolean {
  return b.libraryText.filter((t) => at >= t.addr && at < t.addr + t.size).length > 1;
}

/** Each PT_LOAD as a loader (QEMU, esptool --use_segments) takes it: addresses, sizes, file bytes. */
function loadImage(elf: string) {
  const bytes = readFileSync(elf);
  return readelfSegments(elf)
    .filter((p) => p.type === 'LOAD')
    .map((p) => ({ vaddr: p.vaddr, paddr: p.paddr, memsz: p.memsz, bytes: bytes.subarray(p.offset, p.offset + p.filesz).toString('hex') }));
}

/** The allocated sections with contents, as esptool elf2image copies them by default. */
function allocatedContents(elf: string) {
  const bytes = readFileSync(elf);
  return readelfSections(elf)
    .filter((s) => s.flags.includes('A') && s.type !== 'NOBITS' && s.size > 0)
    .map((s) => ({ name: s.name, addr: s.addr, bytes: bytes.subarray(s.offset, s.offset + s.size).toString('hex') }));
}

function demangle(arch: string, name: string): string {
  return runOk(`${arch === 'xtensa' ? 'xtensa-lx106-elf-' : 'riscv64-unknown-elf-'}c++filt`, [name]).trim();
}

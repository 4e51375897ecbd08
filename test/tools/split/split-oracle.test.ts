// The split checked by the cross binutils: the stripped ELF is clean for readelf, every
// kept section keeps its bytes and address, no loadable segment covers a library address,
// and every <lib>_e/<lib>_d payload equals objcopy's extraction from the original.
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readElf } from '../../../src/core/elf/reader';
import { decodeLibraryFile } from '../../../src/core/split/format';
import { crc32 } from '../../../src/core/util/crc32';
import {
  EXAMPLE_ELF,
  binutilsFor,
  esp32mm,
  fixtureElfs,
  readelfSections,
  readelfSegments,
  readelfSymbols,
  run,
  runOk,
  tempDir,
} from '../../helpers/tools';

const withLibraries = [...fixtureElfs(), EXAMPLE_ELF].filter(
  (f) => existsSync(f) && readElf(new Uint8Array(readFileSync(f))).sections.some((s) => s.name.startsWith('.mm.')),
);

function objcopySection(elf: string, section: string): Buffer {
  const out = join(tempDir('esp32mm-objcopy-'), 'section.bin');
  runOk(`${binutilsFor(elf)}objcopy`, ['-O', 'binary', '-j', section, elf, out]);
  return readFileSync(out);
}

function buildIdSymbol(elf: string) {
  return readelfSymbols(elf).find((x) => x.name === 'mm_build_id');
}

function splitCopy(original: string) {
  const dir = tempDir();
  const elf = join(dir, basename(original));
  copyFileSync(original, elf);
  const r = esp32mm(['split', elf, '--out', join(dir, 'mm')]);
  return { dir, elf, full: join(dir, basename(original).replace(/\.elf$/, '.full.elf')), out: join(dir, 'mm'), r };
}

describe('split checked by the cross binutils', () => {
  it('has fixtures with dynamic libraries, on both architectures', () => {
    const machines = new Set(withLibraries.map((f) => readFileSync(f).readUInt16LE(18)));
    expect(machines).toEqual(new Set([94, 243]));
  });

  for (const original of withLibraries) {
    describe(original.split('/').slice(-3).join('/'), () => {
      const s = splitCopy(original);
      const before = readelfSections(original);
      const libSections = before.filter((x) => x.name.startsWith('.mm.'));

      it('exits 0 and keeps the original byte for byte', () => {
        expect(s.r.stderr.replace(/^warning: .*\n/gm, '')).toBe('');
        expect(s.r.status).toBe(0);
        expect(readFileSync(s.full).equals(readFileSync(original))).toBe(true);
      });

      it('stripped ELF passes readelf -a without errors or warnings', () => {
        const r = run(`${binutilsFor(s.elf)}readelf`, ['-a', '-W', s.elf]);
        expect(r.status).toBe(0);
        expect(r.stderr).toBe('');
      });

      it('no .mm section remains and every other section keeps address and bytes', () => {
        const after = readelfSections(s.elf);
        expect(after.filter((x) => x.name.startsWith('.mm.'))).toEqual([]);
        for (const sec of before.filter((x) => !x.name.startsWith('.mm.'))) {
          const kept = after.find((x) => x.name === sec.name);
          expect(kept, sec.name).toBeDefined();
          expect({ addr: kept!.addr, type: kept!.type }).toEqual({ addr: sec.addr, type: sec.type });
          // Symbol and string tables are rebuilt (smaller); everything else keeps its size.
          if (!['SYMTAB', 'STRTAB'].includes(sec.type)) expect(kept!.size, sec.name).toBe(sec.size);
          if (sec.flags.includes('A') && sec.type !== 'NOBITS' && sec.size > 0) {
            const ours = objcopySection(s.elf, sec.name);
            const theirs = objcopySection(original, sec.name);
            // The one intended difference: the patched mm_build_id (checked below).
            const id = buildIdSymbol(original);
            if (id && id.value >= sec.addr && id.value < sec.addr + sec.size) ours.fill(0, id.value - sec.addr, id.value - sec.addr + 32);
            expect(ours.equals(theirs), sec.name).toBe(true);
          }
        }
      });

      it("every symbol survives with its value; library symbols sit in their library's placeholder", () => {
        const key = (x: { name: string; value: number; size: number; type: string; bind: string }) =>
          `${x.name}|${x.value}|${x.size}|${x.type}|${x.bind}`;
        expect(
          readelfSymbols(s.elf)
            .filter((x) => x.type !== 'SECTION')
            .map(key)
            .sort(),
        ).toEqual(
          readelfSymbols(original)
            .filter((x) => x.type !== 'SECTION')
            .map(key)
            .sort(),
        );
        const sectionName = (sections: { index: number; name: string }[], ndx: string) =>
          sections.find((x) => String(x.index) === ndx)?.name;
        const after = readelfSections(s.elf);
        const libSymbols = readelfSymbols(original).filter(
          (x) => libSections.some((l) => String(l.index) === x.ndx) && x.type !== 'SECTION',
        );
        expect(libSymbols.length).toBeGreaterThan(0);
        // No symbol is dropped, so each keeps its index (names repeat across overlay members).
        const stripped = readelfSymbols(s.elf);
        for (const sym of libSymbols) {
          const was = sectionName(before, sym.ndx)!;
          const now = stripped.find((x) => x.index === sym.index)!;
          expect(now.name).toBe(sym.name);
          expect(sectionName(after, now.ndx), sym.name).toBe(was.replace(/^\.mm\./, '.esp32mm.'));
        }
      });

      it('each library section leaves a NOBITS placeholder with its address, size and flags, in no segment', () => {
        const after = readelfSections(s.elf);
        for (const lib of libSections) {
          const p = after.find((x) => x.name === lib.name.replace(/^\.mm\./, '.esp32mm.'));
          expect(p, lib.name).toMatchObject({ type: 'NOBITS', addr: lib.addr, size: lib.size, flags: lib.flags });
        }
        const mapping = runOk(`${binutilsFor(s.elf)}readelf`, ['-l', '-W', s.elf]).split('Section to Segment mapping:')[1];
        expect(mapping).not.toMatch(/\.esp32mm\./);
      });

      it('no loadable segment covers a library address', () => {
        for (const p of readelfSegments(s.elf).filter((x) => x.type === 'LOAD')) {
          for (const lib of libSections) {
            const overlaps = lib.addr < p.vaddr + p.memsz && p.vaddr < lib.addr + lib.size;
            expect(overlaps, `${lib.name} inside segment at 0x${p.vaddr.toString(16)}`).toBe(false);
          }
        }
      });

      it('library payloads equal objcopy -O binary -j of the original', () => {
        const manifest = JSON.parse(readFileSync(join(s.out, 'manifest.json'), 'utf8'));
        const libs = [...new Set(libSections.map((x) => x.name.split('.')[2]))];
        expect(manifest.libraries.map((l: { name: string }) => l.name).sort()).toEqual(libs.sort());
        for (const lib of libs) {
          for (const [suffix, section] of [
            ['_e', 'text'],
            ['_d', 'data'],
          ]) {
            const file = readFileSync(join(s.out, lib + suffix));
            const { header, payload } = decodeLibraryFile(new Uint8Array(file));
            const sec = before.find((x) => x.name === `.mm.${lib}.${section}`);
            const expected = sec ? objcopySection(original, sec.name) : Buffer.alloc(0);
            expect(Buffer.from(payload).equals(expected), `${lib}${suffix}`).toBe(true);
            expect(header.loadAddress).toBe(sec?.addr ?? 0);
            expect(Buffer.from(header.buildId).toString('hex')).toBe(manifest.buildId);
            const entry = manifest.libraries
              .find((l: { name: string }) => l.name === lib)
              .files.find((f: { file: string }) => f.file === lib + suffix);
            expect(entry.size).toBe(file.length);
            expect(parseInt(entry.crc32, 16)).toBe(crc32(file));
          }
          const bss = before.find((x) => x.name === `.mm.${lib}.bss`);
          expect(decodeLibraryFile(new Uint8Array(readFileSync(join(s.out, `${lib}_d`)))).header.bssLength).toBe(bss?.size ?? 0);
        }
      });

      it('mm_build_id in the stripped firmware holds the build id', () => {
        const sym = buildIdSymbol(s.elf);
        if (!sym) {
          expect(s.r.stderr).toMatch(/no mm_build_id symbol/);
          return;
        }
        const sec = readelfSections(s.elf)[Number(sym.ndx) - 1];
        const bytes = readFileSync(s.elf).subarray(sec.offset + sym.value - sec.addr, sec.offset + sym.value - sec.addr + 32);
        const manifest = JSON.parse(readFileSync(join(s.out, 'manifest.json'), 'utf8'));
        expect(bytes.toString('hex')).toBe(manifest.buildId);
        expect(manifest.buildId).not.toBe('0'.repeat(64));
      });

      it('a second split is refused and changes nothing', () => {
        const stamp = readdirSync(s.out).map((f) => [f, statSync(join(s.out, f)).mtimeMs]);
        const elfBefore = readFileSync(s.elf);
        const again = esp32mm(['split', s.elf, '--out', s.out]);
        expect(again.status).toBe(1);
        expect(again.stderr).toMatch(/already split/);
        expect(readFileSync(s.elf).equals(elfBefore)).toBe(true);
        expect(readdirSync(s.out).map((f) => [f, statSync(join(s.out, f)).mtimeMs])).toEqual(stamp);
      });
    });
  }
});

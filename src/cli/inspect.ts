import { readElf } from '../core/elf/reader';
import { SectionType, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE } from '../core/elf/types';
import { findDynamicLibraries } from '../core/split/libraries';
import { SPLIT_MARKER_SECTION } from '../core/split/split';
import { INPUT_LIMITS, readInputFile } from '../core/util/input';
import { type Command, UsageError, hex } from './command';

const SEGMENT_NAMES: Record<number, string> = { 0: 'NULL', 1: 'LOAD', 2: 'DYNAMIC', 3: 'INTERP', 4: 'NOTE', 6: 'PHDR', 7: 'TLS' };

function sectionFlags(flags: number): string {
  return (flags & SHF_WRITE ? 'W' : '') + (flags & SHF_ALLOC ? 'A' : '') + (flags & SHF_EXECINSTR ? 'X' : '');
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'list sections, segments, symbol count and dynamic libraries of an ELF',
  usage: `Usage: esp32mm inspect <file.elf> [--json]

Options:
  --json      machine-readable output
  -h, --help  show this help`,
  options: { json: { type: 'boolean' } },
  async run(positionals, values) {
    if (positionals.length !== 1) throw new UsageError(`expected one ELF file\n\n${this.usage}`);
    const elf = readElf(new Uint8Array(await readInputFile(positionals[0], { what: 'ELF file', maxBytes: INPUT_LIMITS.elf })));
    const libs = findDynamicLibraries(elf);
    const info = {
      class: elf.is64 ? 'ELF64' : 'ELF32',
      endian: elf.littleEndian ? 'little' : 'big',
      machine: elf.header.machine,
      entry: elf.header.entry,
      split: !!elf.section(SPLIT_MARKER_SECTION),
      sections: elf.sections
        .filter((s) => s.index > 0)
        .map((s) => ({
          index: s.index,
          name: s.name,
          type: s.type,
          flags: sectionFlags(s.flags),
          address: s.addr,
          offset: s.offset,
          size: s.size,
        })),
      segments: elf.segments.map((p) => ({
        type: SEGMENT_NAMES[p.type] ?? hex(p.type),
        offset: p.offset,
        vaddr: p.vaddr,
        paddr: p.paddr,
        filesz: p.filesz,
        memsz: p.memsz,
        flags: p.flags,
      })),
      symbols: elf.symbols().length,
      dynamicSymbols: elf.dynamicSymbols().length,
      libraries: libs.map((l) => ({
        name: l.name,
        text: l.text?.size ?? 0,
        data: l.data?.size ?? 0,
        bss: l.bss?.size ?? 0,
        textAddress: l.text?.addr,
        dataAddress: l.data?.addr,
      })),
    };
    if (values.json) {
      console.log(JSON.stringify(info, null, 2));
      return 0;
    }
    console.log(
      `${info.class} ${info.endian}-endian, machine ${info.machine}, entry ${hex(info.entry)}${info.split ? ' (already split)' : ''}`,
    );
    console.log(`\nSections (${info.sections.length}):`);
    for (const s of info.sections) {
      const kind = s.type === SectionType.NOBITS ? 'NOBITS' : '';
      console.log(
        `  ${String(s.index).padStart(3)} ${s.name.padEnd(24)} ${hex(s.address)} ${String(s.size).padStart(9)} ${s.flags.padEnd(3)} ${kind}`,
      );
    }
    console.log(`\nSegments (${info.segments.length}):`);
    for (const p of info.segments)
      console.log(
        `  ${p.type.padEnd(8)} vaddr ${hex(p.vaddr)} filesz ${String(p.filesz).padStart(9)} memsz ${String(p.memsz).padStart(9)}${p.type === 'LOAD' && p.filesz === 0 ? ' (no file bytes)' : ''}`,
      );
    console.log(`\nSymbols: ${info.symbols} (.symtab), ${info.dynamicSymbols} (.dynsym)`);
    console.log(libs.length ? `\nDynamic libraries (${libs.length}):` : '\nNo dynamic libraries (.mm.<lib>.* sections).');
    for (const l of info.libraries) console.log(`  ${l.name}: text ${l.text} B, data ${l.data} B, bss ${l.bss} B`);
    return 0;
  },
};

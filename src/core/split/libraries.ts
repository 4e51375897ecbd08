// Finding the dynamic libraries in a linked firmware: every library the build integration
// placed at a fixed address has output sections `.mm.<lib>.text`, `.mm.<lib>.data` and
// `.mm.<lib>.bss`, plus bound symbols `_mm_<lib>_ctors_start/_end` for its constructors.
import type { ElfFile } from '../elf/reader';
import type { Section } from '../elf/types';

export interface DynamicLibrary {
  name: string;
  text?: Section;
  data?: Section;
  bss?: Section;
  /** The library's constructor table (inside `data`), if the linker script exported it. */
  ctors?: { address: number; count: number; reversed: boolean };
}

const MM_SECTION = /^\.mm\.(.+)\.(text|data|bss)$/;

export function findDynamicLibraries(elf: ElfFile): DynamicLibrary[] {
  const byName = new Map<string, DynamicLibrary>();
  for (const s of elf.sections) {
    const m = MM_SECTION.exec(s.name);
    if (!m) continue;
    const lib = byName.get(m[1]) ?? { name: m[1] };
    lib[m[2] as 'text' | 'data' | 'bss'] = s;
    byName.set(m[1], lib);
  }
  const libs = [...byName.values()];
  if (libs.length) attachConstructorTables(elf, libs);
  return libs;
}

function attachConstructorTables(elf: ElfFile, libs: DynamicLibrary[]): void {
  const symbols = new Map(elf.symbolsStartingWith('_mm_').map((s) => [s.name, s]));
  for (const lib of libs) {
    const start = symbols.get(`_mm_${lib.name}_ctors_start`);
    const end = symbols.get(`_mm_${lib.name}_ctors_end`);
    if (!start || !end || end.value <= start.value) continue;
    const pointerSize = elf.is64 ? 8 : 4;
    lib.ctors = {
      address: start.value,
      count: (end.value - start.value) / pointerSize,
      // Debian's lx106 gcc emits `.ctors`, which runs last to first; the linker fragment
      // says so with this marker symbol.
      reversed: symbols.has(`_mm_${lib.name}_ctors_reversed`),
    };
  }
}

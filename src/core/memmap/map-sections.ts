// Map-only analysis (as esp-idf-size works): the output sections of a linker map standing in
// for the ELF's section headers. The map gives each section's name, address, size and load
// address; what it does not give (section type and flags) is derived the way ld decides it,
// and the corpus tests check the result against the real ELFs' section tables:
//  - allocated: the section lies in one of the link's memory regions (debug sections sit at 0,
//    outside every region);
//  - NOBITS: no record of the section has contents — only bss-like input sections
//    (`.bss.*`, `.sbss.*`, `COMMON`, `.noinit.*`) and padding, or nothing at all (ESP-IDF's
//    `*dummy*` sections that only skip addresses); ld gives such a section no file bytes.
//    Also ESP-IDF's `*reserved` sections (`.rtc_reserved`, `.rtc_slow_reserved`): its scripts
//    declare them NOLOAD, which the map does not show;
//  - executable: a section with contents and a code-like name (`text`, `vectors`, `literal`)
//    in a memory region the script marks `x`.
import { SectionType, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, type Section } from '../elf/types';
import type { MapFile, MapMemoryRegion, MapOutputSection } from '../mapfile/parse';

const BSS_INPUT = /(^|\.)s?bss(\.|$)|^COMMON$|noinit/;
const CODE_NAME = /text|vectors|literal/;
const NOLOAD_NAME = /reserved$/;

/** The memory region (not `*default*`) that holds an address, if any. */
export function memoryRegionAt(map: MapFile, address: number): MapMemoryRegion | undefined {
  return map.memory.find((m) => m.name !== '*default*' && address >= m.origin && address < m.origin + m.length);
}

function hasContents(out: MapOutputSection): boolean {
  if (NOLOAD_NAME.test(out.name)) return false;
  return out.inputs.some((i) => i.kind === 'data' || (i.kind === 'input' && i.size > 0 && !BSS_INPUT.test(i.name)));
}

/** Section headers for the map's allocated output sections (needs the records: parse without a sink). */
export function sectionsFromMap(map: MapFile): Section[] {
  const out: Section[] = [];
  for (const s of map.sections) {
    if (s.size === 0) continue;
    const region = memoryRegionAt(map, s.address);
    if (!region) continue;
    const progbits = hasContents(s);
    const exec = progbits && CODE_NAME.test(s.name) && region.attributes.includes('x');
    out.push({
      index: out.length + 1,
      name: s.name,
      nameOffset: 0,
      type: progbits ? SectionType.PROGBITS : SectionType.NOBITS,
      flags: SHF_ALLOC | (exec ? SHF_EXECINSTR : SHF_WRITE),
      addr: s.address,
      offset: 0,
      size: s.size,
      link: 0,
      info: 0,
      addralign: 1,
      entsize: 0,
    });
  }
  return out;
}

// Finding the dynamic libraries in a linked firmware: every library the build integration
// placed at a fixed address has output sections `.mm.<lib>.text`, `.mm.<lib>.data` and
// `.mm.<lib>.bss`, plus bound symbols `_mm_<lib>_ctors_start/_end` for its constructors.
import { MM_SECTION } from '../conventions';
import type { ElfFile } from '../elf/reader';
import type { Section } from '../elf/types';
import { SplitError } from './errors';
import { isLibraryName } from '../names';
import { NAME_MAX } from './format';

export interface DynamicLibrary {
  name: string;
  text?: Section;
  data?: Section;
  bss?: Section;
  /** The library's constructor table (inside `data`), if the linker script exported it. */
  ctors?: { address: number; count: number; reversed: boolean };
}

/**
 * After the split each library section leaves a NOBITS placeholder at its address in the
 * stripped firmware, holding the library's symbols: addr2line, GDB and PlatformIO's
 * exception decoder resolve an address only inside an allocated section. The prefix is not
 * `.mm.`, so nothing that looks for libraries to split, count or load finds them.
 */
const PLACEHOLDER_PREFIX = '.esp32mm.';
const PLACEHOLDER_SECTION = /^\.esp32mm\.[A-Za-z_][A-Za-z0-9_-]*\.(text|data|bss)$/;

export function placeholderSectionName(library: string, kind: 'text' | 'data' | 'bss'): string {
  return `${PLACEHOLDER_PREFIX}${library}.${kind}`;
}

/** A placeholder takes no image bytes and no memory of the firmware: its library is loaded from a file. */
export function isPlaceholderSection(name: string): boolean {
  return PLACEHOLDER_SECTION.test(name);
}

/** A library name that breaks the rule of src/core/names.ts, or longer than a file header holds (NAME_MAX). */
export class LibraryNameError extends SplitError {
  override readonly code = 'LIBRARY_NAME';
  constructor(
    readonly libraryName: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The one check of a library name, for every name from a file: ELF sections here, and
 * `custom_mm_libs` in the extension. `where` says where the name was found.
 */
export function checkLibraryName(name: string, where: string): void {
  if (isLibraryName(name) && name.length <= NAME_MAX) return;
  const shown = JSON.stringify(name);
  throw new LibraryNameError(
    name,
    name.length > NAME_MAX && isLibraryName(name)
      ? `library name ${shown} (${where}) is ${name.length} characters, more than the ${NAME_MAX} a library file header holds: rename the lib/ folder`
      : `library name ${shown} (${where}) cannot be used: a library name may contain only letters, digits, _ and -, ` +
          'must start with a letter or _, and becomes a file name — rename the lib/ folder (or the .mm section in the linker script)',
  );
}

/** Every name valid, and no two that one file system may treat as one file (`Lib_e` and `lib_e` on Windows or macOS). */
export function checkLibraryNames(names: string[], where: string): void {
  for (const n of names) checkLibraryName(n, where);
  const seen = new Map<string, string>();
  for (const n of names) {
    const other = seen.get(n.toLowerCase());
    if (other !== undefined && other !== n) {
      throw new LibraryNameError(
        n,
        `libraries ${JSON.stringify(other)} and ${JSON.stringify(n)} differ only in case: their files would overwrite each other on Windows and macOS — rename one`,
      );
    }
    seen.set(n.toLowerCase(), n);
  }
}

export function findDynamicLibraries(elf: ElfFile): DynamicLibrary[] {
  const byName = new Map<string, DynamicLibrary>();
  for (const s of elf.sections) {
    const m = MM_SECTION.exec(s.name);
    if (!m) continue;
    checkLibraryName(m[1], `from ELF section ${JSON.stringify(s.name)}`);
    const lib = byName.get(m[1]) ?? { name: m[1] };
    lib[m[2] as 'text' | 'data' | 'bss'] = s;
    byName.set(m[1], lib);
  }
  const libs = [...byName.values()];
  checkLibraryNames(
    libs.map((l) => l.name),
    "from the ELF's .mm sections",
  );
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

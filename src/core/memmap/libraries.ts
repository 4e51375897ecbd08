// The libraries of the model: per-library totals by region, kind and output section, the
// library a map record's file belongs to, and the dynamic libraries' slot and savings.
import { libraryArchive } from '../conventions';
import { baseName, splitArchiveMember } from '../mapfile/parse';
import { sum, type ModelContext } from './context';
import type { DynamicSection } from './slots';
import type { LibraryEntry, SectionEntry, SectionKind, SlotEntry } from './types';

/** `libdriver.a` → `driver`; `main.cpp.o` → `main.cpp`. */
export function libraryName(file: string): string {
  const m = /^lib(.+)\.a$/.exec(file);
  if (m) return m[1];
  return file.replace(/\.(o|obj)$/, '');
}

/** The library a map record's file belongs to: its archive, a loose object, the linker or its stubs. */
export function libraryOfFile(file: string | undefined): { archive: string; name: string } {
  if (!file) return { archive: '', name: '(linker)' };
  if (file === 'linker stubs') return { archive: '', name: '(linker stubs)' };
  const archive = baseName(splitArchiveMember(file).path);
  return { archive, name: libraryName(archive) };
}

export class LibraryTotals {
  readonly entries = new Map<string, LibraryEntry>();
  /** Bytes of each library that lie outside its own `.mm.<lib>.*` sections. */
  readonly outsideOwnSections = new Map<string, number>();

  entry(name: string, archive: string): LibraryEntry {
    let e = this.entries.get(archive + '\0' + name);
    if (!e) {
      e = { name, archive, dynamic: false, total: 0, byRegion: {}, byKind: {}, bySection: {} };
      this.entries.set(archive + '\0' + name, e);
    }
    return e;
  }

  add(name: string, archive: string, section: SectionEntry, kind: SectionKind, bytes: number): void {
    if (bytes !== 0) this.addTo(this.entry(name, archive), section, kind, bytes);
  }

  addTo(e: LibraryEntry, section: SectionEntry, kind: SectionKind, bytes: number): void {
    e.total += bytes;
    e.byRegion[section.region] = (e.byRegion[section.region] ?? 0) + bytes;
    e.byKind[kind] = (e.byKind[kind] ?? 0) + bytes;
    e.bySection[section.name] = (e.bySection[section.name] ?? 0) + bytes;
  }

  /** Bytes of a library in one section; `ownLibrary`: the library whose `.mm.*` section it is, if any. */
  credit(lib: LibraryEntry, kind: SectionKind, bytes: number, entry: SectionEntry, ownLibrary: LibraryEntry | undefined): void {
    this.addTo(lib, entry, kind, bytes);
    if (lib !== ownLibrary) this.outsideOwnSections.set(lib.name, (this.outsideOwnSections.get(lib.name) ?? 0) + bytes);
  }

  private readonly fileCache = new Map<string, LibraryEntry>();
  private lastFile?: string;
  private lastLibrary?: LibraryEntry;

  /** The entry of libraryOfFile(file). */
  ofFile(file: string | undefined): LibraryEntry {
    const key = file ?? '';
    // Records of one object follow each other: skip the lookup for a repeated file.
    if (key === this.lastFile) return this.lastLibrary!;
    let hit = this.fileCache.get(key);
    if (!hit) {
      const { name, archive } = libraryOfFile(file);
      hit = this.entry(name, archive);
      this.fileCache.set(key, hit);
    }
    this.lastFile = key;
    this.lastLibrary = hit;
    return hit;
  }
}

/** The libraries with bytes, largest first; the dynamic ones with their slot, what moved out and the flash it saves. */
export function libraryList(ctx: ModelContext, libs: LibraryTotals, dynamic: DynamicSection[], slots: SlotEntry[]): LibraryEntry[] {
  const list = [...libs.entries.values()].filter((l) => l.total > 0);
  const dynamicNames = [...new Set(dynamic.map((d) => d.library))];
  for (const name of dynamicNames) {
    let lib =
      list.find((l) => l.name === name && (l.archive === libraryArchive(name) || l.archive === '')) ?? list.find((l) => l.name === name);
    if (!lib) {
      // Split out entirely: nothing of it is left in this ELF, but it is still part of the program.
      lib = { name, archive: libraryArchive(name), dynamic: true, total: 0, byRegion: {}, byKind: {}, bySection: {} };
      list.push(lib);
    }
    const parts = dynamic.filter((d) => d.library === name);
    const size = (kind: string) => sum(parts.filter((p) => p.kind === kind).map((p) => p.size));
    lib.dynamic = true;
    lib.slot = slots.find((s) => s.libraries.includes(name))?.name;
    lib.moved = { text: size('text'), data: size('data'), bss: size('bss') };
    lib.flashSaved = sum(parts.filter((p) => p.progbits).map((p) => p.size));
    const resident = libs.outsideOwnSections.get(name) ?? 0;
    if (resident > 0) {
      ctx.notes.push(
        `${name}: ${resident} bytes stay in the firmware outside its .mm sections (IRAM_ATTR code or data matched by an earlier linker rule)`,
      );
    }
  }
  return list.sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
}

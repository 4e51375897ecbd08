// The split: cut the dynamic libraries out of a linked firmware. Pure part
// (`splitFirmware`: bytes in, bytes out) and file part (`splitFile`: reads the ELF, writes
// every output through temporary files, renames at the end).
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { loadableBytes, readElf, type ElfFile } from '../elf/reader';
import { SectionType, type Section } from '../elf/types';
import { removeSections, symbolPatch, type SegmentHole } from '../elf/writer';
import { CODE_FILE_SUFFIX, DATA_FILE_SUFFIX, SPLIT_MARKER_SECTION } from '../conventions';
import { crc32 } from '../util/crc32';
import { writeFilesAtomically } from '../util/atomic';
import { INPUT_LIMITS, readInputFile } from '../util/input';
import { fileInside } from '../util/paths';
import { BUILD_ID_SYMBOL, computeBuildId, toHex } from './buildid';
import { SplitError } from './errors';
import { encodeLibraryFile, FLAG_CTORS_REVERSED, type FileKind } from './format';
import { notLinkedMessage } from '../link/mapcheck';
import { findDynamicLibraries, placeholderSectionName, type DynamicLibrary } from './libraries';

export { SPLIT_MARKER_SECTION };

export { SplitError };

export interface SplitFile {
  file: string;
  kind: FileKind;
  bytes: Uint8Array;
  loadAddress: number;
  payloadLength: number;
  bssLength?: number;
}

export interface SplitLibraryReport {
  name: string;
  textAddress?: number;
  textSize: number;
  dataAddress?: number;
  dataSize: number;
  bssSize: number;
  ctorCount: number;
  /** For a flash-slot library: its image's offset in the mmlib partition (docs/design.md §6a). */
  flashOffset?: number;
  files: SplitFile[];
}

/** A warning of the split, with the library it is about (none: the firmware's own). */
export interface SplitWarning {
  message: string;
  library?: string;
}

export interface SplitResult {
  buildId: string;
  libraries: SplitLibraryReport[];
  strippedElf: Uint8Array;
  /** Bytes of loadable segment contents (what goes to flash) before and after. */
  loadableBytesBefore: number;
  loadableBytesAfter: number;
  holes: SegmentHole[];
  warnings: SplitWarning[];
  manifest: Manifest;
}

export interface Manifest {
  format: 1;
  buildId: string;
  firmware: string;
  libraries: ManifestLibrary[];
}

export interface ManifestLibrary {
  name: string;
  /** Only for a flash slot's library (docs/design.md §6a): its code executes in place from flash. */
  code?: 'flash';
  /** Its image's offset in the mmlib partition (`_mm_<lib>_flash_offset`), hex. */
  flashOffset?: string;
  files: ManifestFile[];
}

export interface ManifestFile {
  file: string;
  kind: FileKind;
  size: number;
  crc32: string;
  loadAddress: string;
  payloadLength: number;
  bssLength?: number;
}

const hex32 = (n: number) => '0x' + n.toString(16).padStart(8, '0');

/** The libraries to split: all found, or exactly the requested ones. */
function chooseLibraries(elf: ElfFile, requested: string[] | undefined): DynamicLibrary[] {
  const found = findDynamicLibraries(elf);
  if (!requested || requested.length === 0) {
    if (found.length === 0) {
      throw new SplitError(
        'no dynamic libraries in this firmware: no sections named .mm.<lib>.text/.data/.bss. ' +
          'Install the build integration (esp32mm init) and rebuild, or check that custom_mm_libs names your lib/ folders.',
      );
    }
    return found;
  }
  const missing = requested.filter((name) => !found.some((l) => l.name === name));
  if (missing.length) {
    const known = found.length ? found.map((l) => l.name).join(', ') : 'none';
    throw new SplitError(`library ${missing.join(', ')} not found in the firmware (no .mm.<lib>.* sections); libraries found: ${known}`);
  }
  return found.filter((l) => requested.includes(l.name));
}

function payloadOf(elf: ElfFile, s: Section | undefined): Uint8Array {
  if (!s) return new Uint8Array(0);
  if (s.type === SectionType.NOBITS)
    throw new SplitError(`${s.name} has no contents in the file (NOBITS); its library cannot be loaded from a file`);
  return elf.sectionData(s);
}

function libraryFiles(elf: ElfFile, lib: DynamicLibrary, buildId: Uint8Array): SplitFile[] {
  const text = payloadOf(elf, lib.text);
  const data = payloadOf(elf, lib.data);
  const bssLength = lib.bss?.size ?? 0;
  const base = { name: lib.name, buildId, bssAddress: 0, bssLength: 0, ctorAddress: 0, ctorCount: 0, flags: 0 };
  const code = encodeLibraryFile({ ...base, kind: 'code', loadAddress: lib.text?.addr ?? 0 }, text);
  const dataFile = encodeLibraryFile(
    {
      ...base,
      kind: 'data',
      loadAddress: lib.data?.addr ?? 0,
      bssAddress: lib.bss?.addr ?? 0,
      bssLength,
      ctorAddress: lib.ctors?.address ?? 0,
      ctorCount: lib.ctors?.count ?? 0,
      flags: lib.ctors?.reversed ? FLAG_CTORS_REVERSED : 0,
    },
    data,
  );
  return [
    { file: lib.name + CODE_FILE_SUFFIX, kind: 'code', bytes: code, loadAddress: lib.text?.addr ?? 0, payloadLength: text.length },
    {
      file: lib.name + DATA_FILE_SUFFIX,
      kind: 'data',
      bytes: dataFile,
      loadAddress: lib.data?.addr ?? 0,
      payloadLength: data.length,
      bssLength,
    },
  ];
}

function checkLibrary(lib: DynamicLibrary, warnings: SplitWarning[]): void {
  if (lib.text && lib.text.size % 4 !== 0) {
    throw new SplitError(
      `.mm.${lib.name}.text is ${lib.text.size} bytes, not a multiple of 4: IRAM accepts only 32-bit writes (align the section end in the linker script)`,
    );
  }
  if (
    lib.ctors &&
    lib.data &&
    (lib.ctors.address < lib.data.addr || lib.ctors.address + lib.ctors.count * 4 > lib.data.addr + lib.data.size)
  ) {
    throw new SplitError(`the constructor table of ${lib.name} (${hex32(lib.ctors.address)}) is not inside .mm.${lib.name}.data`);
  }
  if (isEmpty(lib)) return;
  if (!lib.text && !lib.data) warnings.push({ library: lib.name, message: `${lib.name} has only bss; nothing to load` });
  else if ((lib.text?.size ?? 0) === 0 && (lib.data?.size ?? 0) === 0) {
    warnings.push({
      library: lib.name,
      message: `${lib.name}: its .mm sections hold only bss — the linker placed its code and data elsewhere (an earlier rule matched first?)`,
    });
  }
}

/** No byte of the library is in the link (--gc-sections removed it, or nothing uses it). */
function isEmpty(lib: DynamicLibrary): boolean {
  return (lib.text?.size ?? 0) === 0 && (lib.data?.size ?? 0) === 0 && (lib.bss?.size ?? 0) === 0;
}

export function splitFirmware(bytes: Uint8Array, options: { libs?: string[]; firmwareName?: string } = {}): SplitResult {
  const elf = readElf(bytes);
  const marker = elf.section(SPLIT_MARKER_SECTION);
  if (marker) {
    const text = new TextDecoder().decode(elf.sectionData(marker)).trim();
    throw new SplitError(`this firmware was already split (${text}); split the original (.full.elf) or rebuild`);
  }
  const chosen = chooseLibraries(elf, options.libs);
  const warnings: SplitWarning[] = [];
  chosen.forEach((l) => checkLibrary(l, warnings));
  // A library with no bytes gets no files (they would be 128-byte headers around nothing);
  // its empty sections still go.
  const libs = chosen.filter((l) => !isEmpty(l));
  for (const l of chosen.filter(isEmpty))
    warnings.push({ library: l.name, message: notLinkedMessage(l.name, 'its .mm sections are empty, so no files were written for it') });
  const buildId = computeBuildId(elf);
  const files = libs.map((lib) => libraryFiles(elf, lib, buildId));

  const removed = chosen
    .flatMap((l) => [l.text, l.data, l.bss])
    .filter((s): s is Section => !!s)
    .map((s) => s.name);
  const placeholders = new Map(
    libs.flatMap((l) =>
      (['text', 'data', 'bss'] as const).flatMap((kind) =>
        l[kind] ? [[l[kind]!.name, placeholderSectionName(l.name, kind)] as const] : [],
      ),
    ),
  );
  const markerText = new TextEncoder().encode(`esp32mm-split v1 build-id ${toHex(buildId)}\n`);
  const hasIdSymbol = elf.symbol(BUILD_ID_SYMBOL) !== undefined;
  const patches = hasIdSymbol ? [symbolPatch(elf, BUILD_ID_SYMBOL, buildId)] : [];
  const stripped = removeSections(elf, removed, [{ name: SPLIT_MARKER_SECTION, data: markerText }], patches, { placeholders });
  if (!hasIdSymbol)
    warnings.push({
      message: `the firmware has no ${BUILD_ID_SYMBOL} symbol: the device cannot check that library files match this firmware (link the Memory Manager device library)`,
    });
  const ownerOf = new Map(
    chosen.flatMap((l) => [l.text, l.data, l.bss].filter((s): s is Section => !!s).map((s) => [s.name, l.name] as const)),
  );
  // A bss hole takes no file bytes: nothing of the library stays in the image.
  for (const hole of stripped.holes.filter((h) => h.fileBytes > 0)) {
    warnings.push({
      library: ownerOf.get(hole.section),
      message: `${hole.section} sat inside a firmware segment: its ${hole.fileBytes} bytes were zeroed but still take space in the image (give the .mm sections their own PHDRS)`,
    });
  }

  const libraries = libs.map((lib, i) => ({
    name: lib.name,
    textAddress: lib.text?.addr,
    textSize: lib.text?.size ?? 0,
    dataAddress: lib.data?.addr,
    dataSize: lib.data?.size ?? 0,
    bssSize: lib.bss?.size ?? 0,
    ctorCount: lib.ctors?.count ?? 0,
    ...flashOffsetOf(elf, lib.name),
    files: files[i],
  }));
  return {
    buildId: toHex(buildId),
    libraries,
    strippedElf: stripped.bytes,
    holes: stripped.holes,
    warnings,
    loadableBytesBefore: loadableBytes(elf.segments),
    loadableBytesAfter: loadableBytes(stripped.segments),
    manifest: buildManifest(toHex(buildId), options.firmwareName ?? 'firmware.elf', libraries),
  };
}

/** A flash slot's library has the absolute symbol `_mm_<lib>_flash_offset` the fragment defines. */
function flashOffsetOf(elf: ElfFile, lib: string): { flashOffset?: number } {
  const sym = elf.symbol(`_mm_${lib}_flash_offset`);
  return sym ? { flashOffset: Number(sym.value) } : {};
}

function buildManifest(buildId: string, firmware: string, libraries: SplitLibraryReport[]): Manifest {
  return {
    format: 1,
    buildId,
    firmware,
    libraries: libraries.map((l) => ({
      name: l.name,
      ...(l.flashOffset !== undefined ? { code: 'flash' as const, flashOffset: hex32(l.flashOffset) } : {}),
      files: l.files.map((f) => ({
        file: f.file,
        kind: f.kind,
        size: f.bytes.length,
        crc32: hex32(crc32(f.bytes)),
        loadAddress: hex32(f.loadAddress),
        payloadLength: f.payloadLength,
        ...(f.bssLength !== undefined ? { bssLength: f.bssLength } : {}),
      })),
    })),
  };
}

/** `firmware.elf` → `firmware.full.elf`, beside it. */
export function fullElfPath(elfPath: string): string {
  const name = basename(elfPath);
  const stem = name.endsWith('.elf') ? name.slice(0, -4) : name;
  return join(dirname(elfPath), `${stem}.full.elf`);
}

/**
 * Split `elfPath` in place: library files and manifest.json into `outDir`, the original
 * kept as `<name>.full.elf`, the stripped ELF replacing the input. Nothing is changed
 * unless every output could be written. `source` is the ELF to read when it is not
 * `elfPath` itself (a split again from the kept original, src/core/split/workflow.ts).
 */
export async function splitFile(elfPath: string, outDir: string, libs?: string[], source = elfPath): Promise<SplitResult> {
  const bytes = new Uint8Array(
    await readInputFile(source, { what: 'ELF file', maxBytes: INPUT_LIMITS.elf, missingHint: 'build the project first' }),
  );
  const result = splitFirmware(bytes, { libs, firmwareName: basename(elfPath) });
  // The debugger's copy is as executable as the ELF it was.
  const elfMode = (await stat(source)).mode & 0o7777;
  await writeFilesAtomically([
    ...result.libraries.flatMap((l) => l.files.map((f) => ({ path: fileInside(outDir, f.file), data: f.bytes }))),
    { path: fileInside(outDir, 'manifest.json'), data: JSON.stringify(result.manifest, null, 2) + '\n' },
    { path: fullElfPath(elfPath), data: bytes, mode: elfMode },
    // Last: once the stripped ELF is in place, the split is complete.
    { path: elfPath, data: result.strippedElf },
  ]);
  return result;
}

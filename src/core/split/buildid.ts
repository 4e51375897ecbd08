// The firmware build id (docs/format.md): SHA-256 over the allocated sections of the
// unsplit ELF, with the bytes of `mm_build_id` itself read as zeros so that patching the
// id into the stripped firmware does not change it.
import { createHash } from 'node:crypto';
import type { ElfFile } from '../elf/reader';
import { SectionType, SHF_ALLOC } from '../elf/types';
import { symbolFileRange } from '../elf/writer';

export const BUILD_ID_SYMBOL = 'mm_build_id';

export function computeBuildId(elf: ElfFile): Uint8Array {
  const hash = createHash('sha256');
  const idSymbol = elf.symbol(BUILD_ID_SYMBOL);
  const idRange = idSymbol ? symbolFileRange(elf, idSymbol) : undefined;
  const field = new DataView(new ArrayBuffer(16));
  for (const s of elf.sections) {
    if ((s.flags & SHF_ALLOC) === 0 || s.size === 0) continue;
    hash.update(s.name);
    field.setFloat64(0, s.addr);
    field.setFloat64(8, s.size);
    hash.update(new Uint8Array(field.buffer));
    if (s.type === SectionType.NOBITS) continue;
    let data = elf.sectionData(s);
    if (idRange && idRange.offset >= s.offset && idRange.offset < s.offset + s.size) {
      data = data.slice();
      data.fill(0, idRange.offset - s.offset, idRange.offset - s.offset + idRange.size);
    }
    hash.update(data);
  }
  return new Uint8Array(hash.digest());
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

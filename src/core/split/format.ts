// The <lib>_e / <lib>_d file header (docs/format.md; C twin: firmware/src/mm_format.h).
import { crc32 } from '../util/crc32';
import { Esp32mmError } from '../errors';

export const HEADER_SIZE = 128;
export const FORMAT_VERSION = 1;
export const MAGIC = 'MMLB';
export const NAME_MAX = 31;
export const BUILD_ID_LENGTH = 32;
export const FLAG_CTORS_REVERSED = 0x01;

export type FileKind = 'code' | 'data';

export interface LibraryFileHeader {
  kind: FileKind;
  flags: number;
  loadAddress: number;
  payloadLength: number;
  payloadCrc32: number;
  bssAddress: number;
  bssLength: number;
  ctorAddress: number;
  ctorCount: number;
  name: string;
  buildId: Uint8Array;
}

export class FormatError extends Esp32mmError {
  readonly code = 'FORMAT';
}

/** Header + payload as one file. */
export function encodeLibraryFile(h: Omit<LibraryFileHeader, 'payloadLength' | 'payloadCrc32'>, payload: Uint8Array): Uint8Array {
  const name = new TextEncoder().encode(h.name);
  if (name.length === 0 || name.length > NAME_MAX) throw new FormatError(`library name '${h.name}' must be 1..${NAME_MAX} bytes`);
  if (h.buildId.length !== BUILD_ID_LENGTH) throw new FormatError(`build id must be ${BUILD_ID_LENGTH} bytes`);
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  v.setUint16(4, FORMAT_VERSION, true);
  v.setUint8(6, h.kind === 'code' ? 0x45 : 0x44);
  v.setUint8(7, h.flags);
  v.setUint32(8, HEADER_SIZE, true);
  v.setUint32(12, h.loadAddress, true);
  v.setUint32(16, payload.length, true);
  v.setUint32(20, crc32(payload), true);
  v.setUint32(24, h.bssAddress, true);
  v.setUint32(28, h.bssLength, true);
  v.setUint32(32, h.ctorAddress, true);
  v.setUint32(36, h.ctorCount, true);
  out.set(name, 48);
  out.set(h.buildId, 80);
  v.setUint32(124, crc32(out.subarray(0, 124)), true);
  out.set(payload, HEADER_SIZE);
  return out;
}

/** Parse and verify a whole file (header CRC, length, payload CRC). */
export function decodeLibraryFile(file: Uint8Array): { header: LibraryFileHeader; payload: Uint8Array } {
  if (file.length < HEADER_SIZE) throw new FormatError(`file is ${file.length} bytes, shorter than the ${HEADER_SIZE}-byte header`);
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (new TextDecoder().decode(file.subarray(0, 4)) !== MAGIC) throw new FormatError('not a Memory Manager library file (bad magic)');
  if (v.getUint16(4, true) !== FORMAT_VERSION) throw new FormatError(`unsupported format version ${v.getUint16(4, true)}`);
  if (v.getUint32(124, true) !== crc32(file.subarray(0, 124))) throw new FormatError('header CRC mismatch');
  const kindByte = v.getUint8(6);
  if (kindByte !== 0x45 && kindByte !== 0x44) throw new FormatError(`unknown file kind 0x${kindByte.toString(16)}`);
  const payloadLength = v.getUint32(16, true);
  if (HEADER_SIZE + payloadLength !== file.length)
    throw new FormatError(`payload length ${payloadLength} does not match the file size ${file.length}`);
  const payload = file.subarray(HEADER_SIZE);
  const payloadCrc32 = v.getUint32(20, true);
  if (crc32(payload) !== payloadCrc32) throw new FormatError('payload CRC mismatch');
  const nameBytes = file.subarray(48, 80);
  const nul = nameBytes.indexOf(0);
  return {
    header: {
      kind: kindByte === 0x45 ? 'code' : 'data',
      flags: v.getUint8(7),
      loadAddress: v.getUint32(12, true),
      payloadLength,
      payloadCrc32,
      bssAddress: v.getUint32(24, true),
      bssLength: v.getUint32(28, true),
      ctorAddress: v.getUint32(32, true),
      ctorCount: v.getUint32(36, true),
      name: new TextDecoder().decode(nul >= 0 ? nameBytes.subarray(0, nul) : nameBytes),
      buildId: file.slice(80, 112),
    },
    payload,
  };
}

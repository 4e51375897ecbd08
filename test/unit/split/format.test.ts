// The library file header: the layout of docs/format.md, byte for byte, and its checks.
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeLibraryFile, encodeLibraryFile, FormatError, HEADER_SIZE } from '../../../src/core/split/format';
import { crc32 } from '../../../src/core/util/crc32';

const buildId = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const payload = Uint8Array.from({ length: 40 }, (_, i) => (i * 13) & 0xff);
const file = encodeLibraryFile(
  {
    kind: 'data',
    flags: 1,
    loadAddress: 0x3ffd0000,
    bssAddress: 0x3ffd0028,
    bssLength: 64,
    ctorAddress: 0x3ffd0020,
    ctorCount: 2,
    name: 'TinyClassifier',
    buildId,
  },
  payload,
);

describe('library file format', () => {
  it('crc32 matches zlib', () => {
    for (const n of [0, 1, 7, 1000, 65537]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
      expect(crc32(data)).toBe(zlibCrc32(data));
    }
    expect(crc32(new TextEncoder().encode('56789'), crc32(new TextEncoder().encode('1234')))).toBe(0xcbf43926);
  });

  it('puts every field at the offset docs/format.md gives', () => {
    const v = new DataView(file.buffer);
    expect(new TextDecoder().decode(file.subarray(0, 4))).toBe('MMLB');
    expect(v.getUint16(4, true)).toBe(1);
    expect(String.fromCharCode(file[6])).toBe('D');
    expect(file[7]).toBe(1);
    expect(v.getUint32(8, true)).toBe(HEADER_SIZE);
    expect(v.getUint32(12, true)).toBe(0x3ffd0000);
    expect(v.getUint32(16, true)).toBe(40);
    expect(v.getUint32(20, true)).toBe(zlibCrc32(payload));
    expect([v.getUint32(24, true), v.getUint32(28, true), v.getUint32(32, true), v.getUint32(36, true)]).toEqual([
      0x3ffd0028, 64, 0x3ffd0020, 2,
    ]);
    expect(new TextDecoder().decode(file.subarray(48, 62))).toBe('TinyClassifier');
    expect(file.subarray(62, 80).every((b) => b === 0)).toBe(true);
    expect(file.subarray(80, 112)).toEqual(buildId);
    expect(v.getUint32(124, true)).toBe(zlibCrc32(file.subarray(0, 124)));
    expect(file.subarray(128)).toEqual(payload);
  });

  it('decodes what it encodes', () => {
    const { header, payload: p } = decodeLibraryFile(file);
    expect(header).toMatchObject({
      kind: 'data',
      name: 'TinyClassifier',
      loadAddress: 0x3ffd0000,
      payloadLength: 40,
      bssLength: 64,
      ctorCount: 2,
    });
    expect(p).toEqual(payload);
  });

  it('rejects damaged files with the reason', () => {
    const flip = (at: number) => {
      const c = file.slice();
      c[at] ^= 0x01;
      return c;
    };
    expect(() => decodeLibraryFile(file.subarray(0, 100))).toThrow(/shorter than the 128-byte header/);
    expect(() => decodeLibraryFile(flip(0))).toThrow(/bad magic/);
    expect(() => decodeLibraryFile(flip(12))).toThrow(/header CRC/);
    expect(() => decodeLibraryFile(flip(130))).toThrow(/payload CRC/);
    expect(() => decodeLibraryFile(file.subarray(0, file.length - 1))).toThrow(/does not match the file size/);
    expect(() =>
      encodeLibraryFile(
        {
          kind: 'code',
          flags: 0,
          loadAddress: 0,
          bssAddress: 0,
          bssLength: 0,
          ctorAddress: 0,
          ctorCount: 0,
          name: 'x'.repeat(32),
          buildId,
        },
        payload,
      ),
    ).toThrow(FormatError);
  });
});

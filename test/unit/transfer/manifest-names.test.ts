// A split folder's manifest.json comes with a cloned project: the files it names are only
// ever plain files of that folder, so an upload cannot read and send anything else.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TransferError, collectFiles } from '../../../src/core/transfer';
import { crc32 } from '../../../src/core/util/crc32';

const SECRET = Buffer.from('not for the board');

/** <tmp>/secret beside <tmp>/project/sd/mm/ holding a manifest that names `file`. */
function splitFolder(file: string, manifest?: string): string {
  const top = mkdtempSync(join(tmpdir(), 'mm-manifest-'));
  writeFileSync(join(top, 'secret'), SECRET);
  const dir = join(top, 'project', 'sd', 'mm');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Lib_e'), Buffer.alloc(16, 1));
  const entry = { file, kind: 'code', size: SECRET.length, crc32: '0x' + crc32(SECRET).toString(16) };
  writeFileSync(join(dir, 'manifest.json'), manifest ?? JSON.stringify({ format: 1, libraries: [{ name: 'Lib', files: [entry] }] }));
  return dir;
}

function refusal(dir: string): TransferError {
  try {
    collectFiles([dir]);
  } catch (e) {
    return e as TransferError;
  }
  throw new Error('collectFiles accepted the folder');
}

describe('manifest.json file names', () => {
  it.each([
    ['../../../secret'],
    ['../../../../secret'],
    ['sub/../../../../secret'],
    ['/etc/passwd'],
    ['..'],
    ['.'],
    [''],
    ['a\\..\\..\\secret'],
    ['C:secret'],
    ['Lib_e\n'],
    ['Lib_e\u0000'],
  ])('refuses %j before reading anything', (name) => {
    const e = refusal(splitFolder(name));
    expect(e).toBeInstanceOf(TransferError);
    expect(e.code).toBe('LOCAL_FILE');
    expect(e.message).toMatch(/names the file .*only plain file names in the manifest's own folder.*split again/);
  });

  it('refuses a listed name that is a symbolic link out of the folder', () => {
    const dir = splitFolder('Leak_e');
    symlinkSync('../../../secret', join(dir, 'Leak_e'));
    expect(refusal(dir).message).toMatch(/Leak_e is listed in .*manifest\.json but is not a regular file \(a symbolic link\)/);
  });

  it('says which listed file is missing instead of a raw ENOENT', () => {
    expect(refusal(splitFolder('Gone_e')).message).toMatch(/Gone_e is listed in .*manifest\.json but missing: split again/);
  });

  it('refuses a manifest that is not JSON or does not list files as a split writes them', () => {
    expect(refusal(splitFolder('x', '{"libraries": [')).message).toMatch(/manifest\.json is not valid JSON: split again/);
    expect(refusal(splitFolder('x', '{"libraries": [{"files": [{"file": 7}]}]}')).message).toMatch(/does not list its libraries' files/);
    expect(refusal(splitFolder('x', '{"libraries": "Lib_e"}')).message).toMatch(/does not list its libraries' files/);
  });

  it('still takes the plain names a split writes', () => {
    const dir = splitFolder('Lib_e');
    const body = Buffer.alloc(16, 1);
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({ libraries: [{ name: 'Lib', files: [{ file: 'Lib_e', size: 16, crc32: '0x' + crc32(body).toString(16) }] }] }),
    );
    expect(collectFiles([dir]).files.map((f) => f.name)).toEqual(['Lib_e', 'manifest.json']);
  });
});

// custom_mm_libs comes from a project someone cloned: its names become file names, section
// names and symbols, so readMmOptions (used by the extension and the doctor) refuses hostile ones.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject, readMmOptions } from '../../../src/core/platformio/project';
import { LibraryNameError } from '../../../src/core/split/libraries';

function projectWith(libs: string) {
  const dir = mkdtempSync(join(tmpdir(), 'esp32mm-project-'));
  writeFileSync(join(dir, 'platformio.ini'), `[env:cam]\nboard = esp32cam\ncustom_mm_libs = ${libs}\n`);
  return loadProject(dir);
}

describe('custom_mm_libs from a cloned project', () => {
  it.each(['../../x/PWNED', 'a/b', 'C:\\\\evil', 'lib\u0000x', 'Ok Lib.a'])('refuses %j before anything uses it', (bad) => {
    expect(() => readMmOptions(projectWith(`TinyClassifier, ${bad}`), 'cam')).toThrow(LibraryNameError);
  });

  it('keeps ordinary and ESP-IDF-style names', () => {
    expect(readMmOptions(projectWith('TinyClassifier, esp-tls, image_filters'), 'cam').libs).toEqual([
      'TinyClassifier',
      'esp-tls',
      'image_filters',
    ]);
  });
});

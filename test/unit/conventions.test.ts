// src/core/conventions.ts: the one home of the names and list rules the link side, the split,
// install and the build hook (through esp32mm config) share.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MM_SECTION,
  isStorage,
  libraryArchive,
  mmSectionName,
  outputFolder,
  splitLines,
  splitList,
  splitMultiValue,
} from '../../src/core/conventions';

describe('conventions', () => {
  it('section names: what mmSectionName writes, MM_SECTION reads back', () => {
    for (const kind of ['text', 'data', 'bss'] as const)
      expect(MM_SECTION.exec(mmSectionName('esp_tls', kind))?.slice(1)).toEqual(['esp_tls', kind]);
    expect(MM_SECTION.test('.mm.A.rodata')).toBe(false);
    expect(libraryArchive('esp-tls')).toBe('libesp-tls.a');
  });

  it("lists: ours split at commas and white space, PlatformIO's at newlines and commas, slots one a line", () => {
    expect(splitList(' A, B\n C ,,D ')).toEqual(['A', 'B', 'C', 'D']);
    expect(splitMultiValue('pre:a b.py, post:memory_manager.py\n  post:c.py\n')).toEqual([
      'pre:a b.py',
      'post:memory_manager.py',
      'post:c.py',
    ]);
    expect(splitLines('ai: A B\n\n  io: C  \n')).toEqual(['ai: A B', 'io: C']);
  });

  it('storage kinds and the folders the split writes into', () => {
    expect(['sd', 'spiffs', 'littlefs', 'SD', 'eeprom', undefined].map(isStorage)).toEqual([true, true, true, false, false, false]);
    expect(outputFolder('sd', '/p', '/p/fs')).toBe(join('/p', 'sd', 'mm'));
    expect(outputFolder('littlefs', '/p', '/p/fs')).toBe(join('/p/fs', 'mm'));
    expect(outputFolder('spiffs', '/p', '/p/data')).toBe(join('/p/data', 'mm'));
  });
});

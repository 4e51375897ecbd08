// Which map rows open something in the project: loose objects their source file in src/,
// lib/ or the env's libdeps; archives their lib/ or libdeps folder; framework archives and
// special rows nothing (the view then shows no link).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { librarySources } from '../../../src/extension/sources';

const root = mkdtempSync(join(tmpdir(), 'esp32mm-sources-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(rel: string): string {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, '/* */\n');
  return p;
}

describe('librarySources', () => {
  it('maps main.cpp.o to src/main.cpp, libFoo.a to lib/Foo, libdeps libraries to their folder', () => {
    const main = file('src/main.cpp');
    file('lib/Foo/src/foo.cpp');
    const loader = file('.pio/libdeps/env1/ESP32MemoryManager/src/mm_loader.c');
    file('lib/Bar/src/main.cpp'); // the same name further down: the project's src/ wins
    const roots = { projectRoot: root, srcDir: join(root, 'src'), libDir: join(root, 'lib'), libdepsDir: join(root, '.pio/libdeps/env1') };
    const got = librarySources(
      [
        { name: 'main.cpp', archive: 'main.cpp.o' },
        { name: 'Foo', archive: 'libFoo.a' },
        { name: 'mm_loader.c', archive: 'mm_loader.c.o' },
        { name: 'ESP32MemoryManager', archive: 'libESP32MemoryManager.a' },
        { name: 'driver', archive: 'libdriver.a' },
        { name: '(global symbols)', archive: '' },
        { name: '(linker)', archive: '' },
        { name: 'gone.c', archive: 'gone.c.o' },
      ],
      roots,
    );
    expect(got).toEqual({
      'main.cpp': main,
      Foo: join(root, 'lib', 'Foo'),
      'mm_loader.c': loader,
      ESP32MemoryManager: join(root, '.pio/libdeps/env1/ESP32MemoryManager'),
    });
  });
});

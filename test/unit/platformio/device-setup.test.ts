// What Install adds for the device: the C prototype reader (what it wraps and what it lists
// as not wrapped), mm_libraries.h for the bundled example's libraries, and the vendoring plan
// (install, up to date, update with files edited in the project named).
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readHeaderFunctions } from '../../../src/core/platformio/cdecl';
import { generateRegistrations, libraryHeaders } from '../../../src/core/platformio/registrations';
import { DEVICE_LIBRARY, bundledDeviceLibrary, planDeviceLibrary, readLibrary, vendorFiles } from '../../../src/core/platformio/vendor';
import { REPO, tempDir } from '../../helpers/tools';

const work = tempDir('esp32mm-device-setup-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('C prototype reader', () => {
  it('wraps plain prototypes (also in extern "C"), names what it cannot wrap and why', () => {
    const r = readHeaderFunctions(`
      #ifndef X_H
      #define X_H \\
        1
      #ifdef __cplusplus
      extern "C" {
      #endif
      int add(int a, int b);              /* a comment (with parens) */
      const char *name(void);
      void reset();
      int sum(const int values[16], unsigned n);
      int logf_(const char *fmt, ...);
      void on(void (*cb)(int));
      int anon(int);
      struct point origin(void);
      static inline int twice(int x) { return 2 * x; }
      typedef int (*handler_t)(int);
      extern int counter;
      #ifdef __cplusplus
      }
      #endif
      class Thing { public: int get() const; };
      namespace ns { int hidden(int x); }
      #endif`);
    expect(r.functions.map((f) => f.name)).toEqual(['add', 'name', 'reset', 'sum']);
    expect(r.functions[3]).toEqual({
      name: 'sum',
      returns: 'int',
      params: [
        { text: 'const int values[16]', name: 'values' },
        { text: 'unsigned n', name: 'n' },
      ],
    });
    expect(Object.fromEntries(r.skipped.map((s) => [s.name, s.why]))).toMatchObject({
      logf_: expect.stringContaining('variadic'),
      on: expect.stringContaining('function-pointer'),
      anon: expect.stringContaining('without a name'),
      origin: expect.stringContaining('struct by value'),
      twice: expect.stringContaining('inline'),
      Thing: expect.stringContaining('mm.create<Thing>'),
      ns: expect.stringContaining('namespace ns'),
    });
  });
});

describe('mm_libraries.h', () => {
  const libDir = join(REPO, 'examples/esp32cam-ai/lib');
  const r = generateRegistrations({
    env: 'esp32cam',
    libs: ['TinyClassifier', 'ImageFilters'],
    slots: ['ai: TinyClassifier ImageFilters'],
    storage: 'sd',
    deviceDir: '/mm',
    headers: ['TinyClassifier', 'ImageFilters'].map((l) => libraryHeaders(libDir, l)),
  });

  it("registers the slot and its libraries and wraps the example's functions", () => {
    expect(r.text).toContain('MM_SLOT(ai)\nMM_LIBRARY(TinyClassifier, ai)\nMM_LIBRARY(ImageFilters, ai)');
    expect(r.text).toContain(
      'MM_LAZY(TinyClassifier, int, tiny_classify, (const uint8_t features[TC_INPUTS]), (features), MM_FALLBACK_tiny_classify)',
    );
    expect(r.text).toContain('MM_LAZY(ImageFilters, const uint32_t *, if_last_histogram, (void), (), MM_FALLBACK_if_last_histogram)');
    expect(r.text).toContain('MemoryManager mm(SD, "/mm");');
    expect(r.wrapped.map((w) => w.fn)).toEqual(['tiny_classify', 'tiny_label', 'if_extract_features', 'if_last_histogram']);
    expect(r.skipped.map((s) => s.name)).toEqual(['Classifier']);
    expect(r.nextSteps).toContain('add these two lines to setup(): SD.begin(); and mm.begin();');
  });

  it('a library of its own slot gets MM_SLOT(<lib>); spiffs uses SPIFFS', () => {
    const own = generateRegistrations({
      env: 'e',
      libs: ['ImageFilters'],
      slots: [],
      storage: 'spiffs',
      deviceDir: '/lib',
      headers: [libraryHeaders(libDir, 'ImageFilters')],
    });
    expect(own.text).toContain('MM_SLOT(ImageFilters)\nMM_LIBRARY(ImageFilters, ImageFilters)');
    expect(own.text).toContain('#include <SPIFFS.h>');
    expect(own.text).toContain('MemoryManager mm(SPIFFS, "/lib");');
  });
});

describe('vendoring the device library', () => {
  const bundled = bundledDeviceLibrary();

  it('is firmware/ of this repository: library.json, README and every source', () => {
    expect(bundled.version).toBe(JSON.parse(readFileSync(join(REPO, 'firmware/library.json'), 'utf8')).version);
    expect([...bundled.files.keys()]).toContain('src/mm_loader.c');
    expect([...bundled.files.keys()]).toContain('library.json');
  });

  it('install, then up to date, then an update that names the file edited in the project', () => {
    const libDir = join(work, 'lib');
    mkdirSync(libDir, { recursive: true });
    const first = planDeviceLibrary(libDir, bundled);
    expect(first.action).toBe('install');
    for (const f of vendorFiles(first, bundled).write) {
      mkdirSync(join(f.path, '..'), { recursive: true });
      writeFileSync(f.path, f.data);
    }
    expect(planDeviceLibrary(libDir, bundled).action).toBe('up-to-date');
    expect(readLibrary(join(libDir, DEVICE_LIBRARY)).files.get('src/mm_loader.c')).toEqual(bundled.files.get('src/mm_loader.c'));

    const dir = join(libDir, DEVICE_LIBRARY);
    writeFileSync(join(dir, 'src/mm_crc32.c'), '/* edited */\n');
    const newer = { version: '0.2.0', files: new Map(bundled.files) };
    newer.files.set('src/mm_new.c', Buffer.from('int x;\n'));
    newer.files.delete('src/mm_port_generic.c');
    const plan = planDeviceLibrary(libDir, newer);
    expect(plan).toMatchObject({
      action: 'update',
      from: bundled.version,
      to: '0.2.0',
      added: ['src/mm_new.c'],
      removed: ['src/mm_port_generic.c'],
      locallyModified: ['src/mm_crc32.c'],
    });
    expect(plan.changed).toContain('src/mm_crc32.c');
  });

  it('a copy without a version record (copied by hand) is an update, not silently kept', () => {
    const libDir = join(work, 'lib2');
    cpSync(join(REPO, 'firmware'), join(libDir, DEVICE_LIBRARY), { recursive: true });
    const plan = planDeviceLibrary(libDir, bundled);
    expect(plan.action).toBe('update');
    expect(plan.from).toBeUndefined();
  });
});

// `mm_libraries.h`, the header Install writes into the project's include folder: the
// MM_SLOT / MM_LIBRARY registrations of the environment's slots and libraries, the storage
// and MemoryManager (and upload agent) objects, and an MM_LAZY wrapper (`mm_lazy_<fn>`) for
// every plain function prototype in each library's headers. What cannot be wrapped is listed
// in the header and in the result. The registrations define objects, so they are compiled
// in the one source file that defines MM_LIBRARIES_REGISTER before including the header.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { libraryIdentifier, validateLinkNames } from '../link/config';
import { readHeaderFunctions, type CFunction, type Skipped } from './cdecl';
import type { Storage } from './project';

export const LIBRARIES_HEADER = 'mm_libraries.h';

export interface LibraryHeaders {
  lib: string;
  /** Header file name (as included) → its text. */
  headers: { file: string; text: string }[];
}

export interface RegistrationInput {
  env: string;
  libs: string[];
  /** custom_mm_slots entries (`ai: A B`). */
  slots: string[];
  storage: Storage;
  deviceDir: string;
  headers: LibraryHeaders[];
}

export interface Registrations {
  text: string;
  wrapped: { lib: string; fn: string }[];
  skipped: (Skipped & { lib: string; header: string })[];
  /** What to add to the sketch, for the next-steps message. */
  nextSteps: string[];
}

const STORAGE: Record<Storage, { header: string; object: string }> = {
  sd: { header: 'SD.h', object: 'SD' },
  spiffs: { header: 'SPIFFS.h', object: 'SPIFFS' },
  littlefs: { header: 'LittleFS.h', object: 'LittleFS' },
};

export function generateRegistrations(input: RegistrationInput): Registrations {
  const config = validateLinkNames({ libs: input.libs, slots: input.slots });
  const fs = STORAGE[input.storage];
  const wrapped: Registrations['wrapped'] = [];
  const skipped: Registrations['skipped'] = [];
  const wrappers: string[] = [];
  for (const { lib, headers } of input.headers) {
    for (const h of headers) {
      const found = readHeaderFunctions(h.text);
      for (const s of found.skipped) skipped.push({ ...s, lib, header: h.file });
      for (const f of found.functions) {
        wrappers.push(...wrapper(lib, f));
        wrapped.push({ lib, fn: f.name });
      }
    }
  }
  const lines = [
    `/* ${LIBRARIES_HEADER}: written by esp32mm Install for [env:${input.env}] from platformio.ini (custom_mm_libs,`,
    " * custom_mm_slots) and the libraries' headers; Install writes it again, so change platformio.ini or the",
    ' * headers, not this file. In the one source file that holds setup(), before the include:',
    ' *   #define MM_LIBRARIES_REGISTER',
    ` * Every other file may include it for the mm_lazy_<function> wrappers. */`,
    '#ifndef MM_LIBRARIES_H',
    '#define MM_LIBRARIES_H',
    '#include <MemoryManager.h>',
    `#include <${fs.header}>`,
    '#if defined(ARDUINO)',
    '#include <mm_agent_arduino.h>',
    '#endif',
    ...input.headers.flatMap(({ headers }) => headers.map((h) => `#include <${h.file}>`)),
    '',
    '#ifdef MM_LIBRARIES_REGISTER',
    ...config.slots.flatMap((slot) => [
      `MM_SLOT(${slot.name})`,
      ...slot.libs.map((lib) => `MM_LIBRARY(${libraryIdentifier(lib)}, ${slot.name})`),
    ]),
    `MemoryManager mm(${fs.object}, ${JSON.stringify(input.deviceDir)});   /* files ${input.deviceDir}/<library>_e and _d */`,
    '#if defined(ARDUINO)',
    `MMAgent mmAgent(${fs.object}, ${JSON.stringify(input.deviceDir)});   /* "Upload Libraries" in VS Code talks to it */`,
    '#endif',
    '#else',
    'extern MemoryManager mm;',
    '#endif',
    '',
    '/* mm_lazy_<function>(…): loads the library on the first call, then calls it; when the load fails',
    ' * it returns MM_FALLBACK_<function> (define it before the include to choose another value) and',
    ' * mm.lastErrorText() says why. */',
    ...wrappers,
    ...(skipped.length
      ? [
          '',
          '/* Not wrapped (call mm.load("<library>") before calling them yourself):',
          ...skipped.map((s) => ` *   ${s.lib}: ${s.name} (${s.header}): ${s.why}`),
          ' */',
        ]
      : []),
    '#endif',
    '',
  ];
  return { text: lines.join('\n'), wrapped, skipped, nextSteps: nextSteps(fs.object) };
}

function wrapper(lib: string, f: CFunction): string[] {
  const params = `(${f.params.map((p) => p.text).join(', ') || 'void'})`;
  const args = `(${f.params.map((p) => p.name).join(', ')})`;
  const id = libraryIdentifier(lib);
  if (f.returns === 'void') return [`MM_LAZY_VOID(${id}, ${f.name}, ${params}, ${args})`];
  const fallback = `MM_FALLBACK_${f.name}`;
  return [
    `#ifndef ${fallback}`,
    `#define ${fallback} ${fallbackFor(f.returns)}`,
    '#endif',
    `MM_LAZY(${id}, ${f.returns}, ${f.name}, ${params}, ${args}, ${fallback})`,
  ];
}

/** -1 for signed numbers (a result a library rarely returns on success), 0 for pointers and unsigned. */
function fallbackFor(returns: string): string {
  if (returns.includes('*')) return '0';
  if (/\b(unsigned|size_t|uint\d+_t|bool|_Bool|float|double)\b/.test(returns)) return '0';
  return '(-1)';
}

function nextSteps(fsObject: string): string[] {
  return [
    `at the top of the source file with setup(): #define MM_LIBRARIES_REGISTER, then #include "${LIBRARIES_HEADER}"`,
    `add these two lines to setup(): ${fsObject}.begin(); and mm.begin();`,
    "call mm_lazy_<function>(…) instead of <function>(…) for the libraries' functions (they load the library first)",
    'for "Upload Libraries to SD Card": mmAgent.begin(); in setup() and mmAgent.poll(); in loop()',
  ];
}

/** The headers a PlatformIO library exposes: `include/`, else `src/`, else its root (top level only). */
export function libraryHeaders(libDir: string, lib: string): LibraryHeaders {
  const root = join(libDir, lib);
  const folder = ['include', 'src', '.']
    .map((d) => join(root, d))
    .find((d) => existsSync(d) && statSync(d).isDirectory() && headerFiles(d).length);
  const headers = folder ? headerFiles(folder).map((file) => ({ file, text: readFileSync(join(folder, file), 'utf8') })) : [];
  return { lib, headers };
}

function headerFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(h|hpp|hh)$/.test(f) && statSync(join(dir, f)).isFile())
    .sort();
}

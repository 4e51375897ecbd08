// ESP-IDF's generated `sdkconfig.h`: what the compiler of a build actually saw. ESP-IDF
// builds write it to `$BUILD_DIR/config/sdkconfig.h` (PlatformIO: `.pio/build/<env>/config/`);
// the Arduino core ships a precompiled one per chip in its SDK folder, found through the
// include paths. Kconfig writes
//   #define CONFIG_NAME 1          a bool option that is on (off ones are left out)
//   #define CONFIG_NAME "text"     a string
//   #define CONFIG_NAME 0x10 / 42  a hex or int option
//   #define CONFIG_OLD CONFIG_NEW  a deprecated name (the "List of deprecated options")
// The result uses the keys of the text sdkconfig (sdkconfig.ts); values are as written,
// strings unquoted, aliases resolved. A bool reads `1` here where the text form says `y`:
// ask `sdkconfigEnabled`, which accepts both.
import { parseSdkconfig, type Sdkconfig } from './sdkconfig';

const DEFINE = /^#\s*define\s+(CONFIG_[A-Za-z0-9_]+)(?:\s+(.*?))?\s*$/;
const ALIAS = /^CONFIG_[A-Za-z0-9_]+$/;

export function parseSdkconfigHeader(text: string): Sdkconfig {
  const out: Sdkconfig = new Map();
  const aliases: [string, string][] = [];
  for (const raw of text.split('\n')) {
    const m = DEFINE.exec(withoutComment(raw.trim()));
    if (!m) continue;
    const value = m[2] ?? '';
    if (ALIAS.test(value)) aliases.push([m[1], value]);
    else out.set(m[1], unquote(value));
  }
  // Deprecated names follow the options they name; an alias of an alias is resolved too.
  for (let changed = true; changed;) {
    changed = false;
    for (const [name, target] of aliases) {
      const value = out.get(target);
      if (value !== undefined && out.get(name) !== value) {
        out.set(name, value);
        changed = true;
      }
    }
  }
  return out;
}

function withoutComment(line: string): string {
  return line
    .replace(/\/\*.*?\*\//g, '')
    .replace(/\/\/.*$/, '')
    .trim();
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1).replace(/\\(["\\])/g, '$1');
  return value;
}

/** Whether the text is a C header (`#define CONFIG_…`) rather than a Kconfig `CONFIG_…=` file. */
export function isSdkconfigHeader(text: string): boolean {
  return /^\s*#\s*define\s+CONFIG_/m.test(text) && !/^CONFIG_[A-Za-z0-9_]+=/m.test(text);
}

/** Either form, told apart by its content (a file named `sdkconfig.h` or `sdkconfig.<env>`). */
export function parseAnySdkconfig(text: string): { config: Sdkconfig; form: 'header' | 'sdkconfig' } {
  return isSdkconfigHeader(text)
    ? { config: parseSdkconfigHeader(text), form: 'header' }
    : { config: parseSdkconfig(text), form: 'sdkconfig' };
}

/** A bool option that is on: `y` in sdkconfig, `1` in sdkconfig.h. */
export function sdkconfigEnabled(config: Sdkconfig, name: string): boolean {
  const v = config.get(name);
  return v === 'y' || v === '1';
}

// The extension speaks VS Code: no message it shows may name a CLI flag (`--map`, `--port`, …).
// Two sources of such text: the extension's own string literals (and the manifest's texts),
// and core's messages, which the extension shows through inVsCodeTerms (messages.ts). Every
// string literal of src/core is put through it here; one flag left fails the test, so a new
// core message with a CLI hint needs a VS Code wording before it ships. Real core errors are
// made and checked too, and notification text is escaped against links.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { escapeNotification, inVsCodeTerms } from '../../../src/extension/messages';
import { chooseEnv, parseIni } from '../../../src/core/platformio/ini';
import { explainOpenError } from '../../../src/core/transfer/serial-link';
import { loadMemoryMap } from '../../../src/core/memmap/load';

const REPO = join(__dirname, '..', '..', '..');
/** A command-line flag; `-Wl,--emit-relocs` is a linker flag for build_flags in platformio.ini, what PlatformIO users write. */
const CLI_FLAG = /(?<!-Wl,)--[a-z]/;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** A character before `/` after which it starts a regular expression, not a division. */
const REGEX_BEFORE = new Set(['', '(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '\n']);

/**
 * The string and template literals of a TypeScript source (comments and regular expressions
 * skipped), `${…}` as `‹…›`, literals joined by `+` merged into one message.
 */
export function stringLiterals(src: string): { text: string; line: number }[] {
  const found: { text: string; start: number; end: number }[] = [];
  let prev = '';
  for (let i = 0; i < src.length;) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      i = src.indexOf('\n', i);
      if (i < 0) break;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      i = src.indexOf('*/', i + 2) + 2;
      continue;
    }
    if (c === '/' && REGEX_BEFORE.has(prev)) {
      let j = i + 1;
      for (let inClass = false; j < src.length && (inClass || src[j] !== '/'); j++) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') inClass = true;
        else if (src[j] === ']') inClass = false;
      }
      i = j + 1;
      prev = '/';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') {
          text += src[j + 1];
          j += 2;
          continue;
        }
        if (c === '`' && src[j] === '$' && src[j + 1] === '{') {
          let depth = 1;
          j += 2;
          while (j < src.length && depth) {
            if (src[j] === '{') depth++;
            else if (src[j] === '}') depth--;
            j++;
          }
          text += '‹…›';
          continue;
        }
        text += src[j++];
      }
      const last = found[found.length - 1];
      if (last && /^\s*\+\s*$/.test(src.slice(last.end, i))) {
        last.text += text;
        last.end = j + 1;
      } else found.push({ text, start: i, end: j + 1 });
      i = j + 1;
      prev = c;
      continue;
    }
    if (!/\s/.test(c) || c === '\n') prev = c === '\n' ? prev : c;
    i++;
  }
  return found.map((f) => ({ text: f.text, line: src.slice(0, f.start).split('\n').length }));
}

/** Literals that are one command-line argument (`'--env'` in an argv array), not text anyone reads. */
const isArgument = (s: string) => /^--[a-z][a-z-]*$/.test(s);

function flagged(files: string[], translate: (s: string) => string): string[] {
  return files.flatMap((f) =>
    stringLiterals(readFileSync(f, 'utf8'))
      .filter((l) => !isArgument(l.text) && CLI_FLAG.test(translate(l.text)))
      .map((l) => `${relative(REPO, f)}:${l.line}: ${translate(l.text).slice(0, 160)}`),
  );
}

/** Core literals that never reach a VS Code message, with why. */
const NOT_SHOWN = [
  /^; >>> esp32mm: added by/, // the marker comment written into platformio.ini (install.ts)
];

describe('messages name VS Code commands and settings, never CLI flags', () => {
  it('finds literals the way the grep must (self-check of the scanner)', () => {
    const src = "const a = /it's --x/; // don't\nthrow new E('one --map ' +\n  `two ${x} three`);\nrun(['--env', 'e']);";
    expect(stringLiterals(src).map((l) => l.text)).toEqual(['one --map two ‹…› three', '--env', 'e']);
  });

  it('the extension and webview sources hold no message with a CLI flag', () => {
    const files = [...tsFiles(join(REPO, 'src', 'extension')), ...tsFiles(join(REPO, 'webview-ui'))];
    expect(files.length).toBeGreaterThan(8);
    expect(flagged(files, (s) => s)).toEqual([]);
  });

  it('the manifest texts (titles, descriptions, welcome views) hold no CLI flag', () => {
    const texts: string[] = [];
    const walk = (v: unknown) => {
      if (typeof v === 'string') texts.push(v);
      else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
    };
    walk(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).contributes);
    expect(texts.filter((t) => CLI_FLAG.test(t))).toEqual([]);
  });

  it('every core message literal is in VS Code terms once the extension shows it', () => {
    const core = tsFiles(join(REPO, 'src', 'core'));
    const withFlags = core.flatMap((f) =>
      stringLiterals(readFileSync(f, 'utf8')).filter((l) => !isArgument(l.text) && CLI_FLAG.test(l.text)),
    );
    expect(withFlags.length).toBeGreaterThan(10); // the scan sees core's CLI hints at all
    const left = flagged(core, inVsCodeTerms).filter((l) => !NOT_SHOWN.some((p) => p.test(l.replace(/^[^:]+:\d+: /, ''))));
    expect(left).toEqual([]);
  });

  it('real core errors read in VS Code terms', async () => {
    let text = '';
    try {
      chooseEnv(parseIni('[env:a]\n[env:b]\n'));
    } catch (e) {
      text = inVsCodeTerms((e as Error).message);
    }
    expect(text).toBe('platformio.ini has several environments (a, b): choose one with Memory Manager: Select Environment');
    const port = inVsCodeTerms(explainOpenError('/dev/ttyUSB9', 'ENOENT: no such file', []).message);
    expect(port).toContain('Memory Manager: Select Serial Port');
    expect(port).not.toMatch(CLI_FLAG);
    const model = await loadMemoryMap({ elf: join(REPO, 'test/fixtures/firmware/out/xtensa/fw.elf'), noMap: true });
    const note = model.notes.find((n) => n.startsWith('No map file'))!;
    expect(note).toMatch(CLI_FLAG); // core speaks CLI …
    expect(inVsCodeTerms(note)).toContain('esp32mm.mapFile'); // … the extension VS Code
    expect(inVsCodeTerms(note)).not.toMatch(CLI_FLAG);
  });

  it('notification text cannot carry a link: [label](command:…) from workspace text stays text', () => {
    const evil = 'library [Click me](command:workbench.action.terminal.new) failed';
    const shown = escapeNotification(evil);
    expect(shown).not.toMatch(/\]\((command|https?|file):/);
    expect(shown.replace(/\u200b/g, '')).toBe(evil);
  });
});

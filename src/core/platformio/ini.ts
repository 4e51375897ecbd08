// platformio.ini, read the way PlatformIO (Python's configparser) reads it, while keeping
// every line as written so that edits can touch only the lines they mean to: comments,
// blank lines, order and line endings (LF or CRLF) survive byte for byte.
import { Esp32mmError, type ErrorCode } from '../errors';

import { splitMultiValue } from '../conventions';

export interface IniLine {
  /** The line without its line ending. */
  text: string;
  /** '\n', '\r\n', '\r' or '' (the last line of a file without a final newline). */
  eol: string;
}

export interface IniOption {
  name: string;
  /** The value with continuation lines joined by '\n' and inline `;` / `#` comments removed. */
  value: string;
  /** Index of the `name = …` line. */
  line: number;
  /** Index of the last line that belongs to the value (a continuation line, or `line`). */
  lastLine: number;
}

export interface IniSection {
  name: string;
  /** Index of the `[name]` line; -1 for options before the first header (not valid in PlatformIO). */
  line: number;
  /** Index one past the section's last line (the next header, or the number of lines). */
  end: number;
  options: IniOption[];
}

export interface IniDocument {
  lines: IniLine[];
  sections: IniSection[];
  /** The line ending new lines should use: the file's first one, else '\n'. */
  eol: string;
}

export class IniError extends Esp32mmError {
  readonly code: ErrorCode = 'INI';
}

export function splitLines(text: string): IniLine[] {
  const lines: IniLine[] = [];
  const re = /\r\n|\n|\r/g;
  let pos = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    lines.push({ text: text.slice(pos, m.index), eol: m[0] });
    pos = m.index + m[0].length;
  }
  if (pos < text.length) lines.push({ text: text.slice(pos), eol: '' });
  return lines;
}

export function joinLines(lines: IniLine[]): string {
  return lines.map((l) => l.text + l.eol).join('');
}

const SECTION = /^\[([^\]]+)\]\s*(?:[;#].*)?$/;
const OPTION = /^([^=:\s][^=:]*?)\s*[=:]\s?(.*)$/;

function isComment(text: string): boolean {
  const t = text.trim();
  return t.startsWith(';') || t.startsWith('#');
}

/** Removes an inline comment: `;` or `#` preceded by whitespace (PlatformIO's configparser takes both). */
export function stripInlineComment(value: string): string {
  const m = /(^|\s)[;#]/.exec(value);
  return (m ? value.slice(0, m.index) : value).trim();
}

export function parseIni(text: string): IniDocument {
  const lines = splitLines(text);
  const sections: IniSection[] = [];
  let section: IniSection | undefined;
  let option: IniOption | undefined;
  const valueParts = new Map<IniOption, string[]>();
  lines.forEach((line, i) => {
    const t = line.text;
    if (!t.trim()) return; // blank: may still be inside a value if indented lines follow
    if (isComment(t)) return;
    const header = /^\s/.test(t) ? null : SECTION.exec(t);
    if (header) {
      if (section) section.end = i;
      section = { name: header[1].trim(), line: i, end: lines.length, options: [] };
      sections.push(section);
      option = undefined;
      return;
    }
    if (/^\s/.test(t) && option) {
      valueParts.get(option)!.push(stripInlineComment(t));
      option.lastLine = i;
      return;
    }
    const m = OPTION.exec(t.trimStart());
    if (!m) throw new IniError(`line ${i + 1}: '${t}' is neither a [section], an option (name = value) nor a comment`);
    if (!section) {
      section = { name: '', line: -1, end: lines.length, options: [] };
      sections.push(section);
    }
    option = { name: m[1].trim().toLowerCase(), value: '', line: i, lastLine: i };
    valueParts.set(option, [stripInlineComment(m[2])]);
    section.options.push(option);
  });
  for (const [opt, parts] of valueParts)
    opt.value = parts
      .filter((p, i) => i === 0 || p !== '')
      .join('\n')
      .replace(/^\n+/, '');
  const firstEol = lines.find((l) => l.eol)?.eol ?? '\n';
  return { lines, sections, eol: firstEol };
}

export function findSection(doc: IniDocument, name: string): IniSection | undefined {
  return doc.sections.find((s) => s.name === name);
}

export function ownOption(doc: IniDocument, section: string, option: string): IniOption | undefined {
  return findSection(doc, section)?.options.find((o) => o.name === option.toLowerCase());
}

export { splitMultiValue };

export function listEnvs(doc: IniDocument): string[] {
  return doc.sections.filter((s) => s.name.startsWith('env:')).map((s) => s.name.slice(4));
}

export function defaultEnvs(doc: IniDocument): string[] {
  const raw = ownOption(doc, 'platformio', 'default_envs')?.value;
  return raw ? splitMultiValue(resolveReferences(doc, raw, 'platformio')) : [];
}

/**
 * The sections an environment reads its options from, first match wins: `[env:NAME]`, the
 * sections it `extends` (depth first, in order), then the common `[env]` section.
 */
export function envSections(doc: IniDocument, env: string): string[] {
  const order: string[] = [];
  const visit = (section: string) => {
    if (order.includes(section)) return;
    order.push(section);
    const ext = ownOption(doc, section, 'extends');
    for (const parent of ext ? splitMultiValue(ext.value) : []) visit(parent);
  };
  visit(`env:${env}`);
  visit('env');
  return order;
}

/** Where an environment's option is defined (see envSections for the order). */
export function optionSource(doc: IniDocument, env: string, option: string): { section: string; option: IniOption } | undefined {
  for (const section of envSections(doc, env)) {
    const own = ownOption(doc, section, option);
    if (own) return { section, option: own };
  }
  return undefined;
}

/** The option's value for an environment, with `${section.option}` references resolved. */
export function envOption(doc: IniDocument, env: string, option: string): string | undefined {
  const src = optionSource(doc, env, option);
  return src === undefined ? undefined : resolveReferences(doc, src.option.value, `env:${env}`);
}

const PLATFORMIO_DEFAULTS: Record<string, string> = {
  workspace_dir: '.pio',
  build_dir: '${platformio.workspace_dir}/build',
  libdeps_dir: '${platformio.workspace_dir}/libdeps',
  data_dir: 'data',
  src_dir: 'src',
  lib_dir: 'lib',
};

export function platformioOption(doc: IniDocument, option: string): string | undefined {
  const own = ownOption(doc, 'platformio', option)?.value;
  const raw = own ?? PLATFORMIO_DEFAULTS[option];
  return raw === undefined ? undefined : resolveReferences(doc, raw, 'platformio');
}

/** Resolves `${section.option}`, `${sysenv.NAME}` and `${this.option}` as PlatformIO does. */
export function resolveReferences(doc: IniDocument, value: string, contextSection: string, depth = 0): string {
  if (depth > 16) throw new IniError(`\${…} references nest more than 16 deep (a cycle?) in '${value}'`);
  return value.replace(/\$\{([^.}()]+)\.([^}]+)\}/g, (whole, section: string, option: string) => {
    if (section === 'sysenv') return process.env[option] ?? '';
    if (section === 'this') section = contextSection;
    if (section === 'platformio') {
      const v = platformioOption(doc, option);
      if (v === undefined) throw new IniError(`${whole}: [platformio] has no option '${option}'`);
      return v;
    }
    const raw = section.startsWith('env:')
      ? optionSource(doc, section.slice(4), option)?.option.value
      : ownOption(doc, section, option)?.value;
    if (raw === undefined) throw new IniError(`${whole}: section [${section}] has no option '${option}'`);
    return resolveReferences(doc, raw, section, depth + 1);
  });
}

/** The environment a command should act on: the one named, else default_envs[0], else the only one. */
export function chooseEnv(doc: IniDocument, requested?: string): string {
  const envs = listEnvs(doc);
  if (requested) {
    if (!envs.includes(requested))
      throw new IniError(`platformio.ini has no [env:${requested}]; environments: ${envs.join(', ') || '(none)'}`);
    return requested;
  }
  const defaults = defaultEnvs(doc).filter((e) => envs.includes(e));
  if (defaults.length) return defaults[0];
  if (envs.length === 1) return envs[0];
  throw new IniError(
    envs.length
      ? `platformio.ini has several environments (${envs.join(', ')}): choose one with --env`
      : 'platformio.ini has no [env:…] section',
  );
}

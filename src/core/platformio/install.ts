// Installing the build integration into platformio.ini and taking it out again.
//
// Everything we add is either inside one marked block in the environment's section or,
// when the environment already has its own `extra_scripts`, one continuation line of that
// option (recorded in the block). Uninstall removes exactly those lines, so the file
// returns to its original bytes: comments, order, blank lines and CRLF endings included.
import { type IniDocument, type IniLine, type IniSection, IniError, findSection, joinLines, optionSource, parseIni, splitMultiValue } from './ini';

export const HOOK_SCRIPT = 'memory_manager.py';
export const HOOK_ENTRY = `post:${HOOK_SCRIPT}`;
const BEGIN = '; >>> esp32mm: added by `esp32mm init`; `esp32mm init --uninstall` removes this block';
const END = '; <<< esp32mm';
const APPENDED_RECORD = `; esp32mm: also added "${HOOK_ENTRY}" to extra_scripts above`;

export interface InstallOptions {
  env: string;
  libs: string[];
  storage: 'sd' | 'spiffs' | 'littlefs';
  slots?: string[];
  code?: string;
  data?: string;
  dir?: string;
  chip?: string;
}

/** platformio.ini text with the integration installed in `[env:<env>]`; idempotent. */
export function installIntegration(text: string, opts: InstallOptions): string {
  if (!opts.libs.length) throw new IniError('name at least one library to make dynamic (--libs A,B)');
  // Start from the file without our lines, so a second install replaces the first.
  const doc = parseIni(uninstallIntegration(text, opts.env));
  const sectionName = `env:${opts.env}`;
  const section = findSection(doc, sectionName);
  if (!section) throw new IniError(`platformio.ini has no [${sectionName}] section`);
  for (const o of section.options) {
    if (o.name.startsWith('custom_mm_')) {
      throw new IniError(`[${sectionName}] already sets ${o.name} (line ${o.line + 1}) outside the esp32mm block: remove it, then run init again`);
    }
  }
  const lines = [...doc.lines];
  const block: string[] = [BEGIN];
  const own = section.options.find((o) => o.name === 'extra_scripts');
  if (own) {
    if (!splitMultiValue(own.value).includes(HOOK_ENTRY)) {
      insertLines(lines, own.lastLine + 1, [continuationIndent(lines, own.line, own.lastLine) + HOOK_ENTRY], doc.eol);
      block.push(APPENDED_RECORD);
    }
  } else {
    block.push(...extraScriptsLines(doc, opts.env));
  }
  block.push(...optionLines(opts), END);
  const refreshed = findSection(parseIni(joinLines(lines)), sectionName)!;
  insertLines(lines, blockPosition(refreshed), block, doc.eol);
  return joinLines(lines);
}

function extraScriptsLines(doc: IniDocument, env: string): string[] {
  const inherited = optionSource(doc, env, 'extra_scripts');
  if (!inherited) return [`extra_scripts = ${HOOK_ENTRY}`];
  // Defining extra_scripts here would hide the inherited scripts: keep them by reference.
  return ['extra_scripts =', `    \${${inherited.section}.extra_scripts}`, `    ${HOOK_ENTRY}`];
}

function optionLines(opts: InstallOptions): string[] {
  const lines = [`custom_mm_libs = ${opts.libs.join(', ')}`];
  if (opts.slots?.length) {
    lines.push(opts.slots.length === 1 ? `custom_mm_slots = ${opts.slots[0]}` : 'custom_mm_slots =', ...(opts.slots.length > 1 ? opts.slots.map((s) => `    ${s}`) : []));
  }
  if (opts.chip) lines.push(`custom_mm_chip = ${opts.chip}`);
  if (opts.code) lines.push(`custom_mm_code = ${opts.code}`);
  if (opts.data) lines.push(`custom_mm_data = ${opts.data}`);
  lines.push(`custom_mm_storage = ${opts.storage}`);
  if (opts.dir) lines.push(`custom_mm_dir = ${opts.dir}`);
  return lines;
}

/** After the section's last option (so trailing comments/blank lines stay where they are). */
function blockPosition(section: IniSection): number {
  const last = section.options.reduce((max, o) => Math.max(max, o.lastLine), section.line);
  return last + 1;
}

function continuationIndent(lines: IniLine[], first: number, last: number): string {
  for (let i = first + 1; i <= last; i++) {
    const m = /^(\s+)\S/.exec(lines[i].text);
    if (m) return m[1];
  }
  return '    ';
}

/** Inserts whole lines before index `at`; keeps a missing final newline missing. */
function insertLines(lines: IniLine[], at: number, texts: string[], eol: string): void {
  const added: IniLine[] = texts.map((text) => ({ text, eol }));
  const before = lines[at - 1];
  if (at === lines.length && before && before.eol === '') {
    before.eol = eol;
    added[added.length - 1].eol = '';
  }
  lines.splice(at, 0, ...added);
}

/** Removes lines [from, to]; if they ended the file without a newline, so does the result. */
function removeLines(lines: IniLine[], from: number, to: number): void {
  const lastEol = lines[to].eol;
  lines.splice(from, to - from + 1);
  if (lastEol === '' && from === lines.length && from > 0) lines[from - 1].eol = '';
}

/** platformio.ini text without our lines: in `[env:<env>]`, or in every section if no env is given. */
export function uninstallIntegration(text: string, env?: string): string {
  let lines = parseIni(text).lines;
  for (;;) {
    const doc = parseIni(joinLines(lines));
    const found = findBlock(doc, env);
    if (!found) return joinLines(lines);
    lines = [...doc.lines];
    const { begin, end, section } = found;
    const appended = lines.slice(begin, end).some((l) => l.text.trim() === APPENDED_RECORD);
    removeLines(lines, begin, end);
    if (appended) removeAppendedEntry(lines, section);
  }
}

function findBlock(doc: IniDocument, env?: string): { begin: number; end: number; section: IniSection } | undefined {
  for (const section of doc.sections) {
    if (env !== undefined && section.name !== `env:${env}`) continue;
    const from = Math.max(section.line, 0);
    for (let i = from; i < section.end; i++) {
      if (doc.lines[i].text.trim() !== BEGIN) continue;
      for (let j = i + 1; j < section.end; j++) {
        if (doc.lines[j].text.trim() === END) return { begin: i, end: j, section };
      }
      throw new IniError(`line ${i + 1}: the esp32mm block has no end marker '${END}': restore it or remove the block by hand`);
    }
  }
  return undefined;
}

function removeAppendedEntry(lines: IniLine[], section: IniSection): void {
  const doc = parseIni(joinLines(lines));
  const own = findSection(doc, section.name)?.options.find((o) => o.name === 'extra_scripts');
  if (!own) return;
  for (let i = own.lastLine; i > own.line; i--) {
    if (lines[i].text.trim() === HOOK_ENTRY) {
      removeLines(lines, i, i);
      return;
    }
  }
}

/** True when `[env:<env>]` carries our block. */
export function isInstalled(text: string, env: string): boolean {
  return findBlock(parseIni(text), env) !== undefined;
}

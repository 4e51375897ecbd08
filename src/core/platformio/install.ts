// Installing the build integration into platformio.ini and taking it out again.
//
// Everything we add is either inside one marked block in the environment's section or,
// when the environment already has its own `extra_scripts`, one continuation line of that
// option (recorded in the block). Uninstall removes exactly those lines, so the file
// returns to its original bytes: comments, order, blank lines and CRLF endings included.
import { type Storage } from '../conventions';
import { LinkConfigError, validateLinkConfig, validateLinkNames } from '../link/config';
import { MM_OPTIONS, parseAddress } from './build-config';
import {
  type IniDocument,
  type IniLine,
  type IniSection,
  IniError,
  envOption,
  envSections,
  findSection,
  joinLines,
  optionSource,
  parseIni,
  splitMultiValue,
} from './ini';

export const HOOK_SCRIPT = 'memory_manager.py';
export const HOOK_ENTRY = `post:${HOOK_SCRIPT}`;
const BEGIN = '; >>> esp32mm: added by `esp32mm init`; `esp32mm init --uninstall` removes this block';
const END = '; <<< esp32mm';
const APPENDED_RECORD = `; esp32mm: also added "${HOOK_ENTRY}" to extra_scripts above`;

/** An option value the caller asked for cannot be written (as opposed to a damaged platformio.ini). */
export class InstallOptionError extends IniError {
  override readonly code = 'INSTALL_OPTION';
}

export interface InstallOptions {
  env: string;
  libs: string[];
  storage: Storage;
  slots?: string[];
  code?: string;
  data?: string;
  dir?: string;
  chip?: string;
  ctors?: string;
  /** custom_mm_psram_code_addr as written (`0x42800000`). */
  psramCodeAddr?: string;
  /** custom_mm_flash_code_addr as written (`0x42200000`). */
  flashCodeAddr?: string;
}

/** platformio.ini text with the integration installed in `[env:<env>]`; idempotent. */
export function installIntegration(text: string, opts: InstallOptions): string {
  if (!opts.libs.length) throw new InstallOptionError('name at least one library to make dynamic (--libs A,B)');
  checkInstallOptions(opts);
  // Start from the file without our lines, so a second install replaces the first.
  const doc = parseIni(uninstallIntegration(text, opts.env));
  const sectionName = `env:${opts.env}`;
  const section = findSection(doc, sectionName);
  if (!section) throw new IniError(`platformio.ini has no [${sectionName}] section`);
  for (const o of section.options) {
    if (o.name.startsWith('custom_mm_')) {
      const flag = MM_OPTIONS.find((m) => m.option === o.name)?.flag;
      const how = flag ? ` with --${flag} ${o.value.split('\n')[0]}` : '';
      throw new IniError(
        `[${sectionName}] already sets ${o.name} (line ${o.line + 1}) outside the esp32mm block: remove it, then run init again${how} (init writes it inside its block)`,
      );
    }
  }
  const lines = [...doc.lines];
  const block: string[] = [BEGIN];
  const own = section.options.find((o) => o.name === 'extra_scripts');
  // The hook may already run, written by hand here, in [env] or in a section it extends:
  // a second post:memory_manager.py would run the split twice and fail the build.
  const runsHook = splitMultiValue(envOption(doc, opts.env, 'extra_scripts') ?? '').includes(HOOK_ENTRY);
  if (own && !runsHook) {
    insertLines(lines, own.lastLine + 1, [continuationIndent(lines, own.line, own.lastLine) + HOOK_ENTRY], doc.eol);
    block.push(APPENDED_RECORD);
  } else if (!own && !runsHook) {
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

/**
 * Every value we write becomes one platformio.ini line that PlatformIO reads and expands:
 * a line break would add lines of its own (an `upload_command`, which runs in a shell, or
 * a new `[env:…]`), ` ;`/` #` would cut the value short, `${…}` would be expanded.
 */
function checkInstallOptions(opts: InstallOptions): void {
  const values: [string, string | undefined][] = [
    ['custom_mm_libs', opts.libs.join(', ')],
    ...(opts.slots ?? []).map((s): [string, string] => ['custom_mm_slots', s]),
    ['custom_mm_chip', opts.chip],
    ['custom_mm_code', opts.code],
    ['custom_mm_data', opts.data],
    ['custom_mm_dir', opts.dir],
    ['custom_mm_ctors', opts.ctors],
    ['custom_mm_psram_code_addr', opts.psramCodeAddr],
    ['custom_mm_flash_code_addr', opts.flashCodeAddr],
  ];
  for (const [option, value] of values) if (value !== undefined) checkIniValue(option, value);
  if (opts.dir !== undefined && !opts.dir.startsWith('/'))
    throw new InstallOptionError(`custom_mm_dir '${opts.dir}' must be an absolute device path such as /mm`);
  if (opts.psramCodeAddr !== undefined && parseAddress(opts.psramCodeAddr) === undefined) {
    throw new InstallOptionError(`custom_mm_psram_code_addr '${opts.psramCodeAddr}' is not an address: write it as 0x42800000`);
  }
  if (opts.flashCodeAddr !== undefined && parseAddress(opts.flashCodeAddr) === undefined) {
    throw new InstallOptionError(`custom_mm_flash_code_addr '${opts.flashCodeAddr}' is not an address: write it as 0x42200000`);
  }
  try {
    // Library and slot names become C symbols, the constructor table is one the fragment knows:
    // the link configuration's own rules. Flash slots are placed by the build, which knows the
    // partition table.
    const { slots } = validateLinkNames({ libs: opts.libs, slots: opts.slots, code: opts.code });
    if (!slots.some((s) => s.code === 'flash'))
      validateLinkConfig({ chip: opts.chip ?? 'esp32', libs: opts.libs, slots: opts.slots, ctors: opts.ctors });
  } catch (e) {
    if (e instanceof LinkConfigError) throw new InstallOptionError(e.message);
    throw e;
  }
}

/** A value esp32mm writes must stay one platformio.ini line, read back as written (see checkInstallOptions). */
export function checkIniValue(option: string, value: string): void {
  const shown = JSON.stringify(value);
  // eslint-disable-next-line no-control-regex -- control characters are what is refused here
  if (/[\x00-\x1f\x7f]/.test(value)) {
    throw new InstallOptionError(
      `${option} ${shown} contains a line break or another control character: platformio.ini values written by esp32mm are one line`,
    );
  }
  if (/(^|\s)[;#]/.test(value))
    throw new InstallOptionError(
      `${option} ${shown} contains ';' or '#' after a space, which platformio.ini reads as the start of a comment`,
    );
  if (value.includes('${'))
    throw new InstallOptionError(`${option} ${shown} contains '\${', which PlatformIO would expand as a reference to another option`);
}

function optionLines(opts: InstallOptions): string[] {
  const lines = [`custom_mm_libs = ${opts.libs.join(', ')}`];
  if (opts.slots?.length) {
    lines.push(
      opts.slots.length === 1 ? `custom_mm_slots = ${opts.slots[0]}` : 'custom_mm_slots =',
      ...(opts.slots.length > 1 ? opts.slots.map((s) => `    ${s}`) : []),
    );
  }
  if (opts.chip) lines.push(`custom_mm_chip = ${opts.chip}`);
  if (opts.code) lines.push(`custom_mm_code = ${opts.code}`);
  if (opts.data) lines.push(`custom_mm_data = ${opts.data}`);
  if (opts.ctors) lines.push(`custom_mm_ctors = ${opts.ctors}`);
  if (opts.psramCodeAddr) lines.push(`custom_mm_psram_code_addr = ${opts.psramCodeAddr}`);
  if (opts.flashCodeAddr) lines.push(`custom_mm_flash_code_addr = ${opts.flashCodeAddr}`);
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
  return removeIntegration(text, env).text;
}

/** A line of platformio.ini (1-based number) that a message points the user to. */
export interface IniLineRef {
  line: number;
  text: string;
}

/**
 * Removes our blocks (`[env:<env>]`, or every section) and the extra_scripts entry they
 * recorded. Lines someone added inside a block are not ours: they stay where they are
 * and are returned in `kept`, so the caller can say so.
 */
export function removeIntegration(text: string, env?: string): { text: string; kept: IniLineRef[] } {
  let lines = parseIni(text).lines;
  const keptAt: number[] = []; // indexes into `lines`, moved up as lines before them go
  const drop = (i: number) => {
    removeLines(lines, i, i);
    keptAt.forEach((k, n) => {
      if (k > i) keptAt[n] = k - 1;
    });
  };
  for (;;) {
    const doc = parseIni(joinLines(lines));
    const found = findBlock(doc, env);
    if (!found) return { text: joinLines(lines), kept: keptAt.map((i) => ({ line: i + 1, text: lines[i].text })) };
    lines = [...doc.lines];
    const { begin, end, section } = found;
    const appended = lines.slice(begin, end).some((l) => l.text.trim() === APPENDED_RECORD);
    const ours = ownBlockLines(doc, begin, end);
    for (let i = begin; i <= end; i++) if (!ours.has(i) && lines[i].text.trim()) keptAt.push(i);
    // Highest index first, so the indexes still to remove stay valid.
    for (let i = end; i >= begin; i--) if (ours.has(i) || !lines[i].text.trim()) drop(i);
    if (appended) {
      const at = appendedEntryLine(lines, section);
      if (at >= 0) drop(at);
    }
  }
}

/** Line indexes [begin, end] of a block that esp32mm wrote: markers, our options and their continuations. */
function ownBlockLines(doc: IniDocument, begin: number, end: number): Set<number> {
  const ours = new Set<number>([begin, end]);
  for (let i = begin; i <= end; i++) if (doc.lines[i].text.trim() === APPENDED_RECORD) ours.add(i);
  for (const o of doc.sections.flatMap((s) => s.options)) {
    if (o.line <= begin || o.line >= end || !(o.name === 'extra_scripts' || o.name.startsWith('custom_mm_'))) continue;
    for (let i = o.line; i <= Math.min(o.lastLine, end - 1); i++) ours.add(i);
  }
  return ours;
}

function findBlock(doc: IniDocument, env?: string): { begin: number; end: number; section: IniSection } | undefined {
  for (const section of doc.sections) {
    if (env !== undefined && section.name !== `env:${env}`) continue;
    const from = Math.max(section.line, 0);
    for (let i = from; i < section.end; i++) {
      const t = doc.lines[i].text.trim();
      if (t === END) {
        throw new IniError(
          `line ${i + 1}: the esp32mm block's end marker '${END}' has no begin marker above it in [${section.name}] (was it deleted?): restore the line '${BEGIN}' above the block, or remove the block's lines and extra_scripts entry by hand`,
        );
      }
      if (t !== BEGIN) continue;
      for (let j = i + 1; j < section.end; j++) {
        const u = doc.lines[j].text.trim();
        if (u === END) return { begin: i, end: j, section };
        if (u === BEGIN) break;
      }
      throw new IniError(`line ${i + 1}: the esp32mm block has no end marker '${END}': restore it or remove the block by hand`);
    }
  }
  return undefined;
}

/** Index of the extra_scripts continuation line our block recorded as added, or -1. */
function appendedEntryLine(lines: IniLine[], section: IniSection): number {
  const doc = parseIni(joinLines(lines));
  const own = findSection(doc, section.name)?.options.find((o) => o.name === 'extra_scripts');
  if (!own) return -1;
  for (let i = own.lastLine; i > own.line; i--) if (lines[i].text.trim() === HOOK_ENTRY) return i;
  return -1;
}

/**
 * The `custom_mm_*` options inside the esp32mm block of `[env:<env>]` (name → value as
 * written, continuation lines joined by '\n'): what a second init keeps when it is not told
 * otherwise. Options outside the block are the user's and not returned.
 */
export function installedOptions(text: string, env: string): Map<string, string> {
  const doc = parseIni(text);
  const block = findBlock(doc, env);
  const found = new Map<string, string>();
  if (!block) return found;
  for (const o of block.section.options)
    if (o.line > block.begin && o.line < block.end && o.name.startsWith('custom_mm_')) found.set(o.name, o.value);
  return found;
}

/** True when `[env:<env>]` carries our block. */
export function isInstalled(text: string, env: string): boolean {
  return findBlock(parseIni(text), env) !== undefined;
}

/**
 * Lines outside any esp32mm block that still wire the integration into `[env:<env>]` (its
 * own section, the ones it extends and [env]) or, without env, into any section:
 * `custom_mm_*` options and extra_scripts entries that run the hook.
 */
export function integrationLeftovers(text: string, env?: string): IniLineRef[] {
  const doc = parseIni(text);
  const names = env === undefined ? doc.sections.map((s) => s.name) : envSections(doc, env);
  const found: IniLineRef[] = [];
  for (const o of names.flatMap((n) => findSection(doc, n)?.options ?? [])) {
    const wires = o.name.startsWith('custom_mm_') || (o.name === 'extra_scripts' && splitMultiValue(o.value).includes(HOOK_ENTRY));
    if (wires) found.push({ line: o.line + 1, text: doc.lines[o.line].text });
  }
  return found;
}

// GNU ld map-file parser (`-Wl,-Map=firmware.map`), as written by ld 2.3x/2.40 for Xtensa
// and RISC-V. Reads the archive-member list, discarded input sections, the memory
// configuration and the memory map (output sections with their input sections, `*fill*`
// and data statements). Paths are kept as written: Unix or Windows (`C:\…`, `.pio\build\…`).
//
// Real ESP-IDF maps (GCC 8.2 to 14.2, Linux and Windows) also have, each with a small map of
// its own in test/fixtures/mapfiles/quirks/ read exactly by test/unit/mapfile/quirks.test.ts:
// - 64-bit numbers (GCC ≤ 12): 32-bit values in 16 digits, read as fast as 8-digit ones. The
//   `*default*` region's all-ones length is the 32-bit address space; a record's address or
//   size past 2^53 is an error naming its line; a symbol's value may be any 64-bit number.
// - Output-section names of 15 characters or more (`.iram0.text_end`, `.flash_rodata_dummy`,
//   `.dram0.heap_start`, `.flash.rodata_noload`, `.dram0_reserved_for_iram`) alone on their
//   line, address and size on the next; input-section names of 14 or more likewise.
// - Windows and mixed paths (`.pio\build\…`, `C:\Users\…`, `…/lib/no-rtti\libc.a`), kept as
//   written (baseName splits on both separators), and CRLF line ends.
// - Archive members required by `-u symbol` (ESP-IDF's component hooks), listed as `(symbol)`
//   without a file; demangled C++ symbols with blanks and parentheses of their own.
// - "Allocating common symbols" (GCC 8): names and sizes without addresses, skipped; the same
//   bytes appear as `COMMON` records in the memory map.
// - Discarded input sections at address zero; `LOAD`, `START GROUP`, … statements; OUTPUT(...)
//   closing the memory map, and the cross-reference table (ld --cref) after it, not read.
//
// Two paths read the memory map: `fastLine` reads records and symbols in place, `line` reads
// every kind of line. `parseMapFile(text, sink, { careful: true })` sends every line through
// `line`; test/unit/mapfile/paths.test.ts checks that both give the same records on every map.
// With `{ symbols: true }` each stored input record also gets the symbol names ld lists under
// it (read in the line loop, the same for both paths; test/unit/mapfile/symbols.test.ts).
//
// The parser is strict about every line that carries numbers: a record it cannot read, a
// record cut off at the end of the file or a map without its closing OUTPUT(...) line is an
// error naming the line. Lines without numbers (input-section patterns such as
// ` *(.text .text.*)`, assignments, comments) are skipped.

import { isAscii } from 'node:buffer';
import { Esp32mmError } from '../errors';

export class MapFileError extends Esp32mmError {
  readonly code = 'MAP_FILE';
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(line > 0 ? `map file line ${line}: ${problem}` : `map file: ${problem}`);
  }
}

/** One contribution to an output section: an input section, linker padding or a data statement. */
export interface MapInput {
  kind: 'input' | 'fill' | 'data';
  /** Input section name (`.text.foo`, `COMMON`), `*fill*`, or the data statement (`LONG`). */
  name: string;
  address: number;
  size: number;
  /** As written in the map: `lib/libfoo.a(foo.o)`, `obj/main.o`, `C:\…\libc.a(x.o)`. */
  file?: string;
  /** 1-based line of the record (of the name, when the name was wrapped onto its own line). */
  line: number;
  /**
   * With `ParseOptions.symbols`, on input records: the symbols ld lists right after the
   * record (`<16 blanks>0xVALUE name`), the functions and variables in that input section.
   */
  symbols?: string[];
}

export interface MapOutputSection {
  name: string;
  address: number;
  size: number;
  loadAddress?: number;
  line: number;
  inputs: MapInput[];
}

export interface MapMemoryRegion {
  name: string;
  origin: number;
  length: number;
  attributes: string;
}

export interface MapArchiveMember {
  /** `lib/libfoo.a(foo.o)` split into archive and member. */
  archive: string;
  member: string;
  /**
   * The file whose reference pulled the member in, and the symbol. The file is '' when the
   * command line or the linker script required the symbol (`-u esp_app_desc`, EXTERN).
   */
  referencedBy: string;
  symbol: string;
  line: number;
}

/**
 * Receives the records of the memory map as they are read, instead of their being stored in
 * `inputs` (which then stay empty): the memory-map model attributes while parsing, so a
 * 25 MB map does not turn into 270k objects that live until the end of the parse.
 */
export interface MapRecordSink {
  /** An output section opened (already in `map.sections`; `map.memory` is complete). */
  section(out: MapOutputSection, map: MapFile): void;
  /** A record of the section last opened, in file order. */
  record(kind: MapInput['kind'], name: string, address: number, size: number, file: string | undefined, line: number): void;
}

export interface MapFile {
  archiveMembers: MapArchiveMember[];
  discarded: MapInput[];
  memory: MapMemoryRegion[];
  sections: MapOutputSection[];
  /** Number of lines read. */
  lines: number;
  /**
   * Lines of the memory map read by the careful path instead of the fast one: headers,
   * patterns, wrapped numbers of output sections, data statements. A measure for tests and
   * benchmarks; the input records and symbols that make up most of a map should not be here.
   */
  carefulLines: number;
}

type Phase = 'start' | 'archives' | 'common' | 'discarded' | 'memory' | 'map' | 'tail';

const HEADINGS: [string, Phase][] = [
  ['Archive member included to satisfy reference by file (symbol)', 'archives'],
  ['Allocating common symbols', 'common'],
  ['Discarded input sections', 'discarded'],
  ['Memory Configuration', 'memory'],
  ['Linker script and memory map', 'map'],
  ['Cross Reference Table', 'tail'],
];

const HEX = /^0x[0-9a-fA-F]+$/;
/** Column-0 statements of the memory map that carry no sizes. */
const MAP_STATEMENTS = [
  'LOAD ',
  'START GROUP',
  'END GROUP',
  'TARGET(',
  'OUTPUT_FORMAT',
  'OUTPUT_ARCH',
  'SEARCH_DIR',
  'INSERT ',
  'Address of section',
  'OVERLAY',
];
/** A name ld may wrap onto its own line (section names; not patterns like `*(.text)`). */
const SECTION_NAME = /^[A-Za-z_.$][\w.$@+-]*$/;
const FILL = '*fill*';
const CROSS_REFERENCE = 'Cross Reference Table';
// Character codes the line readers compare with (String.charCodeAt: no string per character).
const TAB = 0x09;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const OPEN_PAREN = 0x28; // (
const CLOSE_PAREN = 0x29; // )
const ASTERISK = 0x2a; // *
const DOT = 0x2e; // .
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const UPPER_A = 0x41;
const UPPER_F = 0x46;
const UPPER_Z = 0x5a;
const OPEN_BRACKET = 0x5b; // [
const UNDERSCORE = 0x5f; // _
const LOWER_A = 0x61;
const LOWER_F = 0x66;
const LOWER_X = 0x78; // the x of 0x
const CROSS_REFERENCE_FIRST = CROSS_REFERENCE.charCodeAt(0);
/** The 16 blanks before the numbers of a wrapped record. */
const INDENT = ' '.repeat(16);
const DATA_STATEMENT = /^(LONG|QUAD|SQUAD|SHORT|BYTE)\b/;
/** A symbol ld lists under an input section: value and name alone, indented 16 or more. */
const SYMBOL_LINE = /^\s{16,}0x[0-9a-fA-F]+\s+([^\s=]+)\s*$/;
/** The size an input section had before linker relaxation (Xtensa, RISC-V), under its record. */
const RELAXING_LINE = /^\s+0x[0-9a-fA-F]+ \(size before relaxing\)\s*$/;

function checkHex(token: string, line: number, what: string): void {
  if (!HEX.test(token)) throw new MapFileError(line, `${what} '${token}' is not a hexadecimal number (corrupted map file?)`);
}

function hex(token: string, line: number, what: string): number {
  checkHex(token, line, what);
  const n = parseInt(token.slice(2), 16);
  if (!Number.isSafeInteger(n))
    throw new MapFileError(line, `${what} ${token} is too large (above 2^53; these targets have 32-bit addresses: corrupted map file?)`);
  return n;
}

/** The 32-bit address space: what ld's all-ones `*default*` length means for these targets. */
export const ADDRESS_SPACE = 0x1_0000_0000;

/**
 * A memory region's length. ld writes the `*default*` region (the whole address space) as
 * all ones in the width of its own numbers: 0xffffffff, or 0xffffffffffffffff (GCC ≤ 12
 * builds), which no double holds exactly; it is stored as the 32-bit address space.
 */
function regionLength(name: string, token: string, line: number): number {
  if (name === '*default*' && /^0x(f{8}|f{16})$/i.test(token)) return ADDRESS_SPACE;
  return hex(token, line, 'length');
}

/** Splits on runs of spaces/tabs; at most `limit` fields, the last one keeps the rest of the line. */
function fields(text: string, limit: number): string[] {
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n && out.length < limit - 1) {
    while (i < n && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && text.charCodeAt(j) !== SPACE && text.charCodeAt(j) !== TAB) j++;
    out.push(text.slice(i, j));
    i = j;
  }
  while (i < n && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === TAB)) i++;
  if (i < n) out.push(text.slice(i).trimEnd());
  return out;
}

/** Rejects bytes no map file contains (a binary file, or a map damaged on disk). */
function checkText(text: string, end: number): void {
  // NUL is in every binary file and every block a crash left zero-filled; one native scan
  // finds it. Other control characters show up as unreadable records on the lines they hit.
  const at = text.indexOf('\0');
  if (at < 0 || at >= end) return;
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) line++;
  const column = at - (text.lastIndexOf('\n', at - 1) + 1) + 1;
  throw new MapFileError(line, `unexpected binary data (byte 0x0 at column ${column}); this is not a GNU ld map file or it is damaged`);
}

class Parser {
  readonly result: MapFile = { archiveMembers: [], discarded: [], memory: [], sections: [], lines: 0, carefulLines: 0 };
  constructor(private readonly sink?: MapRecordSink) {}

  private phase: Phase = 'start';
  private sawMap = false;
  private sawOutput = false;
  /** An input-section name that ld wrapped onto its own line; the numbers follow on the next. */
  private pendingInput?: { name: string; line: number };
  /** An output-section name on its own line (long name, or a header without address). */
  private pendingSection?: { name: string; line: number };
  private pendingArchive?: { text: string; line: number };
  private current?: MapOutputSection;

  /**
   * The memory map's most common lines without copying them: symbol and assignment lines
   * (skipped) and one-line input records (read with one regular expression). Returns false
   * for anything else, which then takes the careful path through `line`.
   */
  fastLine(src: string, start: number, end: number, no: number): boolean {
    if (this.phase !== 'map' || this.pendingSection || end - start < 4) return false;
    if (src.charCodeAt(start) !== SPACE) return false;
    const c1 = src.charCodeAt(start + 1);
    if (this.pendingInput) return c1 === SPACE && this.fastContinuation(src, start, end);
    if (c1 === SPACE) {
      // `<spaces>0xVALUE<spaces>name…`: a symbol or an assignment, unless a second number follows.
      let p = src.charCodeAt(start + 15) === SPACE && src.charCodeAt(start + 16) === DIGIT_0 ? start + 16 : skipBlanks(src, start + 2, end);
      if (src.charCodeAt(p) !== DIGIT_0 || src.charCodeAt(p + 1) !== LOWER_X) return src.charCodeAt(p) === OPEN_BRACKET; // `[!provide]`
      p = src.indexOf(' ', p);
      if (p < 0 || p >= end) return false;
      p = skipBlanks(src, p, end);
      return !(src.charCodeAt(p) === DIGIT_0 && src.charCodeAt(p + 1) === LOWER_X);
    }
    // ` name 0xADDR 0xSIZE [file]`, or ` name` alone (wrapped).
    let q: number;
    if (this.noTabs) {
      // Without tabs in the file, the name ends at the next space: one native search.
      q = src.indexOf(' ', start + 1);
      if (q < 0 || q > end) q = end;
    } else {
      q = start + 1;
      while (q < end && src.charCodeAt(q) !== SPACE && src.charCodeAt(q) !== TAB) q++;
    }
    const first = src.charCodeAt(start + 1);
    if (q >= end) {
      if (first !== DOT && first !== UNDERSCORE) return false; // only `.name` / `_name` here; the rest takes the careful path
      this.pendingInput = { name: src.slice(start + 1, end), line: no };
      return true;
    }
    const fill = q === start + 7 && src.startsWith(FILL, start + 1);
    const name = fill ? FILL : src.slice(start + 1, q);
    if ((first === ASTERISK && !fill) || first === OPEN_PAREN) return false; // `*(...)` patterns
    const numbers = this.twoNumbers(src, skipBlanks(src, q, end), end);
    if (numbers < 0) return false;
    const file = fill || numbers >= end ? undefined : this.fileAt(src, numbers, trimEnd(src, numbers, end));
    this.emit(fill ? 'fill' : 'input', name, this.address, this.size, file, no);
    return true;
  }

  private address = 0;
  private size = 0;
  private hexValue = 0;
  /** The map has no tab before its cross-reference table (ld writes none): names end at a space. */
  noTabs = false;

  /**
   * `0xHEX` at p followed by a blank or the line end: sets hexValue, returns its end, else -1.
   * Leading zeros are skipped (GCC ≤ 12 maps write 32-bit values in 16 digits); at most 13
   * significant digits are read here, which a double holds exactly; longer values take the
   * careful path, which reads them exactly or names the line of a value past 2^53.
   */
  private hexAt(src: string, p: number, end: number): number {
    if (src.charCodeAt(p) !== DIGIT_0 || src.charCodeAt(p + 1) !== LOWER_X) return -1;
    let q = p + 2;
    while (q < end && src.charCodeAt(q) === DIGIT_0) q++;
    const significant = q;
    let v = 0;
    for (; q < end; q++) {
      const d = hexDigit(src.charCodeAt(q));
      if (d < 0) break;
      v = v * 16 + d;
    }
    if (q === p + 2 || q - significant > 13) return -1;
    if (q < end && src.charCodeAt(q) !== SPACE && src.charCodeAt(q) !== TAB) return -1;
    this.hexValue = v;
    return q;
  }

  /** `0xADDR<blanks>0xSIZE` at p (each followed by a blank or the line end): sets address/size, returns where the rest starts, or -1. */
  private twoNumbers(src: string, p: number, end: number): number {
    const a = this.hexAt(src, p, end);
    if (a < 0 || a >= end) return -1;
    this.address = this.hexValue;
    const p2 = skipBlanks(src, a, end);
    if (p2 === a) return -1;
    const b = this.hexAt(src, p2, end);
    if (b < 0) return -1;
    this.size = this.hexValue;
    const rest = skipBlanks(src, b, end);
    return rest === b && b < end ? -1 : rest;
  }

  /** The numbers (and file) of a wrapped input-section name. */
  private fastContinuation(src: string, start: number, end: number): boolean {
    // ld indents the numbers to column 16.
    const at = src.startsWith(INDENT, start) ? skipBlanks(src, start + INDENT.length, end) : skipBlanks(src, start, end);
    const rest = this.twoNumbers(src, at, end);
    if (rest < 0 || rest >= end) return false;
    const p = this.pendingInput!;
    this.pendingInput = undefined;
    this.emit('input', p.name, this.address, this.size, this.fileAt(src, rest, trimEnd(src, rest, end)), p.line);
    return true;
  }

  line(text: string, no: number): void {
    const c0 = text.charCodeAt(0);
    if (c0 >= UPPER_A && c0 <= UPPER_Z) {
      const heading = HEADINGS.find(([h]) => text === h);
      if (heading) return this.enter(heading[1], no);
    }
    switch (this.phase) {
      case 'archives':
        return this.archiveLine(text, no);
      case 'discarded':
        this.recordLine(text, no, (input) => this.result.discarded.push(input));
        return;
      case 'memory':
        return this.memoryLine(text, no);
      case 'map':
        this.result.carefulLines++;
        return this.mapLine(text, no);
      default:
        return;
    }
  }

  /** Just read the "Discarded input sections" heading (or a line of that list). */
  get inDiscardedList(): boolean {
    return this.phase === 'discarded';
  }

  private enter(phase: Phase, no: number): void {
    this.finishPending(no);
    if (phase === 'map') this.sawMap = true;
    this.phase = phase;
  }

  /** A record left open at a heading or at the end of the file: the map was cut short. */
  private finishPending(no: number): void {
    if (this.pendingInput) {
      throw new MapFileError(
        this.pendingInput.line,
        `input section ${this.pendingInput.name} has no address and size (the map ends or breaks off at line ${no})`,
      );
    }
    if (this.pendingArchive) {
      throw new MapFileError(
        this.pendingArchive.line,
        `archive member ${this.pendingArchive.text} is not followed by the file that referenced it`,
      );
    }
    this.pendingSection = undefined;
  }

  end(lines: number): MapFile {
    this.finishPending(lines);
    if (!this.sawMap) {
      throw new MapFileError(
        0,
        `no "Linker script and memory map" section in ${lines} lines: this is not a GNU ld map file (link with -Wl,-Map=<file>)`,
      );
    }
    if (!this.result.memory.some((m) => m.name === '*default*')) {
      throw new MapFileError(0, 'the "Memory Configuration" table (ending with the *default* region) is missing or damaged');
    }
    if (!this.sawOutput) {
      throw new MapFileError(
        lines,
        'the memory map ends without its OUTPUT(...) line: the map file is truncated (was the link interrupted? rebuild)',
      );
    }
    this.result.lines = lines;
    return this.result;
  }

  private archiveLine(text: string, no: number): void {
    if (text.trim() === '') return;
    if (this.pendingArchive) {
      const ref = text.trim();
      this.pushArchive(this.pendingArchive.text, ref, this.pendingArchive.line);
      this.pendingArchive = undefined;
      return;
    }
    if (text.charCodeAt(0) === SPACE) throw new MapFileError(no, `expected an archive member 'archive(member)', found an indented line`);
    // ld pads archive(member) to column 30 and writes the referencing file there, or on
    // the next line when archive(member) is 30 characters or longer.
    if (text.length > 30 && text[29] === ' ' && text.slice(0, 30).trimEnd().endsWith(')')) {
      this.pushArchive(text.slice(0, 30).trimEnd(), text.slice(30).trim(), no);
    } else {
      this.pendingArchive = { text: text.trimEnd(), line: no };
    }
  }

  private pushArchive(memberText: string, ref: string, no: number): void {
    const split = splitArchiveMember(memberText);
    if (!split.member) throw new MapFileError(no, `'${memberText}' is not of the form archive(member)`);
    const reference = splitReference(ref);
    this.result.archiveMembers.push({
      archive: split.path,
      member: split.member,
      referencedBy: reference?.file ?? ref,
      symbol: reference?.symbol ?? '',
      line: no,
    });
  }

  private memoryLine(text: string, no: number): void {
    const f = fields(text, 4);
    if (f.length === 0 || (f[0] === 'Name' && f[1] === 'Origin')) return;
    if (f.length < 3) throw new MapFileError(no, `memory region line '${text.trim()}' needs a name, origin and length`);
    this.result.memory.push({ name: f[0], origin: hex(f[1], no, 'origin'), length: regionLength(f[0], f[2], no), attributes: f[3] ?? '' });
  }

  /** An input-section record: ` name 0xADDR 0xSIZE file`, possibly with the name wrapped. */
  private recordLine(text: string, no: number, push: (input: MapInput) => void): boolean {
    if (text.length === 0) return false;
    const indented = text.charCodeAt(0) === SPACE && text.charCodeAt(1) !== SPACE;
    if (indented) {
      const f = fields(text, 4);
      if (f.length === 0) return false;
      if (f.length === 1) {
        // ld puts a long input-section name on its own line; other lone words are patterns.
        if (!SECTION_NAME.test(f[0])) return false;
        if (this.pendingInput)
          throw new MapFileError(this.pendingInput.line, `input section ${this.pendingInput.name} has no address and size`);
        this.pendingInput = { name: f[0], line: no };
        return true;
      }
      if (f[1].startsWith('0x')) {
        if (this.pendingInput)
          throw new MapFileError(this.pendingInput.line, `input section ${this.pendingInput.name} has no address and size`);
        if (f.length < 3) throw new MapFileError(no, `input section ${f[0]} has an address but no size`);
        push(this.input(f[0], f[1], f[2], f[3], no));
        return true;
      }
      return false;
    }
    if (this.pendingInput && text.charCodeAt(0) === SPACE) {
      const f = fields(text, 3);
      if (f.length >= 2 && f[0].startsWith('0x') && f[1].startsWith('0x')) {
        const p = this.pendingInput;
        this.pendingInput = undefined;
        push(this.input(p.name, f[0], f[1], f[2], p.line, no));
        return true;
      }
      throw new MapFileError(
        this.pendingInput.line,
        `input section ${this.pendingInput.name} is not followed by its address and size (line ${no} instead)`,
      );
    }
    return false;
  }

  private input(name: string, addr: string, size: string, file: string | undefined, line: number, numbersLine = line): MapInput {
    const kind = name === '*fill*' ? 'fill' : 'input';
    const sizeValue = hex(size, numbersLine, `size of ${name}`);
    return {
      kind,
      name,
      address: hex(addr, numbersLine, `address of ${name}`),
      size: sizeValue,
      file: kind === 'fill' ? undefined : file,
      line,
    };
  }

  private mapLine(text: string, no: number): void {
    if (text.length === 0) {
      if (this.pendingInput)
        throw new MapFileError(this.pendingInput.line, `input section ${this.pendingInput.name} is not followed by its address and size`);
      return;
    }
    const c0 = text.charCodeAt(0);
    if (c0 !== SPACE && c0 !== TAB) return this.columnZeroLine(text, no);
    if (this.pendingSection) {
      const f = fields(text, 5);
      if (f.length >= 2 && f[0].startsWith('0x') && f[1].startsWith('0x')) {
        const p = this.pendingSection;
        this.pendingSection = undefined;
        this.openSection(p.name, f[0], f[1], f.slice(2).join(' '), p.line, no);
        return;
      }
      // A header without address (`/DISCARD/`, an empty section): its lines belong to nothing.
      this.pendingSection = undefined;
      this.current = undefined;
    }
    if (this.recordLine(text, no, (input) => this.addInput(input))) return;
    this.numbersLine(text, no);
  }

  /** Indented lines that start with a number: symbols, assignments, data statements. */
  private numbersLine(text: string, no: number): void {
    const f = fields(text, 3);
    if (f.length === 0 || !f[0].startsWith('0x')) return;
    if (f.length >= 3 && f[1].startsWith('0x') && DATA_STATEMENT.test(f[2])) {
      this.addInput({
        kind: 'data',
        name: DATA_STATEMENT.exec(f[2])![1],
        address: hex(f[0], no, 'address'),
        size: hex(f[1], no, 'size of data statement'),
        line: no,
      });
      return;
    }
    if (f.length >= 2 && f[1].startsWith('0x')) {
      // Two numbers and no pending name: a record that lost its name.
      hex(f[0], no, 'address');
      hex(f[1], no, 'size');
      throw new MapFileError(no, `address ${f[0]} and size ${f[1]} without an input-section name before them (corrupted map file?)`);
    }
    // A symbol or an assignment. Its value is not used and may be any 64-bit number (GCC ≤ 12
    // maps write `x = -1` as 0xffffffffffffffff), as on the fast path, which skips these lines.
    checkHex(f[0], no, 'value');
  }

  private columnZeroLine(text: string, no: number): void {
    if (this.pendingInput)
      throw new MapFileError(this.pendingInput.line, `input section ${this.pendingInput.name} has no address and size`);
    if (text.startsWith('OUTPUT(')) {
      this.sawOutput = true;
      this.current = undefined;
      return;
    }
    if (MAP_STATEMENTS.some((s) => text.startsWith(s))) return;
    const f = fields(text, 5);
    if (f.length === 1) {
      this.pendingSection = { name: f[0], line: no };
      this.current = undefined;
      return;
    }
    if (!f[1].startsWith('0x')) return; // a script statement ld echoes, not a section
    if (f.length < 3) throw new MapFileError(no, `output section ${f[0]} has an address but no size`);
    this.pendingSection = undefined;
    this.openSection(f[0], f[1], f[2], f.slice(3).join(' '), no, no);
  }

  private openSection(name: string, addr: string, size: string, rest: string, line: number, numbersLine: number): void {
    let loadAddress: number | undefined;
    const load = /^load address (\S+)/.exec(rest);
    if (load) loadAddress = hex(load[1], numbersLine, `load address of ${name}`);
    else if (rest.trim()) throw new MapFileError(numbersLine, `unexpected text '${rest.trim()}' after the size of output section ${name}`);
    this.current = {
      name,
      address: hex(addr, numbersLine, `address of ${name}`),
      size: hex(size, numbersLine, `size of ${name}`),
      loadAddress,
      line,
      inputs: [],
    };
    this.result.sections.push(this.current);
    this.sink?.section(this.current, this.result);
  }

  private lastFile?: string;

  /**
   * The file name at src[from, to): the previous record's string when it is the same (records
   * of one object come in runs), compared in place so that a run allocates one string and
   * later lookups by it hit the identical object.
   */
  private fileAt(src: string, from: number, to: number): string {
    const last = this.lastFile;
    if (last !== undefined && last.length === to - from && src.startsWith(last, from)) return last;
    return (this.lastFile = src.slice(from, to));
  }

  /** The previous record's file string when equal: one object per run of records (hash cached). */
  private intern(file: string | undefined): string | undefined {
    if (file === undefined) return undefined;
    if (file === this.lastFile) return this.lastFile;
    this.lastFile = file;
    return file;
  }

  private addInput(input: MapInput): void {
    this.emit(input.kind, input.name, input.address, input.size, input.file, input.line);
  }

  /** One record of the current output section: to the sink, or stored in its inputs. */
  private emit(kind: MapInput['kind'], name: string, address: number, size: number, file: string | undefined, line: number): void {
    // Records outside any output section (under /DISCARD/) take no memory.
    if (!this.current) return;
    if (this.sink) {
      this.sink.record(kind, name, address, size, file, line);
      return;
    }
    const input: MapInput = { kind, name, address, size, file: this.intern(file), line };
    this.current.inputs.push(input);
    if (this.collectSymbols) {
      if (kind === 'input') input.symbols = [];
      this.symbolsOf = kind === 'input' ? input : undefined;
    }
  }

  /** ParseOptions.symbols: the input record the symbol lines that follow belong to. */
  collectSymbols = false;
  symbolsOf?: MapInput;

  /**
   * A line after an input record: its symbol's name is added to the record; a
   * `(size before relaxing)` line is passed over; any other line ends the record's symbols.
   */
  symbolLine(text: string): void {
    const m = SYMBOL_LINE.exec(text);
    if (m) this.symbolsOf!.symbols!.push(m[1]);
    else if (!RELAXING_LINE.test(text)) this.symbolsOf = undefined;
  }
}

/** `dir/libfoo.a(foo.o)` → path `dir/libfoo.a`, member `foo.o`; an object file has no member. */
export function splitArchiveMember(file: string): { path: string; member?: string } {
  if (!file.endsWith(')')) return { path: file };
  const open = file.lastIndexOf('(');
  if (open <= 0) return { path: file };
  return { path: file.slice(0, open), member: file.slice(open + 1, -1) };
}

/**
 * What pulled an archive member in: `file (symbol)`, or `(symbol)` alone when no file did
 * (`-u symbol`, EXTERN). The symbol is the parenthesised group that ends the line, found by
 * balancing parentheses from the end: demangled C++ names have parentheses and blanks of
 * their own (`f(std::function<void (int)>)`), and so may paths (`C:\Program Files (x86)\…`).
 */
function splitReference(ref: string): { file: string; symbol: string } | undefined {
  let depth = 0;
  for (let i = ref.length - 1; i >= 0; i--) {
    const c = ref.charCodeAt(i);
    if (c === CLOSE_PAREN) depth++;
    else if (c === OPEN_PAREN && --depth === 0) {
      // the one that opens the last group
      if (i > 0 && ref.charCodeAt(i - 1) !== SPACE) return undefined;
      return { file: ref.slice(0, i).trimEnd(), symbol: ref.slice(i + 1, -1) };
    }
    if (depth === 0) return undefined; // the line does not end with ')'
  }
  return undefined;
}

/** The last path component, for `/` and `\` separators alike. */
export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}

function countLineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

function skipBlanks(src: string, p: number, end: number): number {
  while (p < end) {
    const c = src.charCodeAt(p);
    if (c !== SPACE && c !== TAB) break;
    p++;
  }
  return p;
}

function trimEnd(src: string, from: number, end: number): number {
  while (end > from && (src.charCodeAt(end - 1) === SPACE || src.charCodeAt(end - 1) === TAB)) end--;
  return end;
}

function hexDigit(c: number): number {
  if (c >= DIGIT_0 && c <= DIGIT_9) return c - DIGIT_0;
  if (c >= LOWER_A && c <= LOWER_F) return c - LOWER_A + 10;
  if (c >= UPPER_A && c <= UPPER_F) return c - UPPER_A + 10;
  return -1;
}

/**
 * The text of a map file. Maps are nearly always pure ASCII, which decodes several times
 * faster as Latin-1 (same characters); anything else (non-ASCII user names in paths) as UTF-8.
 */
export function decodeMapFile(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isAscii(buf) ? buf.toString('latin1') : buf.toString('utf8');
}

export interface ParseOptions {
  /**
   * Every line through the careful path (`Parser.line`), none through the fast one: for tests
   * that prove both paths read every map to the same records. Slower; not for production.
   */
  careful?: boolean;
  /**
   * Skip the "Discarded input sections" list (what --gc-sections removed: up to half of a real
   * map's lines) with one search for the next heading, leaving `discarded` empty. The memory
   * map never reads it; the first-call cost of optimising the parser on those lines, only to
   * throw that code away at the memory map, was most of a whole `esp32mm map` process. Line
   * numbers stay right. A damaged line inside the skipped list goes unnoticed.
   */
  skipDiscarded?: boolean;
  /** Fill `MapInput.symbols` of the stored input records (not with a sink). */
  symbols?: boolean;
}

/** Parses a map; with a sink, the records go to it as they are read (and `inputs` stay empty). */
export function parseMapFile(text: string, sink?: MapRecordSink, options: ParseOptions = {}): MapFile {
  // The cross-reference table (ld --cref) comes last and holds nothing the model needs: the
  // loop stops at its heading. Searching for the heading up front (6 ms in 25 MB) is only
  // needed when a NUL or a tab makes it matter where the table starts.
  let n = text.length;
  const tab = text.indexOf('\t');
  if (tab >= 0 || text.indexOf('\0') >= 0) {
    const cref = text.indexOf('\n' + CROSS_REFERENCE);
    if (cref >= 0) n = cref + 1;
    checkText(text, n);
  }
  const p = new Parser(sink);
  p.noTabs = tab < 0 || tab >= n;
  const careful = options.careful === true;
  p.collectSymbols = options.symbols === true && sink === undefined;
  let start = 0;
  let no = 0;
  while (start < n) {
    if (start > 0 && text.charCodeAt(start) === CROSS_REFERENCE_FIRST && text.startsWith(CROSS_REFERENCE, start)) break;
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    const lineEnd = end > start && text.charCodeAt(end - 1) === CARRIAGE_RETURN ? end - 1 : end;
    no++;
    if (p.symbolsOf) p.symbolLine(text.slice(start, lineEnd));
    if (careful || !p.fastLine(text, start, lineEnd, no)) p.line(text.slice(start, lineEnd), no);
    start = end + 1;
    if (options.skipDiscarded && p.inDiscardedList) {
      const next = text.indexOf('\nMemory Configuration', start - 1);
      if (next < 0 || next >= n) continue;
      no += countLineBreaks(text, start, next + 1);
      start = next + 1;
    }
  }
  return p.end(no);
}

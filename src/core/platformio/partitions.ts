// ESP-IDF partition tables: the binary table the build writes (partitions.bin /
// partition-table.bin, flashed at 0x8000) and the CSV that PlatformIO's
// `board_build.partitions` names. Pure: callers read the files and pass bytes or text.
//
// The binary table is a run of 32-byte entries: magic AA 50, type, subtype, offset (u32
// little endian), size (u32), a 16-byte NUL-padded label and flags (u32). An entry that
// starts EB EB carries the MD5 of every entry before it in its last 16 bytes, and 32 bytes
// of FF end the table. The table area is 0xC00 bytes, so at most 96 entries are read.
import { createHash } from 'node:crypto';
import { Esp32mmError } from '../errors';

/** Where the table sits in flash unless the project moves it (CONFIG_PARTITION_TABLE_OFFSET). */
export const PARTITION_TABLE_OFFSET = 0x8000;
/** The flash sector the table occupies: the first partition starts at least this far after the table's offset. */
export const PARTITION_TABLE_SECTOR = 0x1000;
/** Bytes of the table area (entries, MD5 entry and end marker). */
export const PARTITION_TABLE_BYTES = 0xc00;
export const PARTITION_ENTRY_BYTES = 32;
/** App partitions start on 64 KB boundaries (the flash cache maps 64 KB pages); all others on 4 KB sectors. */
export const APP_ALIGN = 0x10000;
export const DATA_ALIGN = 0x1000;

export const FLAG_ENCRYPTED = 0x1;
export const FLAG_READONLY = 0x2;

export type PartitionType = 'app' | 'data' | number;
/** A subtype name of app/data partitions (`factory`, `ota_0`, `nvs`, `spiffs`, …) or, when it has none, its number. */
export type PartitionSubtype = string | number;

export interface Partition {
  label: string;
  type: PartitionType;
  subtype: PartitionSubtype;
  /** Flash offset in bytes. */
  offset: number;
  size: number;
  encrypted: boolean;
  readonly: boolean;
}

/** Every problem with a table. `offset` is the byte offset in a binary table, `line` the 1-based CSV line. */
export class PartitionTableError extends Esp32mmError {
  readonly code = 'PARTITION_TABLE';
  constructor(
    message: string,
    readonly offset?: number,
    readonly line?: number,
  ) {
    super(message);
  }
}

const TYPES: Record<string, number> = { app: 0x00, data: 0x01 };

const APP_SUBTYPES: Record<string, number> = { factory: 0x00, test: 0x20 };
for (let n = 0; n < 16; n++) APP_SUBTYPES[`ota_${n}`] = 0x10 + n;

/**
 * The partition flash-slot library images live in (docs/design.md §6a): type data, our own
 * subtype 0x40 (outside ESP-IDF's list, so tables write it as a number), label `mmlib`.
 */
export const MMLIB_LABEL = 'mmlib';
export const MMLIB_SUBTYPE = 0x40;

const DATA_SUBTYPES: Record<string, number> = {
  ota: 0x00,
  phy: 0x01,
  nvs: 0x02,
  coredump: 0x03,
  nvs_keys: 0x04,
  efuse: 0x05,
  undefined: 0x06,
  esphttpd: 0x80,
  fat: 0x81,
  spiffs: 0x82,
  littlefs: 0x83,
};

function subtypeNames(type: number): Record<string, number> | undefined {
  return type === TYPES.app ? APP_SUBTYPES : type === TYPES.data ? DATA_SUBTYPES : undefined;
}

function typeFromNumber(n: number): PartitionType {
  return n === TYPES.app ? 'app' : n === TYPES.data ? 'data' : n;
}

function subtypeFromNumber(type: number, n: number): PartitionSubtype {
  const names = subtypeNames(type);
  if (names) for (const [name, v] of Object.entries(names)) if (v === n) return name;
  return n;
}

/** The type byte of a partition. */
export function partitionTypeNumber(p: Pick<Partition, 'type'>): number {
  return typeof p.type === 'number' ? p.type : TYPES[p.type];
}

/** The subtype byte of a partition (names resolved against its type). */
export function partitionSubtypeNumber(p: Pick<Partition, 'type' | 'subtype'>): number {
  if (typeof p.subtype === 'number') return p.subtype;
  const v = subtypeNames(partitionTypeNumber(p))?.[p.subtype];
  if (v === undefined) throw new PartitionTableError(`partition subtype ${p.subtype} is not a subtype of type ${p.type}`);
  return v;
}

const hex = (n: number) => `0x${n.toString(16)}`;
const REBUILD = 'rebuild it (clean the build folder and build again) or check that the file is the one the build wrote';

// ---------------------------------------------------------------------------------------
// Binary table

export interface TableOptions {
  /** Flash size in bytes: when given, every partition must end inside it. */
  flashSize?: number;
}

/** The partitions of a binary ESP-IDF partition table; throws PartitionTableError naming the entry and byte offset. */
export function parsePartitionTable(bytes: Uint8Array, options: TableOptions = {}): Partition[] {
  const out: Partition[] = [];
  const where: { index: number; at: number }[] = [];
  const fail = (index: number, at: number, problem: string, verdict: string): never => {
    throw new PartitionTableError(`partition table: entry ${index} at offset ${hex(at)}: ${problem}: ${verdict}`, at);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const maxEntries = PARTITION_TABLE_BYTES / PARTITION_ENTRY_BYTES;
  let md5At = -1;
  // 96 entries fill the 0xC00-byte area; a full table needs no end marker
  for (let i = 0; i < maxEntries; i++) {
    const at = i * PARTITION_ENTRY_BYTES;
    if (at + PARTITION_ENTRY_BYTES > bytes.length) {
      fail(
        i,
        at,
        `the file ends after ${bytes.length} bytes, before the end marker (32 bytes of FF)`,
        `the table is truncated; ${REBUILD}`,
      );
    }
    const e = bytes.subarray(at, at + PARTITION_ENTRY_BYTES);
    if (e.every((b) => b === 0xff)) break;
    if (e[0] === 0xeb && e[1] === 0xeb) {
      if (md5At >= 0) fail(i, at, `a second MD5 entry (the first is at ${hex(md5At)})`, `the table is damaged; ${REBUILD}`);
      const want = createHash('md5').update(bytes.subarray(0, at)).digest();
      if (!want.equals(e.subarray(16, 32))) {
        fail(
          i,
          at,
          `the MD5 entry (${Buffer.from(e.subarray(16, 32)).toString('hex')}) does not match the ${i} entries before it (${want.toString('hex')})`,
          `the table is damaged; ${REBUILD}`,
        );
      }
      md5At = at;
      continue;
    }
    if (e[0] !== 0xaa || e[1] !== 0x50) {
      const first = Buffer.from(e.subarray(0, 2))
        .toString('hex')
        .replace(/(..)(..)/, '$1 $2')
        .toUpperCase();
      fail(
        i,
        at,
        `starts ${first}, not the entry magic AA 50`,
        i === 0 ? 'not an ESP-IDF partition table' : `not an ESP-IDF partition table, or it is damaged; ${REBUILD}`,
      );
    }
    if (md5At >= 0) fail(i, at, `an entry after the MD5 entry at ${hex(md5At)}`, `the table is damaged; ${REBUILD}`);
    const type = e[2],
      subtype = e[3];
    const offset = view.getUint32(at + 4, true),
      size = view.getUint32(at + 8, true);
    const flags = view.getUint32(at + 28, true);
    const labelBytes = e.subarray(12, 28);
    const nul = labelBytes.indexOf(0);
    const raw = nul >= 0 ? labelBytes.subarray(0, nul) : labelBytes; // 16 characters fill the field without a NUL
    if (raw.some((b) => b < 0x20 || b === 0x7f))
      fail(i, at, 'the label holds control characters', `not an ESP-IDF partition table, or it is damaged; ${REBUILD}`);
    const label = new TextDecoder('utf-8', { fatal: false }).decode(raw);
    const end = offset + size;
    if (size === 0) fail(i, at, `partition "${label}" has size 0`, `the table is damaged; ${REBUILD}`);
    if (end > 0x1_0000_0000)
      fail(
        i,
        at,
        `partition "${label}" (${hex(offset)} + ${hex(size)}) runs past the 4 GB flash address space`,
        `the table is damaged; ${REBUILD}`,
      );
    if (options.flashSize !== undefined && end > options.flashSize) {
      fail(
        i,
        at,
        `partition "${label}" ends at ${hex(end)}, beyond the ${options.flashSize / 0x100000} MB flash`,
        "the table does not fit this flash: pick a partition table for the board's flash size",
      );
    }
    if (type === TYPES.app && offset % APP_ALIGN !== 0) {
      fail(i, at, `app partition "${label}" at ${hex(offset)} is not on a 64 KB boundary`, `ESP-IDF never writes such a table; ${REBUILD}`);
    }
    out.push({
      label,
      type: typeFromNumber(type),
      subtype: subtypeFromNumber(type, subtype),
      offset,
      size,
      encrypted: (flags & FLAG_ENCRYPTED) !== 0,
      readonly: (flags & FLAG_READONLY) !== 0,
    });
    where.push({ index: i, at });
  }
  if (out.length === 0) fail(0, 0, 'the table has no partitions (erased flash?)', 'not an ESP-IDF partition table');
  const order = out.map((_, k) => k).sort((a, b) => out[a].offset - out[b].offset);
  for (let k = 1; k < order.length; k++) {
    const prev = out[order[k - 1]],
      cur = out[order[k]];
    if (cur.offset < prev.offset + prev.size) {
      const w = where[order[k]],
        pw = where[order[k - 1]];
      fail(
        w.index,
        w.at,
        `partition "${cur.label}" (${hex(cur.offset)}..${hex(cur.offset + cur.size)}) overlaps "${prev.label}" of entry ${pw.index} (${hex(prev.offset)}..${hex(prev.offset + prev.size)})`,
        `the table is damaged or hand-made; ${REBUILD}`,
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// CSV

export interface CsvOptions extends TableOptions {
  /** Flash offset of the table itself (default 0x8000): blank offsets start one sector after it. */
  tableOffset?: number;
  /** The file name for messages (default "partitions CSV"). */
  source?: string;
}

/** A number as ESP-IDF's CSV writes them: decimal or 0x hex, optionally followed by K (×1024) or M (×1024²). */
export function parseCsvNumber(text: string): number | undefined {
  const m = /^(0x[0-9a-f]+|[0-9]+)([km]?)$/i.exec(text.trim());
  if (!m) return undefined;
  const v = Number(m[1].toLowerCase().startsWith('0x') ? parseInt(m[1].slice(2), 16) : parseInt(m[1], 10));
  const mult = m[2].toLowerCase() === 'k' ? 1024 : m[2].toLowerCase() === 'm' ? 1024 * 1024 : 1;
  return v * mult;
}

function truncateUtf8(s: string, maxBytes: number): string {
  const enc = new TextEncoder();
  if (enc.encode(s).length <= maxBytes) return s;
  let out = '';
  for (const ch of s) {
    if (enc.encode(out + ch).length > maxBytes) break;
    out += ch;
  }
  return out;
}

/**
 * The partitions a partition CSV describes, with blank offsets filled in: each goes right
 * after the previous partition (the first right after the table's sector), moved up to the
 * next 64 KB boundary for app partitions and the next 4 KB sector for all others.
 */
export function parsePartitionCsv(text: string, options: CsvOptions = {}): Partition[] {
  const source = options.source ?? 'partitions CSV';
  const tableOffset = options.tableOffset ?? PARTITION_TABLE_OFFSET;
  const out: Partition[] = [];
  const lineOf: number[] = [];
  let lastEnd = tableOffset + PARTITION_TABLE_SECTOR;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const fail = (problem: string): never => {
      throw new PartitionTableError(`${source} line ${lineNo}: ${problem}`, undefined, lineNo);
    };
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const f = line.split(',').map((s) => s.trim());
    if (f.length < 5)
      fail(`expected Name, Type, SubType, Offset, Size[, Flags] but found ${f.length} field${f.length === 1 ? '' : 's'}: "${line}"`);
    const [name, typeText, subtypeText, offsetText, sizeText] = f;
    const flagsText = f.slice(5).join(',');
    if (name === '') fail('the partition has no name');

    const typeName = typeText.toLowerCase();
    let type: number;
    if (TYPES[typeName] !== undefined) type = TYPES[typeName];
    else {
      const n = parseCsvNumber(typeText);
      if (n === undefined || /[km]$/i.test(typeText) || n > 0xfe) fail(`type "${typeText}" is not app, data or a number 0..254`);
      type = n!;
    }

    const names = subtypeNames(type);
    let subtype: number;
    const subName = subtypeText.toLowerCase();
    if (names && names[subName] !== undefined) subtype = names[subName];
    else {
      const n = subtypeText === '' ? undefined : parseCsvNumber(subtypeText);
      if (n === undefined || /[km]$/i.test(subtypeText) || n > 0xfe) {
        fail(
          `subtype "${subtypeText}" is not ${names ? `a subtype of ${typeFromNumber(type)} (${Object.keys(names).join(', ')}) or ` : ''}a number 0..254`,
        );
      }
      subtype = n!;
    }

    const align = type === TYPES.app ? APP_ALIGN : DATA_ALIGN;
    let offset: number;
    if (offsetText === '') {
      offset = Math.ceil(lastEnd / align) * align;
    } else {
      const n = parseCsvNumber(offsetText);
      if (n === undefined) fail(`offset "${offsetText}" is not a number (decimal, 0x hex, K or M suffix)`);
      offset = n!;
      if (offset % align !== 0)
        fail(`offset ${hex(offset)} of ${type === TYPES.app ? 'app' : 'this'} partition "${name}" is not aligned to ${hex(align)}`);
      if (offset < lastEnd) {
        fail(
          out.length === 0
            ? `offset ${hex(offset)} of the first partition "${name}" overlaps the partition table (it ends at ${hex(lastEnd)})`
            : `offset ${hex(offset)} of "${name}" overlaps "${out[out.length - 1].label}" (line ${lineOf[out.length - 1]}), which ends at ${hex(lastEnd)}`,
        );
      }
    }

    if (sizeText === '') fail(`partition "${name}" has no size`);
    const size = parseCsvNumber(sizeText);
    if (size === undefined) fail(`size "${sizeText}" is not a number (decimal, 0x hex, K or M suffix)`);
    if (size === 0) fail(`partition "${name}" has size 0`);
    const end = offset + size!;
    if (end > 0x1_0000_0000) fail(`partition "${name}" (${hex(offset)} + ${hex(size!)}) runs past the 4 GB flash address space`);
    if (options.flashSize !== undefined && end > options.flashSize) {
      fail(`partition "${name}" ends at ${hex(end)}, beyond the ${options.flashSize / 0x100000} MB flash`);
    }

    let encrypted = false,
      readonly = false;
    for (const flag of flagsText
      .split(':')
      .map((s) => s.trim())
      .filter((s) => s !== '')) {
      if (flag === 'encrypted') encrypted = true;
      else if (flag === 'readonly') readonly = true;
      else fail(`unknown flag "${flag}" (known: encrypted, readonly; separate several with ':')`);
    }

    const label = truncateUtf8(name, 16);
    const dup = out.findIndex((p) => p.label === label);
    if (dup >= 0) fail(`a second partition named "${label}" (the first is on line ${lineOf[dup]})`);
    out.push({ label, type: typeFromNumber(type), subtype: subtypeFromNumber(type, subtype), offset, size: size!, encrypted, readonly });
    lineOf.push(lineNo);
    lastEnd = end;
  });
  if (out.length === 0) throw new PartitionTableError(`${source}: no partitions (only comments or blank lines)`);
  return out;
}

// ---------------------------------------------------------------------------------------

/**
 * The app partition the bootloader starts when no OTA update has chosen another one (no
 * `otadata` partition, or an erased one): the factory app if the table has one; otherwise
 * the OTA slot with the lowest number (ota_0 first); otherwise the test app; otherwise the
 * first app partition of the table. Undefined when there is no app partition at all.
 * Which slot a device runs after an OTA update is in its otadata, not in the table.
 */
export function firstAppPartition(parts: Partition[]): Partition | undefined {
  const apps = parts.filter((p) => p.type === 'app');
  const factory = apps.find((p) => p.subtype === 'factory');
  if (factory) return factory;
  const ota = apps
    .map((p) => ({ p, n: typeof p.subtype === 'string' && /^ota_\d+$/.test(p.subtype) ? Number(p.subtype.slice(4)) : -1 }))
    .filter((x) => x.n >= 0)
    .sort((a, b) => a.n - b.n);
  if (ota.length > 0) return ota[0].p;
  return apps.find((p) => p.subtype === 'test') ?? apps[0];
}

/** A partition table file: CSV when the name ends in .csv, else the binary table. */
export function parsePartitionFile(bytes: Uint8Array, path: string): Partition[] {
  return path.toLowerCase().endsWith('.csv')
    ? parsePartitionCsv(new TextDecoder().decode(bytes), { source: path })
    : parsePartitionTable(bytes);
}

/**
 * The largest app partition: the furthest the app's own flash code can reach into the
 * instruction window (an OTA update may boot any of them). Undefined without app partitions.
 */
export function largestAppPartition(parts: Partition[]): Partition | undefined {
  return parts
    .filter((p) => p.type === 'app')
    .reduce<Partition | undefined>((best, p) => (!best || p.size > best.size ? p : best), undefined);
}

/**
 * The partition for flash-slot library images: data, subtype 0x40. A partition labelled
 * mmlib with another type or subtype is refused (the loader would not find it).
 */
export function libraryPartition(parts: Partition[]): Partition | undefined {
  const found = parts.find((p) => p.type === 'data' && p.subtype === MMLIB_SUBTYPE);
  if (found) return found;
  const named = parts.find((p) => p.label === MMLIB_LABEL);
  if (named) {
    throw new PartitionTableError(
      `partition "${MMLIB_LABEL}" has type ${named.type} and subtype ${typeof named.subtype === 'number' ? hex(named.subtype) : named.subtype}: flash-slot libraries need type data, subtype ${hex(MMLIB_SUBTYPE)} — write it as "${mmlibCsvLine(named.size)}"`,
    );
  }
  return undefined;
}

/** The CSV line of the library partition (offset left blank: the table fills it in after the previous one). */
export function mmlibCsvLine(size: number, offset?: number): string {
  const sizeText = size % 0x100000 === 0 ? `${size / 0x100000}M` : size % 1024 === 0 ? `${size / 1024}K` : hex(size);
  return `${MMLIB_LABEL}, data, ${hex(MMLIB_SUBTYPE)}, ${offset === undefined ? '' : hex(offset)}, ${sizeText},`;
}

/** The library partition's size when init adds one and the flash has room (docs/design.md §6a). */
export const MMLIB_DEFAULT_SIZE = 0x100000;
/** The smallest useful library partition: the directory and one 64 KB image. */
export const MMLIB_MIN_SIZE = 0x20000;

export type LibraryPartitionPlan =
  | { kind: 'present'; partition: Partition }
  | { kind: 'add'; line: string; text: string; partition: { offset: number; size: number } }
  | { kind: 'manual'; line: string; problem: string };

/**
 * How to give a partition CSV its mmlib partition: after the last partition, on a 64 KB
 * boundary (the loader maps its images as whole MMU pages), 1 MB or, when less is left, the
 * largest multiple of 64 KB that fits in `flashSize`. Without the flash size nothing is
 * written: whether it fits cannot be told. The new line keeps the file's line endings.
 */
export function planLibraryPartition(text: string, flashSize: number | undefined, source = 'partitions CSV'): LibraryPartitionPlan {
  const parts = parsePartitionCsv(text, { source });
  const present = libraryPartition(parts);
  if (present) return { kind: 'present', partition: present };
  const end = parts.reduce((n, p) => Math.max(n, p.offset + p.size), 0);
  const offset = Math.ceil(end / APP_ALIGN) * APP_ALIGN;
  const suggested = mmlibCsvLine(MMLIB_DEFAULT_SIZE, offset);
  if (flashSize === undefined) {
    return {
      kind: 'manual',
      line: suggested,
      problem: `the flash size is not known (set board_upload.flash_size in platformio.ini), so whether ${hex(MMLIB_DEFAULT_SIZE)} bytes fit after the last partition (it ends at ${hex(end)}) cannot be told`,
    };
  }
  const room = Math.floor((flashSize - offset) / APP_ALIGN) * APP_ALIGN;
  if (room < MMLIB_MIN_SIZE) {
    return {
      kind: 'manual',
      line: mmlibCsvLine(MMLIB_DEFAULT_SIZE),
      problem: `the table fills the ${flashSize / 0x100000} MB flash (its last partition ends at ${hex(end)}): make room by shrinking a data partition (spiffs, littlefs, fat), then add the line after it`,
    };
  }
  const size = Math.min(MMLIB_DEFAULT_SIZE, room);
  const line = mmlibCsvLine(size, offset);
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const body = text === '' || /\n$/.test(text) ? text : text + eol;
  return {
    kind: 'add',
    line,
    text: `${body}# esp32mm: flash-slot library images (type data, subtype 0x40, on a 64 KB boundary)${eol}${line}${eol}`,
    partition: { offset, size },
  };
}

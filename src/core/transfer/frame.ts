// The frame codec of docs/protocol.md: COBS framing, CRC-32, request/response payloads.
// Pure functions and one small stream splitter; no I/O, so it is unit-tested on bytes.
import { crc32 } from '../util/crc32';

export const PROTOCOL_VERSION = 1;
export const HELLO_MAGIC = 'ESP32MM';

export const FrameType = {
  HELLO: 0x01,
  OPEN: 0x02,
  DATA: 0x03,
  CLOSE: 0x04,
  ABORT: 0x05,
  LIST: 0x06,
  STAT: 0x07,
  REMOVE: 0x08,
  DF: 0x09,
  BYE: 0x0a,
  FLASH_SLOTS: 0x0b,
  RESPONSE: 0x80,
} as const;

export const Status = {
  OK: 0,
  BUSY: 1,
  FULL: 2,
  REFUSED: 3,
  NOT_FOUND: 4,
  TOO_LARGE: 5,
  BAD_CRC: 6,
  BAD_SIZE: 7,
  IO: 8,
  PROTOCOL: 9,
  VERSION: 10,
  NAME_TOO_LONG: 11,
  OUT_OF_ORDER: 12,
} as const;

export const STATUS_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Status).map(([k, v]) => [v, k]));

export interface Frame {
  type: number;
  status: number;
  seq: number;
  payload: Uint8Array;
}

// ---- COBS ----

export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + Math.ceil(data.length / 254) + 1);
  let codeAt = 0;
  let o = 1;
  let code = 1;
  for (const b of data) {
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    } else {
      out[o++] = b;
      if (++code === 0xff) {
        out[codeAt] = code;
        codeAt = o++;
        code = 1;
      }
    }
  }
  out[codeAt] = code;
  return out.subarray(0, o);
}

/** Decoded bytes, or undefined when `data` is not valid COBS (a corrupted chunk). */
export function cobsDecode(data: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(data.length);
  let i = 0;
  let o = 0;
  while (i < data.length) {
    const code = data[i++];
    if (code === 0) return undefined;
    for (let j = 1; j < code; j++) {
      if (i >= data.length || data[i] === 0) return undefined;
      out[o++] = data[i++];
    }
    if (code !== 0xff && i < data.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}

// ---- frames ----

/** The wire bytes of one frame: 0x00, COBS(type status seq payload crc), 0x00. */
export function encodeFrame(f: Frame): Uint8Array {
  const body = new Uint8Array(4 + f.payload.length + 4);
  const v = new DataView(body.buffer);
  body[0] = f.type;
  body[1] = f.status;
  v.setUint16(2, f.seq & 0xffff, true);
  body.set(f.payload, 4);
  v.setUint32(body.length - 4, crc32(body.subarray(0, body.length - 4)), true);
  const enc = cobsEncode(body);
  const wire = new Uint8Array(enc.length + 2);
  wire.set(enc, 1);
  return wire;
}

/** Parses one chunk found between two 0x00 delimiters; undefined unless it is a valid frame. */
export function decodeFrame(chunk: Uint8Array): Frame | undefined {
  const body = cobsDecode(chunk);
  if (!body || body.length < 8) return undefined;
  const v = new DataView(body.buffer, body.byteOffset, body.length);
  if (crc32(body.subarray(0, body.length - 4)) !== v.getUint32(body.length - 4, true)) return undefined;
  return { type: body[0], status: body[1], seq: v.getUint16(2, true), payload: body.slice(4, body.length - 4) };
}

/** Starts a one-shot timer and returns its cancel function (injected: the splitter does no I/O). */
export type OneShotTimer = (ms: number, fire: () => void) => () => void;

export interface SplitterOptions {
  /** Longest chunk held back; a longer one is passed on as log text (any frame is shorter). */
  maxChunk?: number;
  /**
   * Log text after a frame is passed on at each newline and, for a partial line, at the
   * latest this long after its FIRST held byte (bytes arriving meanwhile do not postpone
   * it). Needs `timer`; without one, only newlines, delimiters, the cap and `flushIdle()`.
   */
  maxHoldMs?: number;
  timer?: OneShotTimer;
}

/**
 * Splits the device's byte stream into frames and log text (protocol §7). Log text is what
 * lies between delimiters and is not a valid frame. Text after a frame (no 0x00 yet) is
 * passed on at each newline, when the next delimiter starts, after `maxHoldMs` from its
 * first byte, at `maxChunk` bytes, or by `flushIdle()`. Text after a lone 0x00 may be the
 * start of a frame, so it waits for the next delimiter (or the cap).
 */
export class FrameSplitter {
  private pending: number[] = [];
  /** true when the last delimiter closed a frame (or nothing came yet): what follows is text. */
  private textMode = true;
  private cancelHold?: () => void;
  private readonly maxChunk: number;
  private readonly maxHoldMs: number;
  private readonly timer?: OneShotTimer;

  constructor(
    private readonly onFrame: (f: Frame) => void,
    private readonly onLog: (text: Uint8Array) => void,
    opts: SplitterOptions = {},
  ) {
    this.maxChunk = opts.maxChunk ?? 8192;
    this.maxHoldMs = opts.maxHoldMs ?? 100;
    this.timer = opts.timer;
  }

  push(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b !== 0) {
        // The first byte of text after a frame starts the hold timer; later bytes do not restart it.
        if (this.textMode && this.pending.length === 0 && this.timer) {
          this.cancelHold = this.timer(this.maxHoldMs, () => {
            this.cancelHold = undefined;
            this.flushIdle();
          });
        }
        this.pending.push(b);
        if (this.pending.length >= this.maxChunk || (b === 0x0a && this.textMode)) this.release();
        continue;
      }
      this.stopHold();
      if (this.pending.length === 0) {
        this.textMode = false;
        continue;
      }
      const chunk = Uint8Array.from(this.pending);
      this.pending = [];
      const frame = decodeFrame(chunk);
      if (frame) {
        this.textMode = true;
        this.onFrame(frame);
      } else {
        this.textMode = false;
        this.onLog(chunk);
      }
    }
  }

  /** Pending bytes after a frame cannot be a frame: pass them on as text now (e.g. at close). */
  flushIdle(): void {
    if (this.textMode && this.pending.length) this.release();
  }

  private stopHold(): void {
    this.cancelHold?.();
    this.cancelHold = undefined;
  }

  private release(): void {
    this.stopHold();
    const text = Uint8Array.from(this.pending);
    this.pending = [];
    this.onLog(text);
  }
}

// ---- payloads ----

class Writer {
  private bytes: number[] = [];
  u8(v: number) {
    this.bytes.push(v & 0xff);
    return this;
  }
  u16(v: number) {
    return this.u8(v).u8(v >>> 8);
  }
  u32(v: number) {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }
  str(s: string) {
    const b = new TextEncoder().encode(s);
    if (b.length > 255) throw new Error(`path too long for the protocol (${b.length} bytes): ${s}`);
    this.u8(b.length);
    for (const x of b) this.bytes.push(x);
    return this;
  }
  raw(b: Uint8Array) {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  done() {
    return Uint8Array.from(this.bytes);
  }
}

class Reader {
  private o = 0;
  private readonly v: DataView;
  constructor(private readonly b: Uint8Array) {
    this.v = new DataView(b.buffer, b.byteOffset, b.length);
  }
  private need(n: number) {
    if (this.o + n > this.b.length) throw new Error(`malformed response from the agent (${this.b.length} bytes, needed ${this.o + n})`);
  }
  u8() {
    this.need(1);
    return this.b[this.o++];
  }
  u16() {
    this.need(2);
    const x = this.v.getUint16(this.o, true);
    this.o += 2;
    return x;
  }
  u32() {
    this.need(4);
    const x = this.v.getUint32(this.o, true);
    this.o += 4;
    return x;
  }
  u64() {
    const lo = this.u32();
    const hi = this.u32();
    return hi * 2 ** 32 + lo;
  }
  bytes(n: number) {
    this.need(n);
    const x = this.b.slice(this.o, this.o + n);
    this.o += n;
    return x;
  }
  str() {
    return new TextDecoder().decode(this.bytes(this.u8()));
  }
}

export function helloPayload(version = PROTOCOL_VERSION): Uint8Array {
  return new Writer().raw(new TextEncoder().encode(HELLO_MAGIC)).u8(version).done();
}

export interface Capabilities {
  version: number;
  maxPath: number;
  maxData: number;
  window: number;
  maxFile: number;
  total: number;
  free: number;
  buildId: string; // 64 hex digits
  chip: string;
  filesystems: string[];
  root: string;
}

export function parseCapabilities(p: Uint8Array): Capabilities {
  const r = new Reader(p);
  const version = r.u8();
  const maxPath = r.u8();
  const maxData = r.u16();
  const window = r.u32();
  const maxFile = r.u32();
  const total = r.u64();
  const free = r.u64();
  const buildId = Buffer.from(r.bytes(32)).toString('hex');
  const chip = r.str();
  const filesystems = r.str().split(',').filter(Boolean);
  const root = r.str();
  return { version, maxPath, maxData, window, maxFile, total, free, buildId, chip, filesystems, root };
}

export const openPayload = (path: string, size: number, crc: number, truncate: boolean) =>
  new Writer()
    .u32(size)
    .u32(crc)
    .u8(truncate ? 1 : 0)
    .str(path)
    .done();

export function parseOpenReply(p: Uint8Array) {
  const r = new Reader(p);
  return { partLen: r.u32(), partCrc: r.u32() };
}

export function dataPayload(offset: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, offset, true);
  out.set(bytes, 4);
  return out;
}

export const ackOffset = (p: Uint8Array) => new Reader(p).u32();
export const closePayload = (size: number, crc: number) => new Writer().u32(size).u32(crc).done();
export const abortPayload = (deletePart: boolean) => new Writer().u8(deletePart ? 1 : 0).done();
export const listPayload = (path: string, index: number) => new Writer().u16(index).str(path).done();
export const statPayload = (path: string, withCrc: boolean) =>
  new Writer()
    .u8(withCrc ? 1 : 0)
    .str(path)
    .done();
export const removePayload = (path: string) => new Writer().str(path).done();

export interface DirEntry {
  name: string;
  kind: 'file' | 'dir';
  size: number;
}

export function parseListReply(p: Uint8Array): { entries: DirEntry[]; more: boolean } {
  const r = new Reader(p);
  const count = r.u16();
  const more = r.u8() === 1;
  const entries: DirEntry[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r.u8() === 2 ? 'dir' : 'file';
    const size = r.u32();
    entries.push({ name: r.str(), kind, size });
  }
  return { entries, more };
}

export function parseStatReply(p: Uint8Array) {
  const r = new Reader(p);
  const kind: 'file' | 'dir' = r.u8() === 2 ? 'dir' : 'file';
  return { kind, size: r.u32(), crc: r.u32() };
}

export function parseDfReply(p: Uint8Array) {
  const r = new Reader(p);
  const total = r.u64();
  const used = r.u64();
  return { total, used, free: Math.max(0, total - used) };
}

export const flashSlotsPayload = (start: number) => new Writer().u8(start).done();

/** One flash-slot image as the device's partition describes it (protocol §2, FLASH_SLOTS). */
export interface FlashImage {
  index: number;
  library: string;
  /** Offset of the image in the library partition. */
  offset: number;
  /** Bytes the valid header describes; 0 if the header is not valid. */
  size: number;
  writes: number;
  limit: number;
  valid: boolean;
  mapped: boolean;
  /** The valid header is this firmware's build of the library. */
  current: boolean;
}

/** Above this share of its write limit an image is worth a warning: NOR flash wears out. */
export const WRITE_WARNING_SHARE = 0.8;
export const nearWriteLimit = (i: FlashImage) => i.limit > 0 && i.writes > WRITE_WARNING_SHARE * i.limit;

export function parseFlashSlotsReply(p: Uint8Array): { images: FlashImage[]; more: boolean } {
  const r = new Reader(p);
  const count = r.u8();
  const more = r.u8() === 1;
  const images: FlashImage[] = [];
  for (let i = 0; i < count; i++) {
    const index = r.u8();
    const offset = r.u32();
    const size = r.u32();
    const writes = r.u32();
    const limit = r.u32();
    const flags = r.u8();
    images.push({
      index,
      library: r.str(),
      offset,
      size,
      writes,
      limit,
      valid: !!(flags & 1),
      mapped: !!(flags & 2),
      current: !!(flags & 4),
    });
  }
  return { images, more };
}

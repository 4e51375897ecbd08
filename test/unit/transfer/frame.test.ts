import { describe, expect, it } from 'vitest';
import { crc32 as zlibCrc32 } from 'node:zlib';
import {
  FrameSplitter,
  FrameType,
  Status,
  cobsDecode,
  cobsEncode,
  decodeFrame,
  encodeFrame,
  helloPayload,
  nearWriteLimit,
  parseCapabilities,
  parseFlashSlotsReply,
  parseListReply,
  type Frame,
} from '../../../src/core/transfer/frame';
import { crc32 } from '../../../src/core/util/crc32';

const hex = (s: string) =>
  Uint8Array.from(
    s
      .split(' ')
      .filter(Boolean)
      .map((b) => parseInt(b, 16)),
  );

describe('COBS', () => {
  // Vectors from the COBS paper / Wikipedia's table.
  const vectors: [string, string][] = [
    ['00', '01 01'],
    ['00 00', '01 01 01'],
    ['11 22 00 33', '03 11 22 02 33'],
    ['11 22 33 44', '05 11 22 33 44'],
    ['11 00 00 00', '02 11 01 01 01'],
  ];
  it.each(vectors)('encodes %s as %s and back', (raw, enc) => {
    expect(cobsEncode(hex(raw))).toEqual(hex(enc));
    expect(cobsDecode(hex(enc))).toEqual(hex(raw));
  });

  it('handles 254- and 255-byte runs without zeros', () => {
    for (const n of [253, 254, 255, 256, 508, 1040]) {
      const data = Uint8Array.from({ length: n }, (_, i) => 1 + (i % 255));
      const enc = cobsEncode(data);
      expect(enc.includes(0)).toBe(false);
      expect(enc.length).toBeLessThanOrEqual(n + Math.ceil(n / 254) + 1);
      expect(cobsDecode(enc)).toEqual(data);
    }
  });

  it('rejects a zero inside the encoded data and a truncated group', () => {
    expect(cobsDecode(hex('03 11 00'))).toBeUndefined();
    expect(cobsDecode(hex('05 11 22'))).toBeUndefined();
  });
});

describe('frames', () => {
  const frame: Frame = { type: FrameType.OPEN, status: 0, seq: 0xbeef, payload: Uint8Array.from([0, 1, 2, 0, 255]) };

  it('round-trips and is delimited by 0x00 with none inside', () => {
    const wire = encodeFrame(frame);
    expect(wire[0]).toBe(0);
    expect(wire[wire.length - 1]).toBe(0);
    expect(wire.subarray(1, -1).includes(0)).toBe(false);
    expect(decodeFrame(wire.subarray(1, -1))).toEqual(frame);
  });

  it('uses zlib-compatible CRC-32 over type..payload', () => {
    // Node's zlib.crc32 is an independent implementation of the same CRC.
    const body = Uint8Array.from([frame.type, 0, 0xef, 0xbe, ...frame.payload]);
    const decoded = cobsDecode(encodeFrame(frame).subarray(1, -1))!;
    expect(new DataView(decoded.buffer).getUint32(decoded.length - 4, true)).toBe(zlibCrc32(body));
    expect(crc32(body)).toBe(zlibCrc32(body));
  });

  it('rejects any single corrupted byte', () => {
    const wire = encodeFrame(frame).subarray(1, -1);
    for (let i = 0; i < wire.length; i++) {
      for (const flip of [1, 0x80, 0xff]) {
        const bad = Uint8Array.from(wire);
        bad[i] ^= flip;
        if (bad[i] === 0) continue; // a 0x00 splits the chunk: the splitter never passes it whole
        expect(decodeFrame(bad), `byte ${i} ^ ${flip}`).toBeUndefined();
      }
    }
  });

  it('parses the HELLO capabilities layout of protocol.md §3', () => {
    const p: number[] = [1, 64, 0x00, 0x04, 0x00, 0x20, 0, 0, 0, 0, 0, 1];
    const u64 = (n: number) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(n));
      return [...b];
    };
    p.push(...u64(64 * 2 ** 30), ...u64(2 ** 33 + 5));
    p.push(...Array.from({ length: 32 }, (_, i) => i));
    for (const s of ['esp32s3', 'sd,littlefs', '/mm']) p.push(s.length, ...Buffer.from(s));
    expect(parseCapabilities(Uint8Array.from(p))).toEqual({
      version: 1,
      maxPath: 64,
      maxData: 1024,
      window: 8192,
      maxFile: 16 * 2 ** 20,
      total: 64 * 2 ** 30,
      free: 2 ** 33 + 5,
      buildId: Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('hex'),
      chip: 'esp32s3',
      filesystems: ['sd', 'littlefs'],
      root: '/mm',
    });
    expect(() => parseCapabilities(Uint8Array.from(p.slice(0, 40)))).toThrow(/malformed response/);
  });

  it('parses LIST pages', () => {
    const p = [2, 0, 1, 1, 10, 0, 0, 0, 3, ...Buffer.from('a_e'), 2, 0, 0, 0, 0, 3, ...Buffer.from('sub')];
    expect(parseListReply(Uint8Array.from(p))).toEqual({
      more: true,
      entries: [
        { name: 'a_e', kind: 'file', size: 10 },
        { name: 'sub', kind: 'dir', size: 0 },
      ],
    });
  });

  it('HELLO carries the magic and the version', () => {
    expect(Buffer.from(helloPayload()).toString('latin1')).toBe('ESP32MM\x01');
  });
});

describe('FrameSplitter: frames and the application log on one port', () => {
  const collect = () => {
    const frames: Frame[] = [];
    const logs: string[] = [];
    const s = new FrameSplitter(
      (f) => frames.push(f),
      (t) => logs.push(Buffer.from(t).toString()),
    );
    return { s, frames, logs };
  };
  const ack = (seq: number) =>
    encodeFrame({ type: FrameType.DATA | FrameType.RESPONSE, status: Status.OK, seq, payload: Uint8Array.from([4, 0, 0, 0]) });

  it('separates log lines before, between and after frames, in any chunking', () => {
    const stream = Buffer.concat([
      Buffer.from('boot: hello\r\n'),
      ack(1),
      Buffer.from('[app] tick 1\n'),
      ack(2),
      ack(3),
      Buffer.from('tail'),
    ]);
    for (const step of [1, 3, 7, stream.length]) {
      const { s, frames, logs } = collect();
      for (let i = 0; i < stream.length; i += step) s.push(stream.subarray(i, i + step));
      s.flushIdle();
      expect(frames.map((f) => f.seq)).toEqual([1, 2, 3]);
      expect(logs).toEqual(['boot: hello\r\n', '[app] tick 1\n', 'tail']);
    }
  });

  it('does not flush a frame in progress as log text', () => {
    const { s, frames, logs } = collect();
    const w = ack(9);
    s.push(Buffer.from('log\n'));
    s.push(w.subarray(0, 5));
    s.flushIdle();
    s.push(w.subarray(5));
    expect(frames).toHaveLength(1);
    expect(logs).toEqual(['log\n']);
  });

  it('passes a corrupted frame on as noise, not as a frame', () => {
    const { s, frames, logs } = collect();
    const w = Uint8Array.from(ack(5));
    w[4] ^= 0x10;
    s.push(w);
    expect(frames).toHaveLength(0);
    expect(logs).toHaveLength(1);
  });

  /** A hand-driven clock for the splitter's injected timer. */
  const fakeTimer = () => {
    let now = 0;
    const due: { at: number; fire: () => void; live: boolean }[] = [];
    const timer = (ms: number, fire: () => void) => {
      const t = { at: now + ms, fire, live: true };
      due.push(t);
      return () => {
        t.live = false;
      };
    };
    const advance = (ms: number) => {
      now += ms;
      for (const t of due)
        if (t.live && t.at <= now) {
          t.live = false;
          t.fire();
        }
    };
    return { timer, advance, started: () => due.length };
  };

  it('passes each line on at its newline, with no timer involved', () => {
    const { s, frames, logs } = collect();
    s.push(Buffer.concat([ack(1), Buffer.from('[app] heartbeat 0\r\n[app] heart')]));
    expect(logs).toEqual(['[app] heartbeat 0\r\n']);
    s.push(Buffer.from('beat 1\r\n'));
    expect(logs).toEqual(['[app] heartbeat 0\r\n', '[app] heartbeat 1\r\n']);
    expect(frames).toHaveLength(1);
  });

  it('holds a partial line at most maxHoldMs from its first byte, however often more bytes come', () => {
    const clock = fakeTimer();
    const logs: string[] = [];
    const s = new FrameSplitter(
      () => undefined,
      (t) => logs.push(Buffer.from(t).toString()),
      { maxHoldMs: 100, timer: clock.timer },
    );
    s.push(ack(1));
    s.push(Buffer.from('flashing'));
    for (let i = 0; i < 4; i++) {
      clock.advance(20);
      s.push(Buffer.from('.'));
    }
    expect(logs).toEqual([]);
    clock.advance(20); // 100 ms after 'f'
    expect(logs).toEqual(['flashing....']);
    expect(clock.started()).toBe(1);
    s.push(Buffer.from('. done\n'));
    expect(logs).toEqual(['flashing....', '. done\n']);
    clock.advance(1000);
    expect(logs).toHaveLength(2); // the timer of released text never fires on later text
  });

  it('does not time out a frame in progress, and caps held bytes at maxChunk', () => {
    const clock = fakeTimer();
    const frames: Frame[] = [];
    const logs: Uint8Array[] = [];
    const s = new FrameSplitter(
      (f) => frames.push(f),
      (t) => logs.push(t),
      { maxChunk: 16, maxHoldMs: 100, timer: clock.timer },
    );
    const w = encodeFrame({ type: FrameType.LIST | FrameType.RESPONSE, status: 0, seq: 3, payload: Buffer.from('a\nb') });
    s.push(w.subarray(0, 6)); // the lone 0x00 and a newline-free start: a frame, not text
    clock.advance(500);
    s.push(w.subarray(6));
    expect(frames.map((f) => f.seq)).toEqual([3]);
    expect(logs).toEqual([]);
    s.push(Uint8Array.of(0, ...Buffer.from('x'.repeat(40)))); // after a lone 0x00: held until the cap
    expect(logs.map((t) => t.length)).toEqual([16, 16]);
  });
});

describe('FLASH_SLOTS reply', () => {
  const image = (writes: number, limit: number) => ({
    index: 0,
    library: 'Cam',
    offset: 0x10000,
    size: 1,
    writes,
    limit,
    valid: true,
    mapped: false,
    current: true,
  });

  it('decodes count, more and each image (protocol §2)', () => {
    const p = Uint8Array.from([1, 1, 3, 0, 0, 1, 0, 0x10, 0, 0, 0, 5, 0, 0, 0, 0xe8, 3, 0, 0, 6, 3, ...Buffer.from('Fft')]);
    expect(parseFlashSlotsReply(p)).toEqual({
      more: true,
      images: [{ index: 3, library: 'Fft', offset: 0x10000, size: 16, writes: 5, limit: 1000, valid: false, mapped: true, current: true }],
    });
    expect(() => parseFlashSlotsReply(p.subarray(0, p.length - 1))).toThrow();
  });

  it('warns above 80 % of the limit, not at it, and never for an image without a limit', () => {
    expect(nearWriteLimit(image(800, 1000))).toBe(false);
    expect(nearWriteLimit(image(801, 1000))).toBe(true);
    expect(nearWriteLimit(image(5, 0))).toBe(false);
  });
});

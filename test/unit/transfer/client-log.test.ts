// The client's console pass-through (protocol §7) on a fake byte link with a fake clock:
// the board's log lines must reach onLog while the board keeps talking, not only after it
// has been quiet for a while.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentClient, type ByteLink } from '../../../src/core/transfer/client';
import { FrameSplitter, FrameType, HELLO_MAGIC, Status, encodeFrame } from '../../../src/core/transfer/frame';

/** The HELLO capabilities of protocol.md §3 for a small host-like agent. */
function capsPayload(): Uint8Array {
  // version, max_path, max_data 1024, window 8192, max_file 16 MiB, total, free, build id
  const p = [1, 64, 0x00, 0x04, 0x00, 0x20, 0, 0, 0, 0, 0, 1, ...Buffer.alloc(8), ...Buffer.alloc(8), ...Buffer.alloc(32)];
  for (const s of ['host', 'posix', '/mm']) p.push(s.length, ...Buffer.from(s));
  return Uint8Array.from(p);
}

/** A board that answers HELLO and otherwise prints whatever the test makes it print. */
function fakeBoard() {
  let listener: (b: Uint8Array) => void = () => undefined;
  const fromHost = new FrameSplitter(
    (f) => {
      if (f.type === FrameType.HELLO && Buffer.from(f.payload).toString('latin1').startsWith(HELLO_MAGIC)) {
        queueMicrotask(() =>
          listener(encodeFrame({ type: FrameType.HELLO | FrameType.RESPONSE, status: Status.OK, seq: f.seq, payload: capsPayload() })),
        );
      }
    },
    () => undefined,
  );
  const link: ByteLink = {
    write: (b) => fromHost.push(b),
    onData: (l) => {
      listener = l;
    },
    close: async () => undefined,
  };
  return { link, print: (s: string | Uint8Array) => listener(typeof s === 'string' ? Buffer.from(s) : s) };
}

const ack = (seq: number, next: number) =>
  encodeFrame({
    type: FrameType.DATA | FrameType.RESPONSE,
    status: Status.OK,
    seq,
    payload: Uint8Array.of(next & 0xff, (next >> 8) & 0xff, 0, 0),
  });

describe('AgentClient: the application log that shares the port', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes a heartbeat line on at once while the board prints one every 20 ms', async () => {
    const board = fakeBoard();
    const log: string[] = [];
    const client = await AgentClient.connect(board.link, { onLog: (t) => log.push(t) });
    expect(client.caps.chip).toBe('host');
    for (let i = 0; i < 50; i++) {
      board.print(`[app] heartbeat ${i}\r\n`);
      expect(log.join(''), `line ${i}, before any time passed`).toContain(`[app] heartbeat ${i}\r\n`);
      vi.advanceTimersByTime(20);
    }
    expect(log).toEqual(Array.from({ length: 50 }, (_, i) => `[app] heartbeat ${i}\r\n`));
  });

  it('passes a partial line on 100 ms after its first byte although bytes keep coming', async () => {
    const board = fakeBoard();
    const log: string[] = [];
    await AgentClient.connect(board.link, { onLog: (t) => log.push(t) });
    board.print('formatting card');
    for (let i = 0; i < 4; i++) {
      vi.advanceTimersByTime(20);
      board.print('.');
    }
    expect(log).toEqual([]);
    vi.advanceTimersByTime(20);
    expect(log).toEqual(['formatting card....']);
  });

  it('passes text between ACK frames on when the next frame starts, frames still go through', async () => {
    const board = fakeBoard();
    const log: string[] = [];
    await AgentClient.connect(board.link, { onLog: (t) => log.push(t) });
    board.print(Buffer.concat([ack(1, 64), Buffer.from('no newline'), ack(2, 128), Buffer.from('tail')]));
    expect(log).toEqual(['no newline']);
    vi.advanceTimersByTime(100);
    expect(log).toEqual(['no newline', 'tail']);
  });

  it('keeps a multi-byte character whole when a line is cut by the hold timer', async () => {
    const board = fakeBoard();
    const log: string[] = [];
    await AgentClient.connect(board.link, { onLog: (t) => log.push(t) });
    const text = Buffer.from('temperature 21 °C\n');
    const cut = text.indexOf(0xb0); // inside the two bytes of °
    board.print(text.subarray(0, cut));
    vi.advanceTimersByTime(100);
    board.print(text.subarray(cut));
    expect(log.join('')).toBe('temperature 21 °C\n');
  });
});

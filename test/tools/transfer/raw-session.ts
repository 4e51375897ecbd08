// Frames by hand at the agent, below the client: requests the client would never send
// (REMOVE in the middle of an upload, DATA longer than announced, random bytes), and a
// record of every byte the agent sent back, so a test can check that each was a valid frame.
import {
  type ByteLink,
  type Frame,
  FrameSplitter,
  FrameType,
  encodeFrame,
  helloPayload,
  openSerialLink,
  parseCapabilities,
  type Capabilities,
} from '../../../src/core/transfer';
import { within } from './harness';

export class RawSession {
  /** Bytes from the agent between delimiters that were not a valid frame. */
  readonly junk: Uint8Array[] = [];
  readonly frames: Frame[] = [];
  caps?: Capabilities;
  private waiters: { type: number; seq: number; resolve: (f: Frame) => void }[] = [];
  private seq = 1;

  private constructor(private readonly link: ByteLink) {
    const splitter = new FrameSplitter(
      (f) => this.onFrame(f),
      (t) => this.junk.push(t),
    );
    link.onData((b) => splitter.push(b));
  }

  static async open(port: string): Promise<RawSession> {
    const s = new RawSession(await openSerialLink(port));
    const hello = await s.request(FrameType.HELLO, helloPayload());
    s.caps = parseCapabilities(hello.payload);
    return s;
  }

  private onFrame(f: Frame): void {
    this.frames.push(f);
    const type = f.type & 0x7f;
    this.waiters = this.waiters.filter((w) => (w.type === type && w.seq === f.seq ? (w.resolve(f), false) : true));
  }

  /** Sends one request and resolves with the agent's answer to it (same type and seq). */
  request(type: number, payload: Uint8Array, what = `the answer to frame type ${type}`): Promise<Frame> {
    const seq = this.seq++ & 0x7fff; // 0x8000 and up are left to send()
    const answer = new Promise<Frame>((resolve) => this.waiters.push({ type, seq, resolve }));
    this.link.write(encodeFrame({ type, status: 0, seq, payload }));
    return within(10_000, what, answer);
  }

  /** One frame with a seq of the caller's choice; nothing waits for its answer. */
  send(type: number, seq: number, payload: Uint8Array): void {
    this.link.write(encodeFrame({ type, status: 0, seq, payload }));
  }

  /** Raw bytes, framed or not. */
  write(bytes: Uint8Array): void {
    this.link.write(bytes);
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

// The transfer client: one session with the device agent over any byte link (protocol.md).
// Requests are stop-and-wait with retransmission; file data streams in a sliding window
// with go-back-N recovery. No serial code here: the link is injected (serial-link.ts).
import { crc32 } from '../util/crc32';
import { TransferError, deviceError } from './errors';
import {
  type Capabilities,
  type DirEntry,
  type FlashImage,
  type Frame,
  FrameSplitter,
  FrameType,
  Status,
  abortPayload,
  PROTOCOL_VERSION,
  ackOffset,
  closePayload,
  dataPayload,
  encodeFrame,
  helloPayload,
  listPayload,
  openPayload,
  flashSlotsPayload,
  parseCapabilities,
  parseDfReply,
  parseFlashSlotsReply,
  parseListReply,
  parseOpenReply,
  parseStatReply,
  removePayload,
  statPayload,
} from './frame';

/** A full-duplex byte pipe: a serial port in real use. */
export interface ByteLink {
  write(bytes: Uint8Array): void;
  onData(listener: (bytes: Uint8Array) => void): void;
  close(): Promise<void>;
}

export interface ClientOptions {
  /** First wait for a response; doubled per retry up to 2 s. */
  requestTimeoutMs?: number;
  requestTries?: number;
  /** How long to wait for the HELLO answer before saying no agent is there. */
  helloTimeoutMs?: number;
  /** HELLO is sent this many times within helloTimeoutMs. */
  helloTries?: number;
  /** Lower bound of the data retransmission timeout. */
  minRtoMs?: number;
  /** Give up an upload after this long without any acknowledged progress. */
  linkLostMs?: number;
  /** Caps below the agent's own limits (the stop-and-wait baseline uses 256/256). */
  maxData?: number;
  window?: number;
  /** Shrink frames after losses and grow them back (on by default). */
  adaptiveFrames?: boolean;
  /** The application's log output that shares the port (protocol §7). */
  onLog?: (text: string) => void;
}

export interface UploadProgress {
  path: string;
  /** Bytes of the file known to be on the device. */
  done: number;
  total: number;
  /** Offset the upload resumed from (a .part left by an interrupted upload), else 0. */
  resumedFrom: number;
}

export interface UploadResult {
  path: string;
  size: number;
  crc: number;
  resumedFrom: number;
  /** DATA payload bytes put on the wire, retransmissions included. */
  bytesSent: number;
  goBacks: number;
}

const DEFAULTS = {
  requestTimeoutMs: 300,
  requestTries: 8,
  helloTimeoutMs: 1500,
  helloTries: 3,
  minRtoMs: 100,
  linkLostMs: 3000,
  maxData: 1 << 30,
  window: 1 << 30,
  adaptiveFrames: true,
};
const MIN_FRAME = 32;

export class AgentClient {
  readonly caps: Capabilities;
  private readonly opts: typeof DEFAULTS & ClientOptions;
  private seq = Math.floor(Math.random() * 0x10000);
  private dataSeq = 0;
  private waiting?: { type: number; seq: number; resolve: (f: Frame) => void };
  private ackListener?: (f: Frame) => void;
  private splitter: FrameSplitter;
  /** Frame size and window learnt from losses, carried over to the next file. */
  private learnt?: { chunk: number; cwnd: number; srtt: number };

  private constructor(
    private readonly link: ByteLink,
    opts: ClientOptions,
    caps?: Capabilities,
  ) {
    this.opts = { ...DEFAULTS, ...opts };
    this.caps = caps as Capabilities;
    const decoder = new TextDecoder();
    // Console text is passed on per line, or 100 ms after its first byte at the latest
    // (a timer restarted by every chunk would hold a chatty board's log back for good).
    this.splitter = new FrameSplitter(
      (f) => this.onFrame(f),
      (t) => opts.onLog?.(decoder.decode(t, { stream: true })),
      {
        maxHoldMs: 100,
        timer: (ms, fire) => {
          const t = setTimeout(fire, ms);
          t.unref?.();
          return () => clearTimeout(t);
        },
      },
    );
    link.onData((b) => this.splitter.push(b));
  }

  /** Says HELLO and returns a client that knows the agent's capabilities. */
  static async connect(link: ByteLink, opts: ClientOptions = {}): Promise<AgentClient> {
    const c = new AgentClient(link, opts);
    const o = c.opts;
    const tries = o.helloTries;
    const reply = await c
      .request(FrameType.HELLO, helloPayload(), { tries, timeoutMs: o.helloTimeoutMs / tries, fixed: true })
      .catch((e: unknown) => {
        if (e instanceof TransferError && e.code === 'LINK_LOST') {
          throw new TransferError(
            'NO_AGENT',
            `no Memory Manager agent answered within ${o.helloTimeoutMs} ms. Check that the firmware calls ` +
              'mmAgent.begin()/poll() (or flash it first; without the agent use --uploadfs), that the baud rate ' +
              'matches, and that no other program (a serial monitor) reads the port.',
          );
        }
        throw e;
      });
    if (reply.status === Status.VERSION) {
      throw new TransferError(
        'VERSION',
        `the agent speaks protocol version ${reply.payload[0]}, this client ${PROTOCOL_VERSION}: update the firmware library or esp32mm`,
      );
    }
    if (reply.status !== Status.OK) throw deviceError('HELLO', reply.status);
    (c as { caps: Capabilities }).caps = parseCapabilities(reply.payload);
    return c;
  }

  private onFrame(f: Frame): void {
    if (!(f.type & FrameType.RESPONSE)) return;
    const type = f.type & 0x7f;
    if (type === FrameType.DATA) {
      this.ackListener?.(f);
      return;
    }
    const w = this.waiting;
    if (w && w.type === type && w.seq === f.seq) {
      this.waiting = undefined;
      w.resolve(f);
    }
  }

  /** One request with retransmission of the same bytes (same seq) until answered. */
  private request(type: number, payload: Uint8Array, o: { tries?: number; timeoutMs?: number; fixed?: boolean } = {}): Promise<Frame> {
    const seq = (this.seq = (this.seq + 1) & 0xffff);
    const wire = encodeFrame({ type, status: 0, seq, payload });
    const tries = o.tries ?? this.opts.requestTries;
    let timeout = o.timeoutMs ?? this.opts.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      let attempt = 0;
      let timer: NodeJS.Timeout | undefined;
      const send = () => {
        if (attempt++ >= tries) {
          this.waiting = undefined;
          reject(
            new TransferError(
              'LINK_LOST',
              `the agent stopped answering (no reply to request 0x${type.toString(16)} after ${tries} tries): check the cable and that the board is running`,
            ),
          );
          return;
        }
        this.link.write(wire);
        timer = setTimeout(send, timeout);
        if (!o.fixed) timeout = Math.min(timeout * 2, 2000);
      };
      this.waiting = {
        type,
        seq,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      send();
    });
  }

  private async ok(what: string, type: number, payload: Uint8Array): Promise<Frame> {
    const f = await this.request(type, payload);
    if (f.status !== Status.OK) throw deviceError(what, f.status);
    return f;
  }

  async list(path: string): Promise<DirEntry[]> {
    const all: DirEntry[] = [];
    for (;;) {
      const r = parseListReply((await this.ok(`list ${path}`, FrameType.LIST, listPayload(path, all.length))).payload);
      all.push(...r.entries);
      if (!r.more || r.entries.length === 0) return all;
    }
  }

  /** undefined when the path does not exist. */
  async stat(path: string, withCrc = false) {
    const f = await this.request(FrameType.STAT, statPayload(path, withCrc));
    if (f.status === Status.NOT_FOUND) return undefined;
    if (f.status !== Status.OK) throw deviceError(`stat ${path}`, f.status);
    return parseStatReply(f.payload);
  }

  async remove(path: string): Promise<void> {
    await this.ok(`remove ${path}`, FrameType.REMOVE, removePayload(path));
  }

  async df() {
    return parseDfReply((await this.ok('df', FrameType.DF, new Uint8Array(0))).payload);
  }

  /** The flash slots' images with their write counts; empty when the firmware has none. */
  async flashSlots(): Promise<FlashImage[]> {
    const all: FlashImage[] = [];
    for (;;) {
      const f = await this.request(FrameType.FLASH_SLOTS, flashSlotsPayload(all.length));
      // Protocol version 1 agents from before FLASH_SLOTS answer any unknown type this way.
      if (f.status === Status.PROTOCOL) {
        throw new TransferError(
          'AGENT_TOO_OLD',
          "this firmware's agent is older and cannot report flash slots: update the device library (firmware/) and flash the board again",
        );
      }
      if (f.status !== Status.OK) throw deviceError('flash slots', f.status);
      const r = parseFlashSlotsReply(f.payload);
      all.push(...r.images);
      if (!r.more || r.images.length === 0) return all;
    }
  }

  /**
   * Uploads `data` as `path`: OPEN (resuming a matching .part), windowed DATA, CLOSE with
   * size + CRC. The device only renames the .part over `path` when both match.
   */
  async upload(
    path: string,
    data: Uint8Array,
    o: { signal?: AbortSignal; onProgress?: (p: UploadProgress) => void } = {},
  ): Promise<UploadResult> {
    const crc = crc32(data);
    if (data.length > this.caps.maxFile) throw deviceError(`upload ${path} (${data.length} bytes)`, Status.TOO_LARGE);
    o.signal?.throwIfAborted?.();
    let open = parseOpenReply((await this.ok(`open ${path}`, FrameType.OPEN, openPayload(path, data.length, crc, false))).payload);
    if (open.partLen > 0 && crc32(data.subarray(0, open.partLen)) !== open.partCrc) {
      // The .part belongs to another version of the file: start over.
      open = parseOpenReply((await this.ok(`open ${path}`, FrameType.OPEN, openPayload(path, data.length, crc, true))).payload);
    }
    const resumedFrom = open.partLen;
    let stats: { bytesSent: number; goBacks: number };
    try {
      stats = await this.stream(path, data, resumedFrom, o);
    } catch (e) {
      if (e instanceof TransferError && e.code === 'CANCELLED') {
        // Keep the .part so a later upload resumes; the old file is untouched either way.
        await this.request(FrameType.ABORT, abortPayload(false), { tries: 2 }).catch(() => undefined);
      }
      throw e;
    }
    await this.ok(`close ${path}`, FrameType.CLOSE, closePayload(data.length, crc));
    return { path, size: data.length, crc, resumedFrom, ...stats };
  }

  private stream(
    path: string,
    data: Uint8Array,
    start: number,
    o: { signal?: AbortSignal; onProgress?: (p: UploadProgress) => void },
  ): Promise<{ bytesSent: number; goBacks: number }> {
    const size = data.length;
    const maxChunk = Math.max(1, Math.min(this.caps.maxData, this.opts.maxData));
    const window = Math.max(1, Math.min(this.caps.window, this.opts.window));
    const { minRtoMs, linkLostMs, adaptiveFrames } = this.opts;
    let acked = start;
    let next = start;
    // Frame size and congestion window: halved on each loss, grown back on clean ACKs
    // (AIMD, as TCP). A lossy line then gets short frames and little go-back-N waste.
    let chunk = Math.min(maxChunk, this.learnt?.chunk ?? maxChunk);
    let cwnd = Math.min(window, this.learnt?.cwnd ?? window);
    let cleanAcks = 0;
    let bytesSent = 0;
    let goBacks = 0;
    let srtt = this.learnt?.srtt ?? 0;
    let lastProgress = Date.now();
    // end offset -> send time; -1 once retransmitted (Karn: no RTT sample from those)
    const sentAt = new Map<number, number>();
    o.onProgress?.({ path, done: start, total: size, resumedFrom: start });

    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let finished = false;
      const finish = (err?: Error) => {
        if (finished) return;
        finished = true;
        this.learnt = { chunk, cwnd, srtt };
        clearTimeout(timer);
        this.ackListener = undefined;
        o.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve({ bytesSent, goBacks });
      };
      // Before the first RTT sample: 250 ms. Doubled per timeout without progress (as TCP),
      // so a slow line whose window takes longer than the RTO to drain still gets samples.
      let backoff = 1;
      // rttvar (Jacobson/Karels) widens it when the device's write times jitter (SD cards).
      let rttvar = srtt / 2;
      const rto = () => Math.min(linkLostMs, (srtt ? Math.max(minRtoMs, 3 * srtt, srtt + 4 * rttvar) : Math.max(minRtoMs, 250)) * backoff);
      const armTimer = () => {
        clearTimeout(timer);
        timer = setTimeout(onTimeout, rto());
      };
      // DATA seq of the first frame sent after the latest go-back: NAKs caused by frames
      // sent before it describe a gap that is already being resent.
      let goBackSeq = this.dataSeq;
      const goBack = () => {
        goBacks++;
        goBackSeq = this.dataSeq & 0xffff;
        next = acked;
        cleanAcks = 0;
        if (adaptiveFrames) {
          chunk = Math.max(Math.min(MIN_FRAME, maxChunk), chunk >> 1);
          cwnd = Math.max(8 * chunk, cwnd >> 1);
        }
      };
      const pump = () => {
        while (next < size) {
          const n = Math.min(chunk, size - next);
          if (next > acked && next - acked + n > cwnd) break;
          const end = next + n;
          this.link.write(
            encodeFrame({
              type: FrameType.DATA,
              status: 0,
              seq: this.dataSeq++ & 0xffff,
              payload: dataPayload(next, data.subarray(next, end)),
            }),
          );
          sentAt.set(end, sentAt.has(end) ? -1 : Date.now());
          bytesSent += n;
          next = end;
        }
        armTimer();
      };
      const onTimeout = () => {
        if (Date.now() - lastProgress > linkLostMs) {
          finish(
            new TransferError(
              'LINK_LOST',
              `upload of ${path} stalled at ${acked} of ${size} bytes for ${linkLostMs} ms (cable pulled, board reset or port taken?). The partial file is kept as ${path}.part on the device; upload again to resume. The previous ${path} is unchanged.`,
            ),
          );
          return;
        }
        backoff = Math.min(backoff * 2, 8);
        goBack();
        if (adaptiveFrames) chunk = Math.max(Math.min(MIN_FRAME, maxChunk), chunk >> 1); // nothing got through: shrink faster
        pump();
      };
      const onAbort = () =>
        finish(
          new TransferError(
            'CANCELLED',
            `upload of ${path} cancelled at ${acked} of ${size} bytes; the previous file on the device is unchanged`,
          ),
        );
      this.ackListener = (f) => {
        let off: number;
        try {
          off = ackOffset(f.payload);
        } catch {
          return;
        }
        if (f.status === Status.OUT_OF_ORDER) {
          if (off > acked) {
            acked = off;
            lastProgress = Date.now();
          }
          if (((f.seq - goBackSeq) & 0xffff) >= 0x8000) return; // stale: already going back
          goBack();
          pump();
          return;
        }
        if (f.status !== Status.OK) {
          finish(deviceError(`upload ${path} at byte ${off}`, f.status));
          return;
        }
        if (off <= acked) return; // a duplicate ACK
        acked = Math.min(off, size);
        if (next < acked) next = acked;
        lastProgress = Date.now();
        backoff = 1;
        const t = sentAt.get(acked);
        if (t !== undefined && t > 0) {
          const sample = lastProgress - t;
          if (srtt) {
            rttvar = 0.75 * rttvar + 0.25 * Math.abs(srtt - sample);
            srtt = 0.875 * srtt + 0.125 * sample;
          } else {
            srtt = sample;
            rttvar = sample / 2;
          }
        }
        for (const k of sentAt.keys()) if (k <= acked) sentAt.delete(k);
        if (adaptiveFrames) {
          cwnd = Math.min(window, cwnd + chunk / 2);
          if (++cleanAcks >= 16 && chunk < maxChunk) {
            chunk = Math.min(maxChunk, chunk * 2);
            cleanAcks = 0;
          }
        }
        o.onProgress?.({ path, done: acked, total: size, resumedFrom: start });
        if (acked >= size) finish();
        else pump();
      };
      if (o.signal?.aborted) {
        onAbort();
        return;
      }
      o.signal?.addEventListener('abort', onAbort);
      if (start >= size) {
        finish();
        return;
      }
      pump();
    });
  }

  /** Ends the session (the agent goes dormant) and closes the link. */
  async close(): Promise<void> {
    await this.request(FrameType.BYE, new Uint8Array(0), { tries: 2, timeoutMs: 200 }).catch(() => undefined);
    this.splitter.flushIdle();
    await this.link.close();
  }
}

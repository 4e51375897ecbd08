// Test/bench harness: real socat pty pairs, the real host agent (the device C code), and a
// fault proxy that sits between two pty pairs and corrupts, drops, throttles and hangs up.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SerialPort } from 'serialport';
import { FrameSplitter, FrameType, Status, ackOffset } from '../../../src/core/transfer/frame';

/** The repository root: found upwards from here, so this also works bundled (bench/). */
function findRepo(): string {
  for (let d = __dirname; ; d = dirname(d)) {
    if (existsSync(join(d, 'firmware/host-agent/Makefile'))) return d;
    if (dirname(d) === d) return process.cwd();
  }
}
export const REPO = findRepo();
export const AGENT = join(REPO, 'build/host-agent/mm-agent');
export const AGENT_ASAN = join(REPO, 'build/host-agent/mm-agent-asan');

/** Builds both agent binaries (make: only when sources changed). */
export function buildAgent(): void {
  execFileSync('npm', ['run', '-s', 'build:agent'], { cwd: REPO, stdio: 'inherit' });
  if (!existsSync(AGENT) || !existsSync(AGENT_ASAN)) throw new Error('npm run build:agent did not produce the agent binaries');
}

export interface PtyPair {
  a: string;
  b: string;
  stop(): void;
}

/** `socat -d -d pty,raw,echo=0 pty,raw,echo=0`: two connected pseudo-terminals. */
export function ptyPair(): Promise<PtyPair> {
  return new Promise((resolvePair, reject) => {
    const p = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const ptys: string[] = [];
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      for (const m of d.toString().matchAll(/PTY is (\S+)/g)) ptys.push(m[1]);
      if (/starting data transfer loop/.test(err) && ptys.length === 2) {
        resolvePair({
          a: ptys[0],
          b: ptys[1],
          stop: () => {
            if (p.exitCode === null) p.kill('SIGTERM');
          },
        });
      }
    });
    p.on('error', reject);
    p.on('exit', (code) => reject(new Error(`socat exited (${code}): ${err}`)));
  });
}

export interface AgentProcess {
  proc: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

export function startAgent(tty: string, card: string, extra: string[] = [], binary = AGENT_ASAN): Promise<AgentProcess> {
  return new Promise((res, reject) => {
    const proc = spawn(binary, ['--tty', tty, '--root', card, ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const handle: AgentProcess = {
      proc,
      stderr: () => err,
      stop: () =>
        new Promise((done) => {
          if (proc.exitCode !== null) {
            done();
            return;
          }
          proc.once('exit', () => done());
          proc.kill('SIGTERM');
        }),
    };
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/serving /.test(err)) res(handle);
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (!/serving /.test(err)) reject(new Error(`mm-agent exited (${code}): ${err}`));
    });
  });
}

export interface ProxyOptions {
  /** Per-byte probability of corrupting a byte (both directions). */
  corrupt?: number;
  /** Per-byte probability of dropping a byte. */
  drop?: number;
  /** Simulated line rate in bytes/s (921600 baud 8N1 = 92160); 0 = as fast as the ptys. */
  bytesPerSecond?: number;
  /** One-way latency added to every byte. */
  latencyMs?: number;
  seed?: number;
}

import { seededRandom } from '../../helpers/random';
export { seededBytes, seededRandom } from '../../helpers/random';

/** `promise`, or a rejection naming `what` when it has not settled within `ms` (the test fails, it does not hang). */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Forwards bytes between the client's pty pair (end `hostSide`) and the agent's pty pair
 * (end `deviceSide`), applying faults and a simulated line (rate + latency) per direction.
 */
export class FaultProxy {
  stats = { bytes: 0, corrupted: 0, dropped: 0, hangups: 0 };
  private down = false;
  private readonly rnd: () => number;
  private ports: SerialPort[] = [];
  private busyUntil = [0, 0];

  constructor(public opts: ProxyOptions = {}) {
    this.rnd = seededRandom(opts.seed ?? 1);
  }

  async start(hostSide: string, deviceSide: string): Promise<void> {
    const open = (path: string) =>
      new Promise<SerialPort>((res, rej) => {
        const p = new SerialPort({ path, baudRate: 921600, lock: false }, (e) => (e ? rej(e) : res(p)));
      });
    const [h, d] = [await open(hostSide), await open(deviceSide)];
    this.ports = [h, d];
    h.on('data', (b: Buffer) => this.forward(b, d, 0));
    d.on('data', (b: Buffer) => {
      this.fromDevice.push(b);
      this.forward(b, h, 1);
    });
  }

  private ackWaiters: { min: number; resolve: (next: number) => void }[] = [];
  /** Watches what the agent sends: resolves the `acked()` waiters on a DATA ACK. */
  private fromDevice = new FrameSplitter(
    (f) => {
      if (f.type !== (FrameType.DATA | FrameType.RESPONSE) || f.status !== Status.OK) return;
      const next = ackOffset(f.payload);
      this.ackWaiters = this.ackWaiters.filter((w) => (next >= w.min ? (w.resolve(next), false) : true));
    },
    () => undefined,
  );

  /** Resolves with the offset once the agent has acknowledged at least `min` bytes of a file. */
  acked(min: number): Promise<number> {
    return new Promise((resolve) => this.ackWaiters.push({ min, resolve }));
  }

  private back: Promise<void> = Promise.resolve();

  /** The cable is pulled for `ms`: everything sent meanwhile is lost. Resolves when it is back. */
  hangup(ms: number): Promise<void> {
    this.down = true;
    this.stats.hangups++;
    this.back = new Promise<void>((resolve) =>
      setTimeout(() => {
        this.down = false;
        resolve();
      }, ms),
    );
    return this.back;
  }

  /** Resolves when the line is up (at once unless a hang-up is in progress). */
  lineUp(): Promise<void> {
    return this.back;
  }

  private forward(chunk: Buffer, to: SerialPort, dir: number): void {
    if (this.down) {
      this.stats.dropped += chunk.length;
      return;
    }
    const { corrupt = 0, drop = 0, bytesPerSecond = 0, latencyMs = 0 } = this.opts;
    let out = chunk;
    if (corrupt || drop) {
      const bytes: number[] = [];
      for (const b of chunk) {
        if (drop && this.rnd() < drop) {
          this.stats.dropped++;
          continue;
        }
        if (corrupt && this.rnd() < corrupt) {
          this.stats.corrupted++;
          bytes.push(b ^ (1 + Math.floor(this.rnd() * 255)));
          continue;
        }
        bytes.push(b);
      }
      out = Buffer.from(bytes);
    }
    this.stats.bytes += chunk.length;
    if (!bytesPerSecond && !latencyMs) {
      to.write(out);
      return;
    }
    // The line sends one byte after the other: each slice arrives when its last byte has
    // been sent (+ latency). Slices of 64 bytes keep the store-and-forward delay small; one
    // FIFO per direction keeps them in order (separate timers could fire out of order).
    const now = performance.now();
    for (let i = 0; i < out.length; i += 64) {
      const slice = out.subarray(i, i + 64);
      const start = Math.max(now, this.busyUntil[dir]);
      const end = start + (bytesPerSecond ? (slice.length * 1000) / bytesPerSecond : 0);
      this.busyUntil[dir] = end;
      this.queues[dir].push({ due: end + latencyMs, bytes: slice, to });
    }
    this.schedule(dir);
  }

  private queues: { due: number; bytes: Buffer; to: SerialPort }[][] = [[], []];
  private timers: (NodeJS.Timeout | undefined)[] = [undefined, undefined];

  private schedule(dir: number): void {
    if (this.timers[dir] || !this.queues[dir].length) return;
    this.timers[dir] = setTimeout(
      () => {
        this.timers[dir] = undefined;
        const q = this.queues[dir];
        const now = performance.now();
        while (q.length && q[0].due <= now + 0.5) {
          const item = q.shift()!;
          if (!this.down) item.to.write(item.bytes);
        }
        this.schedule(dir);
      },
      Math.max(0, this.queues[dir][0].due - performance.now()),
    );
  }

  async stop(): Promise<void> {
    this.timers.forEach((t) => clearTimeout(t));
    await Promise.all(this.ports.map((p) => new Promise<void>((r) => (p.isOpen ? p.close(() => r()) : r()))));
  }
}

/** A client pty pair + agent pty pair + proxy + agent, torn down together. */
export async function proxiedAgent(card: string, proxyOpts: ProxyOptions, agentArgs: string[] = [], binary = AGENT_ASAN) {
  const client = await ptyPair();
  const device = await ptyPair();
  const proxy = new FaultProxy(proxyOpts);
  await proxy.start(client.b, device.a);
  const agent = await startAgent(device.b, card, agentArgs, binary);
  return {
    port: client.a,
    proxy,
    agent,
    stop: async () => {
      await agent.stop();
      await proxy.stop();
      client.stop();
      device.stop();
    },
  };
}

// The device agent (host build, ASan/UBSan) under random frames and path forms, on a card
// folder with symlinks, a hard link and a FIFO pointing out of it. Fixed seed, bounded time.
// After every burst a HELLO must be answered (no crash, no hang); every byte the agent sends
// must be a valid frame; nothing outside the card folder may change or appear.
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FrameType,
  closePayload,
  dataPayload,
  encodeFrame,
  helloPayload,
  listPayload,
  openPayload,
  removePayload,
  statPayload,
} from '../../src/core/transfer';
import { crc32 } from '../../src/core/util/crc32';
import { type AgentProcess, type PtyPair, buildAgent, ptyPair, startAgent } from '../tools/transfer/harness';
import { RawSession } from '../tools/transfer/raw-session';
import { type Random, below, fuzzFor, pick } from './fuzz';

let pty: PtyPair;
let agent: AgentProcess;
let session: RawSession;
let top: string;
let card: string;
let outside: string;
const mm = (...p: string[]) => join(card, 'mm', ...p);

/** What lies outside the card: every name under `top` but card/, with contents. */
function outsideState(): Record<string, string> {
  const state: Record<string, string> = {};
  for (const name of readdirSync(top, { recursive: true, encoding: 'utf8' }).sort()) {
    if (name === 'card' || name.startsWith('card/')) continue;
    const st = lstatSync(join(top, name));
    state[name] = st.isFile() ? readFileSync(join(top, name), 'latin1') : st.isDirectory() ? '<folder>' : '<other>';
  }
  return state;
}

/** The card's traps, put back whenever an earlier request replaced or removed one. */
function plantTraps(): void {
  const traps: [string, () => void][] = [
    ['leak', () => symlinkSync(join(outside, 'secret'), mm('leak'))],
    ['elsewhere', () => symlinkSync(outside, mm('elsewhere'))],
    ['victim.part', () => symlinkSync(join(outside, 'victim'), mm('victim.part'))],
    ['hard', () => linkSync(join(outside, 'hardfile'), mm('hard'))],
    ['hard2.part', () => linkSync(join(outside, 'hardfile'), mm('hard2.part'))],
    ['dangling', () => symlinkSync(join(top, 'gone'), mm('dangling'))],
    ['fifo', () => execFileSync('mkfifo', [mm('fifo')])],
  ];
  for (const [name, plant] of traps) {
    try {
      lstatSync(mm(name));
    } catch {
      plant();
    }
  }
}

const NAMES = [
  'Lib_e',
  'Lib_d',
  'Lib',
  'manifest.json',
  'leak',
  'elsewhere',
  'victim',
  'hard',
  'hard2',
  'dangling',
  'fifo',
  'sub',
  'new.bin',
  'x.part',
  '..',
  '.',
  '',
  '...',
  '%2e%2e',
  '..\\..',
  'C:',
  'a:b',
  '\u0000',
  '\u00e9t\u00e9',
  '\u202e',
  ' ',
  '\t',
  'secret',
  'outside',
  'card',
  'gone',
  'a'.repeat(70),
];

/** A path as a client might (or should never) write it. */
function randomPath(r: Random): string {
  const parts = Array.from({ length: 1 + below(r, 4) }, () => pick(r, NAMES));
  const joined = parts.join(pick(r, ['/', '/', '//', '\\']));
  return pick(r, ['/mm/', '/mm/', '', '/', '/mm', '/mm/../', '/mmx/', '//mm/', '/mm/elsewhere/']) + joined;
}

function randomBytes(r: Random, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => below(r, 256));
}

/** One burst: 1–6 requests, well-formed or not; seqs from 0x8000 so they never answer a HELLO barrier. */
function burst(r: Random): void {
  const seq = () => 0x8000 + below(r, 0x8000);
  for (let k = 1 + below(r, 6); k > 0; k--) {
    const path = randomPath(r);
    switch (below(r, 10)) {
      case 0:
        session.send(FrameType.STAT, seq(), statPayload(path, r() < 0.5));
        break;
      case 1:
        session.send(FrameType.LIST, seq(), listPayload(path, below(r, 4)));
        break;
      case 2:
        session.send(FrameType.REMOVE, seq(), removePayload(path));
        break;
      case 3: {
        // an upload, maybe finished, maybe with a lie about its size or CRC
        const data = randomBytes(r, below(r, 3000));
        session.send(FrameType.OPEN, seq(), openPayload(path, r() < 0.8 ? data.length : below(r, 1 << 20), crc32(data), r() < 0.5));
        for (let off = 0; off < data.length; off += 1024)
          session.send(
            FrameType.DATA,
            seq(),
            dataPayload(r() < 0.9 ? off : below(r, 4096), data.subarray(off, off + 1024 + (r() < 0.1 ? below(r, 8) : 0))),
          );
        if (r() < 0.7) session.send(FrameType.CLOSE, seq(), closePayload(data.length, r() < 0.8 ? crc32(data) : below(r, 2 ** 32)));
        break;
      }
      case 4:
        session.send(below(r, 256), seq(), randomBytes(r, below(r, 1100)));
        break; // any type, any payload
      case 5: {
        // a valid frame with bytes flipped on the wire
        const wire = encodeFrame({ type: 1 + below(r, 10), status: 0, seq: seq(), payload: statPayload(path, true) });
        for (let n = 1 + below(r, 3); n > 0; n--) wire[1 + below(r, wire.length - 2)] ^= 1 + below(r, 255);
        session.write(wire);
        break;
      }
      case 6:
        session.write(randomBytes(r, below(r, 2500)));
        break; // line noise, zeros included
      case 7:
        session.send(FrameType.DATA, seq(), dataPayload(below(r, 1 << 16), randomBytes(r, below(r, 1100))));
        break;
      case 8:
        session.send(pick(r, [FrameType.ABORT, FrameType.BYE, FrameType.DF, FrameType.CLOSE]), seq(), randomBytes(r, below(r, 12)));
        break;
      default:
        session.send(FrameType.HELLO, seq(), r() < 0.5 ? helloPayload(below(r, 4)) : randomBytes(r, below(r, 20)));
        break;
    }
  }
}

beforeAll(async () => {
  buildAgent();
  top = mkdtempSync(join(tmpdir(), 'mm-fuzz-agent-'));
  card = join(top, 'card');
  outside = join(top, 'outside');
  mkdirSync(join(card, 'mm', 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'never read through the card');
  writeFileSync(join(outside, 'victim'), 'never truncated through a .part');
  writeFileSync(join(outside, 'hardfile'), 'never written through a hard link');
  writeFileSync(mm('Lib_e'), 'a library file');
  plantTraps();
  pty = await ptyPair();
  agent = await startAgent(pty.b, card, ['--free', String(8 << 20)]);
  session = await RawSession.open(pty.a);
});
let hung = false;
afterAll(async () => {
  await session?.close();
  if (hung) agent?.proc.kill('SIGKILL'); // a hung agent may sit in a blocking call SIGTERM does not end
  await agent?.stop();
  pty?.stop();
});

describe('agent fuzz', () => {
  it('random frames and path forms: no crash, no hang, only valid frames back, nothing outside the card touched', async () => {
    const before = outsideState();
    const { runs } = await fuzzFor('agent', 0.25, 300, async (_i, random) => {
      hung = true; // until the HELLO after this burst is answered
      plantTraps();
      burst(random);
      // The agent handles frames in order: once this HELLO is answered, the burst was handled.
      await session.request(FrameType.HELLO, helloPayload(), 'the HELLO after a burst (agent crashed or hung?)');
      hung = false;
      if (agent.proc.exitCode !== null || agent.proc.signalCode) throw new Error(`the agent exited: ${agent.stderr()}`);
      if (session.junk.length)
        throw new Error(
          `the agent sent ${session.junk.length} chunk(s) that are not valid frames: ${Buffer.from(session.junk[0]).toString('hex').slice(0, 80)}`,
        );
      return 'accepted' as const;
    });
    expect(runs).toBeGreaterThanOrEqual(300);
    expect(outsideState()).toEqual(before);
    expect(session.frames.every((f) => (f.type & FrameType.RESPONSE) !== 0 && f.status <= 12)).toBe(true);
    expect(agent.stderr()).not.toMatch(/AddressSanitizer|runtime error|LeakSanitizer/);
    expect(existsSync(join(top, 'gone'))).toBe(false);
  });
});

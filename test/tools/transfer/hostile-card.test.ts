// A card folder prepared by someone else: symbolic links and hard links out of it, a FIFO,
// entries that cannot be stat'ed, and requests the client never sends. The host agent
// (ASan/UBSan build) must not read, create or change anything outside the card folder.
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentClient,
  FrameType,
  Status,
  closePayload,
  connectAgent,
  dataPayload,
  openPayload,
  removePayload,
} from '../../../src/core/transfer';
import { crc32 } from '../../../src/core/util/crc32';
import { type AgentProcess, type PtyPair, buildAgent, ptyPair, seededBytes, startAgent, within } from './harness';
import { RawSession } from './raw-session';

const BUILD_ID = createHash('sha256').update('hostile card').digest('hex');
let pty: PtyPair;
let agent: AgentProcess;
let top: string;
let card: string;
let outside: string;
let client: AgentClient | undefined;
let raw: RawSession | undefined;
const SECRET = 'outside the card: never sent, never changed';

const mm = (...p: string[]) => join(card, 'mm', ...p);
const out = (...p: string[]) => join(outside, ...p);

beforeAll(async () => {
  buildAgent();
  top = mkdtempSync(join(tmpdir(), 'mm-hostile-'));
  card = join(top, 'card');
  outside = join(top, 'outside');
  mkdirSync(join(card, 'mm'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(out('secret'), SECRET);
  pty = await ptyPair();
  agent = await startAgent(pty.b, card, ['--build-id', BUILD_ID]);
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  await raw?.close();
  raw = undefined;
});
afterAll(async () => {
  await agent?.stop();
  pty?.stop();
  expect(agent.stderr()).not.toMatch(/AddressSanitizer|runtime error/);
});

/** Every file outside the card with its contents: proof that nothing there changed. */
function outsideState(): Record<string, string> {
  return Object.fromEntries(
    readdirSync(outside, { recursive: true, encoding: 'utf8' })
      .sort()
      .map((n) => {
        const p = join(outside, n);
        try {
          return [n, readFileSync(p, 'utf8')];
        } catch {
          return [n, '<folder>'];
        }
      }),
  );
}

describe('symbolic links in the card are not followed', () => {
  it('STAT of a symlink (or a hard link) to a file outside is refused (no size, no CRC of it)', async () => {
    symlinkSync(out('secret'), mm('leak'));
    linkSync(out('secret'), mm('hardleak'));
    client = await connectAgent(pty.a);
    await expect(client.stat('/mm/leak', true)).rejects.toMatchObject({ status: Status.REFUSED });
    await expect(client.stat('/mm/hardleak', true)).rejects.toMatchObject({ status: Status.REFUSED });
  });

  it('LIST through a symlinked folder is refused, and the links are not listed', async () => {
    symlinkSync(outside, mm('elsewhere'));
    client = await connectAgent(pty.a);
    await expect(client.list('/mm/elsewhere')).rejects.toMatchObject({ status: Status.REFUSED });
    const names = (await client.list('/mm')).map((e) => e.name);
    expect(names).not.toContain('elsewhere');
    expect(names).not.toContain('leak');
    expect(names).not.toContain('hardleak');
  });

  it('OPEN through a symlinked folder creates nothing outside', async () => {
    if (!existsSync(mm('elsewhere'))) symlinkSync(outside, mm('elsewhere'));
    const before = outsideState();
    client = await connectAgent(pty.a);
    await expect(client.upload('/mm/elsewhere/planted.bin', seededBytes(3000, 1))).rejects.toMatchObject({ status: Status.REFUSED });
    await expect(client.upload('/mm/elsewhere/sub/planted.bin', seededBytes(30, 2))).rejects.toMatchObject({ status: Status.REFUSED });
    expect(outsideState()).toEqual(before);
  });

  it('a .part that is a symlink (or a hard link) to a file outside is replaced, not written through', async () => {
    writeFileSync(out('victim'), 'precious');
    writeFileSync(out('hard'), 'precious too');
    symlinkSync(out('victim'), mm('v.bin.part'));
    linkSync(out('hard'), mm('h.bin.part'));
    const before = outsideState();
    client = await connectAgent(pty.a);
    const v = seededBytes(5000, 3);
    const h = seededBytes(6000, 4);
    expect((await client.upload('/mm/v.bin', v)).resumedFrom).toBe(0);
    expect((await client.upload('/mm/h.bin', h)).resumedFrom).toBe(0);
    expect(outsideState()).toEqual(before);
    expect(readFileSync(mm('v.bin'))).toEqual(v);
    expect(readFileSync(mm('h.bin'))).toEqual(h);
  });

  it('a FIFO in the card is refused at once instead of hanging the agent', async () => {
    execFileSync('mkfifo', [mm('fifo')]);
    client = await connectAgent(pty.a);
    await expect(within(5000, 'STAT of a FIFO', client.stat('/mm/fifo', true))).rejects.toMatchObject({ status: Status.REFUSED });
    await expect(within(5000, 'upload onto a FIFO .part', client.upload('/mm/fifo', seededBytes(10, 5)))).resolves.toMatchObject({
      resumedFrom: 0,
    });
  });
});

describe('LIST past entries it cannot stat', () => {
  it('lists every file although dangling symlinks lie between them', async () => {
    mkdirSync(mm('many'));
    for (let i = 0; i < 40; i++) {
      writeFileSync(mm('many', `f${String(i).padStart(2, '0')}`), 'x'.repeat(i));
      if (i % 8 === 3) symlinkSync(join(top, 'gone', String(i)), mm('many', `dangling${i}`));
    }
    client = await connectAgent(pty.a);
    const names = (await client.list('/mm/many')).map((e) => e.name).sort();
    expect(names).toEqual(Array.from({ length: 40 }, (_, i) => `f${String(i).padStart(2, '0')}`));
  });
});

describe('requests the client never sends', () => {
  it('REMOVE of "Lib" leaves the open upload of "Lib_e" alone (exact names, no prefix match)', async () => {
    writeFileSync(mm('Lib'), 'an older file named Lib');
    const data = seededBytes(2048, 6);
    raw = await RawSession.open(pty.a);
    const open = await raw.request(FrameType.OPEN, openPayload('/mm/Lib_e', data.length, crc32(data), true));
    expect(open.status).toBe(Status.OK);
    expect((await raw.request(FrameType.DATA, dataPayload(0, data.subarray(0, 1024)))).status).toBe(Status.OK);
    expect((await raw.request(FrameType.REMOVE, removePayload('/mm/Lib'))).status).toBe(Status.OK);
    expect((await raw.request(FrameType.DATA, dataPayload(1024, data.subarray(1024)))).status).toBe(Status.OK);
    expect((await raw.request(FrameType.CLOSE, closePayload(data.length, crc32(data)))).status).toBe(Status.OK);
    expect(readFileSync(mm('Lib_e'))).toEqual(data);
    expect(existsSync(mm('Lib'))).toBe(false);
  });

  it('DATA longer than the max_data announced in HELLO is refused, not written', async () => {
    raw = await RawSession.open(pty.a);
    const max = raw.caps!.maxData;
    const data = Buffer.alloc(max + 2, 0x5a);
    expect((await raw.request(FrameType.OPEN, openPayload('/mm/long.bin', 4096, 0, true))).status).toBe(Status.OK);
    expect((await raw.request(FrameType.DATA, dataPayload(0, data))).status).toBe(Status.PROTOCOL);
    expect((await raw.request(FrameType.DATA, dataPayload(0, data.subarray(0, max)))).status).toBe(Status.OK);
    expect(raw.junk).toEqual([]);
  });
});

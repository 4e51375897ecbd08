// The real client (serialport) against the real device agent C code (host build) on a
// socat pty pair: upload, list, remove, df, skip, resume, and every error the user can hit.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import {
  AgentClient,
  FrameSplitter,
  FrameType,
  TransferError,
  collectFiles,
  connectAgent,
  encodeFrame,
  helloPayload,
  openSerialLink,
  uploadFiles,
  Status,
  type Frame,
} from '../../../src/core/transfer';
import { crc32 } from '../../../src/core/util/crc32';
import { type AgentProcess, type PtyPair, buildAgent, proxiedAgent, ptyPair, seededBytes, startAgent, within } from './harness';

const BUILD_ID = createHash('sha256').update('firmware A').digest('hex');
const OTHER_ID = createHash('sha256').update('firmware B').digest('hex');

let pty: PtyPair;
let agent: AgentProcess;
let card: string;
let client: AgentClient | undefined;

async function restartAgent(args: string[] = []) {
  await agent?.stop();
  agent = await startAgent(pty.b, card, ['--build-id', BUILD_ID, ...args]);
}

beforeAll(async () => {
  buildAgent();
  pty = await ptyPair();
  card = mkdtempSync(join(tmpdir(), 'mm-card-'));
  await restartAgent();
});
afterEach(async () => {
  await client?.close();
  client = undefined;
});
afterAll(async () => {
  await agent?.stop();
  pty?.stop();
});

const mm = (...p: string[]) => join(card, 'mm', ...p);

/** A split-output folder: two library files + manifest.json with their CRCs. */
function splitFolder(buildId: string, seed: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mm-split-'));
  const files = ['Lib_e', 'Lib_d'].map((file, i) => {
    const data = createHash('sha512')
      .update(seed + i)
      .digest();
    const big = Buffer.concat(Array.from({ length: 40 + i * 30 }, () => data));
    writeFileSync(join(dir, file), big);
    return { file, kind: i ? 'data' : 'code', size: big.length, crc32: '0x' + crc32(big).toString(16).padStart(8, '0') };
  });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 1, buildId, libraries: [{ name: 'Lib', files }] }));
  return dir;
}

describe('agent over a socat pty pair', () => {
  it('says HELLO with its capabilities', async () => {
    client = await connectAgent(pty.a, 921600);
    expect(client.caps).toMatchObject({ version: 1, chip: 'host', root: '/mm', buildId: BUILD_ID, maxData: 1024 });
    expect(client.caps.filesystems).toEqual(['posix']);
    expect(client.caps.window).toBeGreaterThanOrEqual(4096);
  });

  it('answers a HELLO of another protocol version with VERSION and its own version', async () => {
    const link = await openSerialLink(pty.a);
    const answer = new Promise<Frame>((resolve) => {
      const splitter = new FrameSplitter(resolve, () => undefined);
      link.onData((b) => splitter.push(b));
    });
    link.write(encodeFrame({ type: FrameType.HELLO, status: 0, seq: 77, payload: helloPayload(2) }));
    const frame = await within(10_000, 'the answer to HELLO v2', answer).finally(() => link.close());
    expect(frame).toMatchObject({ type: FrameType.HELLO | FrameType.RESPONSE, status: Status.VERSION, seq: 77 });
    expect(frame.payload[0]).toBe(1);
  });

  it('uploads a folder with manifest.json, lists it, skips unchanged files, removes, reports df', async () => {
    client = await connectAgent(pty.a);
    const dir = splitFolder(BUILD_ID, 'v1');
    const events: string[] = [];
    const s1 = await uploadFiles(client, collectFiles([dir]), { dest: '/mm', onEvent: (e) => events.push(e.kind) });
    expect(s1.uploaded).toEqual(['/mm/Lib_e', '/mm/Lib_d', '/mm/manifest.json']);
    for (const f of ['Lib_e', 'Lib_d', 'manifest.json']) expect(readFileSync(mm(f))).toEqual(readFileSync(join(dir, f)));
    expect(events).toContain('progress');
    expect(readdirSync(mm()).filter((n) => n.endsWith('.part'))).toEqual([]);

    // Unchanged: nothing is sent again (the device computes the CRCs).
    const s2 = await uploadFiles(client, collectFiles([dir]), { dest: '/mm' });
    expect(s2.uploaded).toEqual([]);
    expect(s2.skipped).toHaveLength(3);

    const listing = await client.list('/mm');
    expect(listing.map((e) => [e.name, e.size]).sort()).toEqual(
      ['Lib_e', 'Lib_d', 'manifest.json'].map((n) => [n, statSync(mm(n)).size]).sort(),
    );

    const df1 = await client.df();
    expect(df1.total).toBeGreaterThan(0);
    expect(df1.used).toBeLessThanOrEqual(df1.total);

    await client.remove('/mm/Lib_d');
    expect(existsSync(mm('Lib_d'))).toBe(false);
    await expect(client.remove('/mm/Lib_d')).rejects.toMatchObject({ status: Status.NOT_FOUND });
    expect(await client.stat('Lib_d')).toBeUndefined();
    expect(await client.stat('Lib_e', true)).toEqual({
      kind: 'file',
      size: statSync(mm('Lib_e')).size,
      crc: crc32(readFileSync(mm('Lib_e'))),
    });
  });

  it('lists a directory larger than one frame page by page', async () => {
    mkdirSync(mm('many'), { recursive: true });
    for (let i = 0; i < 120; i++) writeFileSync(mm('many', `file-with-a-longish-name-${i}`), String(i));
    client = await connectAgent(pty.a);
    const entries = await client.list('/mm/many');
    expect(entries).toHaveLength(120);
    expect(new Set(entries.map((e) => e.name)).size).toBe(120);
  });

  it('passes the application log output through and still transfers', async () => {
    await restartAgent(['--log-every', '20']);
    const log: string[] = [];
    const heartbeats = () => [...log.join('').matchAll(/\[app\] heartbeat (\d+)\r\n/g)].map((m) => Number(m[1]));
    let onLine = () => undefined as void;
    client = await connectAgent(pty.a, 921600, {
      onLog: (t) => {
        log.push(t);
        onLine();
      },
    });
    const data = seededBytes(200_000, 1);
    await client.upload('/mm/logged.bin', data);
    expect(readFileSync(mm('logged.bin'))).toEqual(data);
    // No frame comes after the upload, but the board keeps printing every 20 ms: a line it
    // prints now must still come through (a silence timer would hold it back for good).
    const last = Math.max(-1, ...heartbeats());
    await within(
      4000,
      `a heartbeat after #${last}, printed after the last frame`,
      new Promise<void>((resolve) => {
        onLine = () => {
          if (Math.max(-1, ...heartbeats()) > last) resolve();
        };
        onLine();
      }),
    );
    await client.close();
    client = undefined;
    await restartAgent();
  });

  it('refuses wrong build ids, paths outside the root, long names, big files; writes nothing outside', async () => {
    client = await connectAgent(pty.a);
    await expect(uploadFiles(client, collectFiles([splitFolder(OTHER_ID, 'x')]), { dest: '/mm' })).rejects.toMatchObject({
      code: 'WRONG_BUILD_ID',
      message: expect.stringMatching(/Flash the matching firmware/),
    });
    const before = snapshot(card);
    const bad: [string, number][] = [
      ['/etc/passwd', Status.REFUSED],
      ['../escape', Status.REFUSED],
      ['/mm/../escape', Status.REFUSED],
      ['/mm/a/../../escape', Status.REFUSED],
      ['/mmx/a', Status.REFUSED],
      ['a//b', Status.REFUSED],
      ['./a', Status.REFUSED],
      ['a\\..\\b', Status.REFUSED],
      ['x.part', Status.REFUSED],
      ['/mm', Status.REFUSED],
      ['', Status.REFUSED],
      ['a\nb', Status.REFUSED],
      ['n'.repeat(65), Status.NAME_TOO_LONG],
    ];
    for (const [path, status] of bad) {
      const err = await client.upload(path, seededBytes(10, 2)).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(TransferError);
      expect((err as TransferError).status, path).toBe(status);
    }
    await expect(client.remove('/mm/../etc')).rejects.toMatchObject({ status: Status.REFUSED });
    await expect(client.list('/')).rejects.toMatchObject({ status: Status.REFUSED });
    await expect(client.upload('huge', new Uint8Array(client.caps.maxFile + 1))).rejects.toMatchObject({ status: Status.TOO_LARGE });
    expect(snapshot(card)).toEqual(before);
  });

  it('reports a full card and keeps the old file', async () => {
    await restartAgent(['--free', '50000']);
    client = await connectAgent(pty.a);
    writeFileSync(mm('keep.bin'), 'old');
    // Refused up front: the free space does not cover the file.
    await expect(client.upload('/mm/keep.bin', seededBytes(60_000, 3))).rejects.toMatchObject({
      status: Status.FULL,
      message: /card is full/,
    });
    expect(readFileSync(mm('keep.bin'), 'utf8')).toBe('old');
    await client.close();
    client = undefined;
    await restartAgent();
  });

  it('answers BUSY while the application holds the card, and lists meanwhile', async () => {
    await restartAgent(['--busy', '1']);
    client = await connectAgent(pty.a);
    await expect(client.upload('/mm/b.bin', seededBytes(100, 4))).rejects.toMatchObject({
      status: Status.BUSY,
      message: /application on the board has the filesystem in use/,
    });
    await expect(client.remove('/mm/keep.bin')).rejects.toMatchObject({ status: Status.BUSY });
    expect(Array.isArray(await client.list('/mm'))).toBe(true);
    await client.close();
    client = undefined;
    await restartAgent();
  });

  it('says clearly when the port is busy (held by a serial monitor) and when no agent answers', async () => {
    const monitor = await new Promise<SerialPort>((r, j) => {
      const p = new SerialPort({ path: pty.a, baudRate: 115200, lock: true }, (e) => (e ? j(e) : r(p)));
    });
    const err = await connectAgent(pty.a).catch((e: unknown) => e);
    await new Promise((r) => monitor.close(r));
    expect(err).toMatchObject({ code: 'PORT_BUSY', message: expect.stringMatching(/in use by another program.*It is open in: \d+/s) });

    const silent = await ptyPair(); // nothing on the other end
    const err2 = await connectAgent(silent.a, 921600, { helloTimeoutMs: 600 }).catch((e: unknown) => e);
    silent.stop();
    expect(err2).toMatchObject({ code: 'NO_AGENT', message: expect.stringMatching(/no Memory Manager agent answered within 600 ms/) });

    await expect(openSerialLink('/dev/does-not-exist-mm')).rejects.toMatchObject({ code: 'PORT_NOT_FOUND' });
  });

  it('resumes after a hang-up from the .part, with the old file intact meanwhile', async () => {
    const proxied = await proxiedAgent(card, { bytesPerSecond: 92160 }, ['--build-id', BUILD_ID]);
    try {
      writeFileSync(mm('big.bin'), 'previous version');
      const data = seededBytes(120_000, 5);
      const c1 = await connectAgent(proxied.port, 921600, { linkLostMs: 500 });
      let lineBack: Promise<void> | undefined;
      const err = await c1
        .upload('/mm/big.bin', data, {
          onProgress: (p) => {
            if (!lineBack && p.done > 40_000) lineBack = proxied.proxy.hangup(1500);
          },
        })
        .catch((e: unknown) => e);
      await c1.close();
      expect(err).toMatchObject({ code: 'LINK_LOST', message: expect.stringMatching(/upload again to resume/) });
      expect(readFileSync(mm('big.bin'), 'utf8')).toBe('previous version');
      expect(lineBack).toBeDefined();
      await lineBack; // the cable is plugged in again
      const c2 = await connectAgent(proxied.port);
      const r = await c2.upload('/mm/big.bin', data);
      await c2.close();
      expect(r.resumedFrom).toBeGreaterThan(30_000);
      expect(r.bytesSent).toBeLessThan(data.length - 30_000);
      expect(readFileSync(mm('big.bin'))).toEqual(data);
      expect(existsSync(mm('big.bin.part'))).toBe(false);
    } finally {
      await proxied.stop();
    }
  });

  it('cancels with an AbortSignal and keeps the previous file', async () => {
    const proxied = await proxiedAgent(card, { bytesPerSecond: 92160 }, ['--build-id', BUILD_ID]);
    try {
      writeFileSync(mm('c.bin'), 'old');
      const c = await connectAgent(proxied.port);
      const ac = new AbortController();
      const err = await c
        .upload('/mm/c.bin', seededBytes(100_000, 6), {
          signal: ac.signal,
          onProgress: (p) => {
            if (p.done > 20_000) ac.abort();
          },
        })
        .catch((e: unknown) => e);
      await c.close();
      expect(err).toMatchObject({ code: 'CANCELLED' });
      expect(readFileSync(mm('c.bin'), 'utf8')).toBe('old');
    } finally {
      await proxied.stop();
    }
  });
});

/** Every path under `dir` with its size: proof that nothing else was written. */
function snapshot(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out[p] = st.size;
    }
  };
  walk(dir);
  return out;
}

// Loss-free under faults: ≥ 200 uploads through a proxy that corrupts ~1 % of bytes, drops
// bytes and pulls the cable mid-file. Every file on the card is either the new version
// (upload succeeded) or exactly the previous one (it did not). Plus: killing the client
// process mid-upload leaves no half-written file under its final name.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentClient, TransferError, connectAgent } from '../../../src/core/transfer';
import { REPO, buildAgent, proxiedAgent, seededBytes, seededRandom, within } from './harness';

const FAULTY = { requestTimeoutMs: 60, requestTries: 15, helloTimeoutMs: 2000, helloTries: 15, minRtoMs: 15, linkLostMs: 1000 };

beforeAll(() => buildAgent());

describe('fault injection', () => {
  let card: string;
  let link: Awaited<ReturnType<typeof proxiedAgent>>;
  beforeAll(async () => {
    card = mkdtempSync(join(tmpdir(), 'mm-faults-'));
    link = await proxiedAgent(card, { corrupt: 0.01, drop: 0.002, seed: 42 });
  });
  afterAll(async () => {
    await link?.stop();
  });

  it('≥ 200 transfers with 1 % corruption, drops and hang-ups: zero corrupted files, old versions intact', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `lib${i}_e`);
    const current = new Map<string, Buffer>(); // what the card must hold
    const counts = { attempts: 0, completed: 0, failed: 0, resumed: 0, hangups: 0, goBacks: 0 };
    let client: AgentClient | undefined;
    let retry: { name: string; data: Buffer } | undefined;
    const t0 = Date.now();
    const total = Number(process.env.MM_FAULT_TRANSFERS ?? 200);
    const rnd = seededRandom(Number(process.env.MM_FAULT_SEED ?? 7)); // file sizes and contents
    while (counts.attempts < total) {
      if (counts.attempts % 20 === 0)
        console.log(`[faults] ${counts.attempts} ${((Date.now() - t0) / 1000).toFixed(1)} s ${JSON.stringify(counts)}`);
      if (!client) {
        client = await connectAgent(link.port, 921600, FAULTY).catch(() => undefined);
        if (!client) continue;
      }
      // After a cut upload, the same file again: it must resume from the .part.
      const { name, data } = retry ?? {
        name: names[counts.attempts % names.length],
        data: seededBytes(256 + Math.floor(rnd() * 3 * 1024), rnd),
      };
      retry = undefined;
      const hangHere = counts.attempts % 15 === 7;
      let hung = false;
      counts.attempts++;
      try {
        const r = await client.upload(`/mm/${name}`, data, {
          onProgress: (p) => {
            if (hangHere && !hung && p.done > data.length / 3) {
              hung = true;
              counts.hangups++;
              void link.proxy.hangup(1300);
            }
          },
        });
        counts.completed++;
        counts.goBacks += r.goBacks;
        if (r.resumedFrom > 0) counts.resumed++;
        current.set(name, data);
      } catch (e) {
        expect(e).toBeInstanceOf(TransferError);
        counts.failed++;
        if (process.env.MM_FAULT_DEBUG) console.log(`[faults] attempt ${counts.attempts}: ${(e as Error).message}`);
        // The session survives a stalled upload (the next OPEN closes the .part); only a
        // request that got no answer at all needs a new HELLO.
        if ((e as TransferError).code === 'LINK_LOST' && /stopped answering/.test((e as Error).message)) {
          await client.close().catch(() => undefined);
          client = undefined;
        }
        if (hung) {
          retry = { name, data };
          await link.proxy.lineUp();
        }
      }
      // After every attempt: the final name holds a complete version, never a mix.
      const onCard = existsSync(join(card, 'mm', name)) ? readFileSync(join(card, 'mm', name)) : undefined;
      const expected = current.get(name);
      if (expected) expect(onCard?.equals(expected), name).toBe(true);
      else expect(onCard, name).toBeUndefined();
    }
    await client?.close();
    process.stderr.write(
      `[faults] ${JSON.stringify(counts)} proxy=${JSON.stringify(link.proxy.stats)} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    expect(counts.attempts).toBeGreaterThanOrEqual(200);
    expect(counts.completed).toBeGreaterThan(150);
    expect(counts.failed).toBeGreaterThan(0); // the hang-ups did cut uploads
    expect(counts.resumed).toBeGreaterThan(0); // and the retries resumed from the .part
    expect(link.proxy.stats.corrupted).toBeGreaterThan(1000);
    // Final state: every name holds exactly its last completed version.
    for (const [name, data] of current) expect(readFileSync(join(card, 'mm', name)).equals(data), name).toBe(true);
    expect(
      readdirSync(join(card, 'mm'))
        .filter((n) => !n.endsWith('.part'))
        .sort(),
    ).toEqual([...current.keys()].sort());
  });
});

describe('killing the client process mid-upload', () => {
  it('leaves the previous file under its name and a .part that the next upload resumes', async () => {
    const card = mkdtempSync(join(tmpdir(), 'mm-kill-'));
    const link = await proxiedAgent(card, { bytesPerSecond: 92160, latencyMs: 5 });
    try {
      mkdirSync(join(card, 'mm'), { recursive: true });
      writeFileSync(join(card, 'mm', 'App_e'), 'previous version');
      const file = join(card, 'upload.bin');
      const data = seededBytes(300_000, 8);
      writeFileSync(file, data);
      const child = join(REPO, 'build/test/child-upload.cjs');
      await build({
        entryPoints: [join(__dirname, 'child-upload.ts')],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        external: ['serialport'],
        outfile: child,
        logLevel: 'error',
        absWorkingDir: REPO,
        nodePaths: [join(REPO, 'node_modules')],
      });
      const proc = spawn(process.execPath, [child, link.port, file, '/mm/App_e'], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, NODE_PATH: join(REPO, 'node_modules') },
      });
      const exited = new Promise<NodeJS.Signals | null>((r) => proc.on('exit', (_code, sig) => r(sig)));
      // SIGKILL once the child has seen more than 100 kB acknowledged (its own progress lines).
      const killedAt = await within(
        60_000,
        'the child to report 100 kB acknowledged',
        new Promise<number>((resolve, reject) => {
          let out = '';
          proc.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            const lines = out.split('\n');
            out = lines.pop() ?? ''; // a partial line waits for its end
            const done = Math.max(0, ...lines.map((l) => Number(/^done (\d+)$/.exec(l)?.[1] ?? 0)));
            if (done > 100_000 && proc.exitCode === null && !proc.killed) {
              proc.kill('SIGKILL');
              resolve(done);
            }
          });
          void exited.then((sig) => {
            if (sig !== 'SIGKILL') reject(new Error(`child ended before the kill (${sig})`));
          });
        }),
      );
      expect(await exited).toBe('SIGKILL');
      expect(readFileSync(join(card, 'mm', 'App_e'), 'utf8')).toBe('previous version');
      expect(existsSync(join(card, 'mm', 'App_e.part'))).toBe(true);

      const c = await connectAgent(link.port);
      const r = await c.upload('/mm/App_e', data);
      await c.close();
      expect(r.resumedFrom).toBeGreaterThanOrEqual(killedAt - 20_000);
      expect(readFileSync(join(card, 'mm', 'App_e')).equals(data)).toBe(true);
      expect(existsSync(join(card, 'mm', 'App_e.part'))).toBe(false);
    } finally {
      await link.stop();
    }
  });
});

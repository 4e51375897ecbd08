// `esp32mm upload/ls/rm/df` as a user runs them: the bundled CLI in a child process against
// the host agent on a socat pty pair.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from '../../../src/core/util/crc32';
import { type AgentProcess, type PtyPair, REPO, buildAgent, proxiedAgent, ptyPair, startAgent, within } from './harness';

const run = promisify(execFile);
const CLI = join(REPO, 'build/test/esp32mm-cli.cjs');
const BUILD_ID = createHash('sha256').update('cli firmware').digest('hex');
let pty: PtyPair;
let agent: AgentProcess;
let card: string;

async function esp32mm(...args: string[]) {
  try {
    const r = await run(process.execPath, [CLI, ...args], { cwd: REPO, env: { ...process.env, PATH: '/usr/bin:/bin' } });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

beforeAll(async () => {
  buildAgent();
  await build({
    entryPoints: [join(REPO, 'src/cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['serialport', 'vscode'],
    outfile: CLI,
    logLevel: 'error',
  });
  pty = await ptyPair();
  card = mkdtempSync(join(tmpdir(), 'mm-cli-'));
  agent = await startAgent(pty.b, card, ['--build-id', BUILD_ID, '--log-every', '200']);
});
afterAll(async () => {
  await agent?.stop();
  pty?.stop();
});

describe('esp32mm upload / ls / rm / df', () => {
  it('uploads a split folder, skips it the second time, lists, removes and reports free space', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-cli-split-'));
    const body = Buffer.alloc(30_000, 7);
    writeFileSync(join(dir, 'Cam_e'), body);
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({
        format: 1,
        buildId: BUILD_ID,
        libraries: [{ name: 'Cam', files: [{ file: 'Cam_e', kind: 'code', size: body.length, crc32: '0x' + crc32(body).toString(16) }] }],
      }),
    );

    const up = await esp32mm('upload', '--port', pty.a, '--dest', '/mm', dir);
    expect(up.code, up.err).toBe(0);
    expect(up.out).toMatch(/✓ \/mm\/Cam_e +30000 B/);
    expect(up.out).toMatch(/2 uploaded/);
    expect(readFileSync(join(card, 'mm', 'Cam_e'))).toEqual(body);

    const again = await esp32mm('upload', '--port', pty.a, dir);
    expect(again.out).toMatch(/0 uploaded .*2 unchanged/);

    const ls = await esp32mm('ls', '--port', pty.a, '/mm');
    expect(ls.code, ls.err).toBe(0);
    expect(ls.out).toMatch(/- +30000 {2}Cam_e/);
    expect(ls.out).toMatch(/2 entries/);

    const df = await esp32mm('df', '--port', pty.a, '--json');
    const info = JSON.parse(df.out);
    expect(info).toMatchObject({ chip: 'host', root: '/mm', buildId: BUILD_ID });
    expect(info.free).toBeGreaterThan(0);

    const rm = await esp32mm('rm', '--port', pty.a, '/mm/Cam_e');
    expect(rm.code, rm.err).toBe(0);
    expect(existsSync(join(card, 'mm', 'Cam_e'))).toBe(false);
    const rm2 = await esp32mm('rm', '--port', pty.a, '/mm/Cam_e');
    expect(rm2.code).toBe(1);
    expect(rm2.err).toMatch(/NOT_FOUND — no such file/);
  });

  it('explains refusals, wrong build ids and a missing pio in one line each', async () => {
    const f = join(mkdtempSync(join(tmpdir(), 'mm-cli-f-')), 'x_e');
    writeFileSync(f, 'x');
    const out = await esp32mm('upload', '--port', pty.a, '--dest', '/etc', f);
    expect(out.code).toBe(1);
    expect(out.err).toMatch(/--dest \/etc is outside the folder the agent serves \(\/mm\)/);

    const dir = mkdtempSync(join(tmpdir(), 'mm-cli-old-'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ format: 1, buildId: 'ab'.repeat(32), libraries: [] }));
    const stale = await esp32mm('upload', '--port', pty.a, dir);
    expect(stale.code).toBe(1);
    expect(stale.err).toMatch(
      /the board runs firmware .* but these files were split from firmware abababab.*Flash the matching firmware first/,
    );

    const pio = await esp32mm('upload', '--uploadfs', '--env', 'esp32cam', '--project', dir);
    expect(pio.code).toBe(1);
    expect(pio.err).toMatch(/PlatformIO Core \(`pio`\) is not installed.*pip install/);

    const usage = await esp32mm('upload', '--uploadfs');
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--uploadfs needs --env/);
  });
});

describe('esp32mm upload, Ctrl+C', () => {
  it('cancels on SIGINT: exit 1, a clear message, the previous file untouched', async () => {
    const card2 = mkdtempSync(join(tmpdir(), 'mm-cli-int-'));
    const link = await proxiedAgent(card2, { bytesPerSecond: 92160, latencyMs: 5 });
    try {
      mkdirSync(join(card2, 'mm'));
      writeFileSync(join(card2, 'mm', 'big_e'), 'old');
      const f = join(card2, 'big_e');
      writeFileSync(f, Buffer.alloc(400_000, 3));
      // Ctrl+C once the board has acknowledged part of the file: mid-upload, whatever the machine's speed.
      const progress = link.proxy.acked(16_384);
      const child = spawn(process.execPath, [CLI, 'upload', '--port', link.port, f], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      const acked = await within(
        60_000,
        'the board to acknowledge 16 KiB of big_e',
        Promise.race([
          progress,
          exited.then(() => {
            throw new Error(`the CLI exited before the upload got going: ${err}`);
          }),
        ]),
      );
      child.kill('SIGINT');
      const code = await exited;
      expect(code, err).toBe(1);
      expect(acked).toBeLessThan(400_000);
      expect(err).toMatch(/upload of \/mm\/big_e cancelled at \d+ of 400000 bytes; the previous file on the device is unchanged/);
      expect(readFileSync(join(card2, 'mm', 'big_e'), 'utf8')).toBe('old');
    } finally {
      await link.stop();
    }
  });
});

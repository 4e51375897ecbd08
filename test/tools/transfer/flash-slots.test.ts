// `esp32mm flash-slots` as a user runs it: the built CLI in a child process against the
// host agent on a socat pty pair. The agent's flash-info provider serves a fixed table
// (--flash-slot), the oracle the CLI's output is compared with; an agent without a
// provider and a real agent from before FLASH_SLOTS (built from the last commit without
// it) show the two other answers.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esp32mm as esp32mmSync } from '../../helpers/tools';
import { type AgentProcess, type PtyPair, REPO, buildAgent, ptyPair, startAgent } from './harness';

/** The built CLI (dist/cli.js) in a child process; the agent and socat are processes of their own. */
const esp32mm = (...args: string[]) => {
  const r = esp32mmSync(args, { cwd: REPO });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
/** The last commit whose agent does not know FLASH_SLOTS. */
const BEFORE_FLASH_SLOTS = '723520b4990508fe082753ceeecb0016887702bf';

/** What the provider reports: library, offset, size, writes, limit, flags (1 valid, 2 mapped, 4 current). */
const TABLE = [
  { library: 'Cam', offset: 0x10000, size: 40960, writes: 12, limit: 1000, flags: 7 },
  { library: 'Wifi_Scan', offset: 0x20000, size: 70000, writes: 801, limit: 1000, flags: 1 },
  { library: 'Fft', offset: 0x40000, size: 0, writes: 0, limit: 1000, flags: 0 },
];
const flashArgs = TABLE.flatMap((t) => [
  '--flash-slot',
  `${t.library}:0x${t.offset.toString(16)}:${t.size}:${t.writes}:${t.limit}:${t.flags}`,
]);

/** Builds the host agent as it was at `commit`, from git's own copy of the sources. */
function olderAgent(commit: string): string {
  const dir = tempDir('mm-old-agent-');
  const files = [
    'firmware/src/mm_agent.c',
    'firmware/src/mm_agent.h',
    'firmware/src/mm_crc32.c',
    'firmware/src/mm_crc32.h',
    'firmware/src/mm_common.h',
    'firmware/host-agent/mm_agent_host.c',
  ];
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), execFileSync('git', ['show', `${commit}:${f}`], { cwd: REPO }));
  }
  const bin = join(dir, 'mm-agent-old');
  execFileSync('cc', [
    '-std=c99',
    '-O1',
    '-I',
    join(dir, 'firmware/src'),
    '-o',
    bin,
    ...['firmware/src/mm_agent.c', 'firmware/src/mm_crc32.c', 'firmware/host-agent/mm_agent_host.c'].map((f) => join(dir, f)),
  ]);
  return bin;
}

const agents: AgentProcess[] = [];
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
const ptys: PtyPair[] = [];
async function agentOnPty(extra: string[], binary?: string): Promise<string> {
  const pty = await ptyPair();
  ptys.push(pty);
  agents.push(await startAgent(pty.b, tempDir('mm-fs-card-'), extra, binary));
  return pty.a;
}

beforeAll(() => {
  buildAgent();
});
afterAll(async () => {
  for (const a of agents) await a.stop();
  for (const p of ptys) p.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('esp32mm flash-slots', () => {
  it("prints what the agent's provider reports, with a warning above 80 % of the limit", async () => {
    const port = await agentOnPty(flashArgs);
    const json = esp32mm('flash-slots', '--port', port, '--json');
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out)).toEqual(
      TABLE.map((t, index) => ({
        index,
        library: t.library,
        offset: t.offset,
        size: t.size,
        writes: t.writes,
        limit: t.limit,
        valid: !!(t.flags & 1),
        mapped: !!(t.flags & 2),
        current: !!(t.flags & 4),
      })),
    );

    const table = esp32mm('flash-slots', '--port', port);
    expect(table.code, table.err).toBe(0);
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^idx +library +offset +size +writes \/ limit +state$/);
    expect(lines[1]).toMatch(/^ +0 +Cam +0x00010000 +40960 +12 \/ 1000 +valid, mapped$/);
    expect(lines[2]).toMatch(/^ +1 +Wifi_Scan +0x00020000 +70000 +801 \/ 1000 +valid \(older build\)$/);
    expect(lines[3]).toMatch(/^ +2 +Fft +0x00040000 +0 +0 \/ 1000 +not written$/);
    // 801 of 1000 is above 80 %; 12 of 1000 is not: exactly one warning, for Wifi_Scan.
    expect(lines.slice(4)).toHaveLength(1);
    expect(lines[4]).toMatch(/^warning: Wifi_Scan has used 801 of its 1000 rewrites \(80.1 %\)/);
  });

  it('says "no flash slots" when the firmware registered no provider', async () => {
    const port = await agentOnPty([]);
    const out = esp32mm('flash-slots', '--port', port);
    expect(out.code, out.err).toBe(0);
    expect(out.out).toMatch(/^no flash slots: the firmware on host reports no flash-slot images$/m);
    const json = esp32mm('flash-slots', '--port', port, '--json');
    expect(JSON.parse(json.out)).toEqual([]);
  });

  it('tells the user to update the device library when the agent predates FLASH_SLOTS', async () => {
    const port = await agentOnPty([], olderAgent(BEFORE_FLASH_SLOTS));
    const out = esp32mm('flash-slots', '--port', port);
    expect(out.code).toBe(1);
    expect(out.err).toMatch(/this firmware's agent is older and cannot report flash slots: update the device library/);
    // The older agent still serves everything else in the same protocol version.
    const df = esp32mm('df', '--port', port, '--json');
    expect(df.code, df.err).toBe(0);
  });
});

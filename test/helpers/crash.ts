// kill -9 at a chosen step of the CLI's atomic commit (src/core/util/atomic.ts prints each
// step when ESP32MM_COMMIT_TRACE or ESP32MM_COMMIT_PAUSE_AT is set, and stops for good at the
// PAUSE_AT step): the kill follows the step line, no timing involved.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from './tools';

/** Every file under `dir` with its content hash and mode. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const st = statSync(join(dir, rel));
    if (st.isFile())
      out[rel] = `${createHash('sha256')
        .update(readFileSync(join(dir, rel)))
        .digest('hex')
        .slice(0, 16)} ${(st.mode & 0o7777).toString(8)}`;
  }
  return out;
}

/** Temporary and journal files of the commit that are still there (`.<name>.<tx>.esp32mm-new`, `.esp32mm-<tx>.intent`, …). */
export const leftovers = (dir: string) => Object.keys(snapshot(dir)).filter((f) => /(^|\/)\.[^/]*esp32mm-[^/]*$|\.tmp$/.test(f));

/** The CLI run to completion with its commit steps traced: the steps, in order. */
export function traceCommit(args: string[]): { status: number | null; stderr: string; steps: string[] } {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ESP32MM_COMMIT_TRACE: '1' }, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, steps: [...r.stderr.matchAll(/^esp32mm-commit-step \d+ (.*)$/gm)].map((m) => m[1]) };
}

/** Runs the CLI until it prints commit step `at`, then kill -9. Resolves with the steps seen. */
export function killAtStep(args: string[], at: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ESP32MM_COMMIT_PAUSE_AT: String(at) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    const steps: string[] = [];
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
      for (const m of chunk.matchAll(/^esp32mm-commit-step (\d+) (.*)$/gm)) {
        steps.push(m[2]);
        if (Number(m[1]) === at) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(steps);
      else reject(new Error(`${args[0]} exited (${code}) before step ${at}:\n${err}`));
    });
  });
}

// Running the real build hook under Debian's scons with the PlatformIO-like SConstruct of
// ./scons: a fresh copy of the esp32-ld fixture project with `esp32mm init` applied, and one
// build of it. Shared by the build-hook tests.
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { expect } from 'vitest';
import { REPO, esp32mm } from '../../helpers/tools';
import { LD_DIR, PROJECT, scratch } from './xtensa';

export const HARNESS = join(REPO, 'test/tools/buildhook/scons');
const INI = join(REPO, 'test/fixtures/platformio/hook-esp32.ini');
export const HOOK_LIBS = ['TinyClassifier', 'ImageFilters', 'Filters'];

export interface SconsRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** One `scons` build of the project's environment (MM_ENV, default esp32dev); extraEnv: the SConstruct's MM_* knobs. */
export function scons(project: string, extraEnv: Record<string, string | undefined> = {}): SconsRun {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`,
    MM_PROJECT: project,
    MM_ENV: 'esp32dev',
    MM_LD_DIR: LD_DIR,
    MM_HARNESS_DIR: HARNESS,
    ESP32MM_CLI: undefined,
    ...extraEnv,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const r = spawnSync('scons', ['-Q', '-f', join(HARNESS, 'SConstruct')], {
    cwd: project,
    env: env as NodeJS.ProcessEnv,
    encoding: 'utf8',
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A scratch copy of the fixture project with the integration installed (slot ai: TinyClassifier, ImageFilters). */
export function newProject(): string {
  const dir = scratch('esp32mm-hook-');
  cpSync(PROJECT, dir, { recursive: true });
  cpSync(INI, join(dir, 'platformio.ini'));
  const r = esp32mm([
    'init',
    dir,
    '--env',
    'esp32dev',
    '--libs',
    HOOK_LIBS.join(','),
    '--storage',
    'sd',
    '--slot',
    'ai:TinyClassifier,ImageFilters',
    '--chip',
    'esp32',
  ]);
  expect(r.status, r.stderr).toBe(0);
  return dir;
}

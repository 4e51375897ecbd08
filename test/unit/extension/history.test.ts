// The previous build of each environment survives a window reload: a new BuildHistory on the
// same folder (what activation makes) still knows it. A re-read or split of the same link is
// not a new build; other environments have their own history.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BuildHistory } from '../../../src/extension/history';
import type { MemoryMapModel } from '../../../webview-ui/model';

const model = (used: number) =>
  ({ regions: [{ name: 'IRAM', used, size: 1000 }], libraries: [], slots: [], notes: [] }) as unknown as MemoryMapModel;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'esp32mm-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('BuildHistory', () => {
  it('keeps the previous build across a reload', async () => {
    const first = new BuildHistory(join(dir, 'builds'));
    expect(await first.record('p\0env', 'aaa', model(1), 1000)).toBeUndefined();
    const reloaded = new BuildHistory(join(dir, 'builds'));
    const previous = await reloaded.record('p\0env', 'bbb', model(2), 2000);
    expect(previous).toEqual({ model: model(1), at: 1000 });
    // and again after another reload: the same link re-read keeps that previous build
    const again = await new BuildHistory(join(dir, 'builds')).record('p\0env', 'bbb', model(3), 3000);
    expect(again).toEqual({ model: model(1), at: 1000 });
  });

  it('a re-read of the same link is not a new build; another env has its own', async () => {
    const h = new BuildHistory(join(dir, 'builds'));
    await h.record('p\0a', 'x', model(1));
    expect(await h.record('p\0a', 'x', model(2))).toBeUndefined();
    expect(await h.record('p\0b', 'y', model(5))).toBeUndefined();
    expect((await h.record('p\0a', 'z', model(3)))?.model).toEqual(model(2));
    expect(readdirSync(join(dir, 'builds')).filter((f) => f.endsWith('.json'))).toHaveLength(2);
  });

  it('a damaged record starts the history afresh instead of failing', async () => {
    const h = new BuildHistory(join(dir, 'builds'));
    await h.record('k', 'x', model(1));
    const [file] = readdirSync(join(dir, 'builds'));
    writeFileSync(join(dir, 'builds', file), '{ not json');
    expect(await new BuildHistory(join(dir, 'builds')).record('k', 'y', model(2))).toBeUndefined();
  });

  it('without a storage folder it keeps builds in memory', async () => {
    const h = new BuildHistory(undefined);
    await h.record('k', 'x', model(1));
    expect((await h.record('k', 'y', model(2)))?.model).toEqual(model(1));
  });
});

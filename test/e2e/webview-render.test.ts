// The Memory Map webview (the real dist/webview.js in Chromium, no VS Code around it) on the
// example's real models from `esp32mm map --json`, before and after a split: a slot is drawn
// once at its reserved size in each region it occupies (never its members stacked), the bars
// add up to the region, every piece is in the legend, a library has one colour everywhere,
// the split headline says flash shrank and RAM did not, a row links only where the project
// has something to open, the sidebar at 200 px is the five largest libraries with nothing cut
// off, and in an editor tab 200 px wide every table column can be reached.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO, SHOTS, launchBrowser } from './harness';
import { exampleProject } from './project';
import { writeWebviewTestPage } from './webview-page';
import type { MemoryMapModel } from '../../webview-ui/model';

let browser: Browser;
let page: Page;
let tmp: string;
let unsplit: MemoryMapModel;
let split: MemoryMapModel;

function cliMap(elf: string): MemoryMapModel {
  return JSON.parse(execFileSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'map', elf, '--json'], { encoding: 'utf8' }));
}

async function show(after: MemoryMapModel, before: MemoryMapModel | null, sources: Record<string, string> = {}): Promise<void> {
  const stamp = Date.now() + Math.random();
  await page.evaluate((s) => window.dispatchEvent(new MessageEvent('message', { data: { type: 'state', state: s } })), {
    project: 'esp32cam-ai',
    env: 'esp32cam',
    elf: 'firmware.elf',
    after,
    before,
    updatedAt: stamp,
    sources,
  });
  await page.waitForFunction((t) => document.body.dataset.updated === String(t), stamp);
}

type Seg = { kind: string; name: string; bytes: number; cls: string };
const segments = (region: string) =>
  page.locator(`.region[data-region="${region}"] .bar .seg`).evaluateAll((els) =>
    els.map((e) => ({
      kind: e.getAttribute('data-kind')!,
      name: e.getAttribute('data-name')!,
      bytes: Number(e.getAttribute('data-bytes')),
      cls: e.className,
    })),
  );
const legend = (region: string) =>
  page.locator(`.region[data-region="${region}"] .legend-item`).evaluateAll((els) =>
    els.map((e) => ({
      kind: e.getAttribute('data-kind')!,
      name: e.getAttribute('data-name')!,
      bytes: Number(e.getAttribute('data-bytes')),
    })),
  );

/**
 * What the page cuts off or draws past its width: elements outside the viewport sideways,
 * elements whose content overflows a box that hides or scrolls it, text ending in an ellipsis.
 */
const cutOff = () =>
  page.evaluate(() => {
    const out: string[] = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width)
      out.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${width})`);
    for (const el of document.body.querySelectorAll<HTMLElement>('*')) {
      if (el.closest('[hidden]') || el.getClientRects().length === 0) continue;
      const r = el.getBoundingClientRect();
      const css = getComputedStyle(el);
      const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.getAttribute('class') ?? ''} "${(el.textContent ?? '').slice(0, 30)}"`;
      if (r.right > width + 0.5 || r.left < -0.5) out.push(`${name} lies outside 0–${width} (${r.left.toFixed(1)}–${r.right.toFixed(1)})`);
      if (css.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1)
        out.push(`${name} cuts off its content (${el.scrollWidth} > ${el.clientWidth})`);
      if (css.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth) out.push(`${name} ends in an ellipsis`);
    }
    return out;
  });

beforeAll(async () => {
  const example = exampleProject();
  tmp = mkdtempSync(join(tmpdir(), 'esp32mm-render-'));
  cpSync(example.dir, join(tmp, 'p'), { recursive: true });
  const elf = join(tmp, 'p', '.pio', 'build', example.env, 'firmware.elf');
  unsplit = cliMap(elf);
  execFileSync(process.execPath, [join(REPO, 'dist', 'cli.js'), 'split', elf, '--out', join(tmp, 'p', 'sd', 'mm')]);
  split = cliMap(elf);
  browser = await launchBrowser({ scrollbars: true });
  page = await browser.newPage({ viewport: { width: 420, height: 1100 } });
  await page.goto(writeWebviewTestPage());
  await page.waitForFunction(() => customElements.get('vscode-radio') !== undefined);
});

afterAll(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('Memory Map webview on the example', () => {
  for (const which of ['before the split', 'after the split'] as const) {
    it(`draws each slot once at its reserved size, bars adding up to the region (${which})`, async () => {
      const model = which === 'after the split' ? split : unsplit;
      await show(model, which === 'after the split' ? split.before! : null);
      expect(model.slots.length).toBe(1);
      for (const r of model.regions) {
        const segs: Seg[] = await segments(r.name);
        const slotSegs = segs.filter((s) => s.kind === 'slot');
        for (const slot of model.slots) {
          const reserved = slot.ranges.filter((x) => x.region === r.name).reduce((a, x) => a + x.size, 0);
          const drawn = slotSegs.filter((s) => s.name === slot.name);
          if (r.flash || reserved === 0) expect(drawn).toEqual([]);
          else expect(drawn.map((s) => s.bytes)).toEqual([reserved]);
        }
        // the slot's members are not drawn beside it: one is loaded at a time
        for (const lib of model.slots.flatMap((s) => s.libraries)) {
          if (!r.flash) expect(segs.filter((s) => s.kind === 'library' && s.name === lib)).toEqual([]);
        }
        const sum = segs.reduce((a, s) => a + s.bytes, 0);
        if (!r.flash) expect(sum, r.name).toBe(r.size); // never more than 100 %
        // the legend lists every piece of the bar, fill included
        expect(await legend(r.name)).toEqual(segs.map(({ kind, name, bytes }) => ({ kind, name, bytes })));
      }
      const iram = await segments('IRAM');
      expect(iram.find((s) => s.kind === 'fill')?.bytes).toBeGreaterThan(0);
      expect(await page.locator('.region[data-region="IRAM"] .legend-item[data-kind="fill"]').textContent()).toMatch(/^linker fill /);
      await page.screenshot({ path: join(SHOTS, `webview-example-${which.replace(/ /g, '-')}.png`), fullPage: true });
    });
  }

  it('headline numbers: in use is the same before and after the split (slots stay reserved)', async () => {
    await show(split, split.before!);
    for (const r of split.regions.filter((x) => !x.flash)) {
      const before = unsplit.regions.find((x) => x.name === r.name)!;
      expect(await page.locator(`.region[data-region="${r.name}"]`).getAttribute('data-occupied'), r.name).toBe(String(before.used));
    }
    const headline = page.locator('.summary .headline');
    expect(await headline.getAttribute('data-flash-change')).toBe(String(split.imageBytes - split.before!.imageBytes));
    expect(Number(await headline.getAttribute('data-flash-change'))).toBeLessThan(0);
    expect(await headline.getAttribute('data-ram-change')).toBe('0');
    expect(await headline.textContent()).toMatch(/flash −[\d,]+ B, RAM unchanged/);
    expect(await page.locator('.summary').textContent()).not.toMatch(/RAM saved|RAM −/);
  });

  it('one colour per library in every bar and in the table', async () => {
    await show(unsplit, null, {});
    const colourOf = new Map<string, string>();
    for (const r of unsplit.regions) {
      for (const s of (await segments(r.name)).filter((x) => x.kind === 'library')) {
        const c = /\bc\d\b/.exec(s.cls)![0];
        expect(colourOf.get(s.name) ?? c, `${s.name} in ${r.name}`).toBe(c);
        colourOf.set(s.name, c);
      }
    }
    expect(colourOf.size).toBeGreaterThan(3);
    const inTable = await page
      .locator('table.libs tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [tr.getAttribute('data-library'), /\bc\d\b/.exec(tr.querySelector('.swatch')!.className)?.[0]]),
      );
    for (const [name, c] of inTable) if (colourOf.has(name!)) expect(c, name!).toBe(colourOf.get(name!));
  });

  it('the sidebar at 200 px: the five largest libraries and a link to the rest, nothing cut off or outside', async () => {
    await page.setViewportSize({ width: 200, height: 1400 });
    for (const [model, before] of [
      [unsplit, null],
      [split, split.before!],
    ] as const) {
      await show(model, before, { 'main.cpp': '/p/src/main.cpp', TinyClassifier: '/p/lib/TinyClassifier' });
      const rows = await page
        .locator('table.libs tbody tr')
        .evaluateAll((trs) => trs.map((t) => [t.getAttribute('data-library'), Number(t.querySelector('td')!.getAttribute('data-bytes'))]));
      const largest = [...model.libraries].sort((a, b) => b.total - a.total || a.name.localeCompare(b.name)).slice(0, 5);
      expect(rows).toEqual(largest.map((l) => [l.name, l.total]));
      expect(await page.locator('table.libs thead th').allTextContents()).toEqual(['Library', 'Total']);
      const more = page.locator('.more button[data-command="esp32mm.openMemoryMap"]');
      expect(await more.textContent()).toBe(`${model.libraries.length - 5} more — Open Memory Map`);
      expect(await cutOff()).toEqual([]);
    }
    await page.screenshot({ path: join(SHOTS, 'webview-example-sidebar-200px.png'), fullPage: true });
    await page.locator('.more button').click();
    const posted = await page.evaluate(() =>
      (window as unknown as { __posted: { type: string; command?: string }[] }).__posted.filter((m) => m.type === 'command'),
    );
    expect(posted.at(-1)).toEqual({ type: 'command', command: 'esp32mm.openMemoryMap' });
    await page.setViewportSize({ width: 420, height: 1100 });
  });

  it('links only rows the project can open: main.cpp yes, framework archives no (editor tab)', async () => {
    await page.goto(writeWebviewTestPage('full'));
    await show(unsplit, null, { 'main.cpp': '/p/src/main.cpp', TinyClassifier: '/p/lib/TinyClassifier' });
    expect(await page.locator('table.libs button.lib').evaluateAll((b) => b.map((x) => x.getAttribute('data-library')).sort())).toEqual([
      'TinyClassifier',
      'main.cpp',
    ]);
    expect(await page.locator('table.libs tr[data-library="driver"] .lib-plain').count()).toBe(1);
    await page.locator('button.lib[data-library="main.cpp"]').click();
    const posted = await page.evaluate(() =>
      (window as unknown as { __posted: { type: string; library?: string }[] }).__posted.filter((m) => m.type === 'reveal'),
    );
    expect(posted.at(-1)).toEqual({ type: 'reveal', library: 'main.cpp', archive: 'main.cpp.o' });
  });

  it('an editor tab 200 px wide: the table scrolls sideways with a visible scrollbar and every column comes into view', async () => {
    await page.setViewportSize({ width: 200, height: 900 });
    await show(unsplit, null);
    const wrap = page.locator('.table-wrap');
    const m = await wrap.evaluate((w: HTMLElement) => ({
      scroll: w.scrollWidth,
      client: w.clientWidth,
      scrollbar: w.offsetHeight - w.clientHeight,
      tab: w.tabIndex,
    }));
    expect(m.scroll).toBeGreaterThan(m.client);
    expect(m.scrollbar).toBeGreaterThan(0); // a horizontal scrollbar takes room: it is drawn
    expect(m.tab).toBe(0); // keyboard users can focus and scroll it
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const columns = await page.locator('table.libs thead th').evaluateAll((ths) => ths.map((t) => t.getAttribute('data-column')!));
    expect(columns).toEqual(['name', 'total', ...unsplit.regions.filter((r) => r.used > 0).map((r) => r.name)]);
    // keyboard only: focus the table and use the arrow keys until each column shows beside the sticky name column
    await wrap.focus();
    for (const c of columns.slice(1)) {
      const where = () =>
        page.locator(`table.libs thead th[data-column="${c}"]`).evaluate((th) => {
          const w = th.closest('.table-wrap')!.getBoundingClientRect();
          const name = th.parentElement!.firstElementChild!.getBoundingClientRect();
          const r = th.getBoundingClientRect();
          return r.left < name.right - 1 ? 'left' : r.right > w.right + 1 ? 'right' : 'visible';
        });
      for (let i = 0; i < 40; i++) {
        const w = await where();
        if (w === 'visible') break;
        // each key scrolls smoothly: wait for the scroll to end before looking again
        const ended = wrap.evaluate((el) => new Promise<void>((res) => el.addEventListener('scrollend', () => res(), { once: true })));
        await page.keyboard.press(w === 'left' ? 'ArrowLeft' : 'ArrowRight');
        await ended;
      }
      expect(await where(), c).toBe('visible');
    }
    await page.screenshot({ path: join(SHOTS, 'webview-example-full-200px.png') });
    await page.setViewportSize({ width: 420, height: 1100 });
  });
});

// Webview rendering cost measured in Chromium: 200 libraries × 7 regions must render in
// ≤ 100 ms of scripting time. Two independent clocks: performance.now() around the
// synchronous message handler (what the webview reports), and the CDP ScriptDuration metric
// (main-thread JavaScript time as the browser's own profiler counts it). Also screenshots
// of the real webview code at a wide and a narrow sidebar width.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { SHOTS, launchBrowser } from './harness';
import { syntheticModel } from './synthetic-model';
import { writeWebviewTestPage } from './webview-page';

let browser: Browser;
let page: Page;
let cdp: CDPSession;
const results: Record<string, unknown> = {};

async function scriptSeconds(): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m: { name: string }) => m.name === 'ScriptDuration')!.value;
}

/** Posts a state to the webview and returns [handler ms, CDP scripting ms, ms incl. layout]. */
async function timeRender(state: unknown): Promise<{ handlerMs: number; scriptMs: number; withLayoutMs: number }> {
  const before = await scriptSeconds();
  const r = await page.evaluate((s) => {
    const t0 = performance.now();
    window.dispatchEvent(new MessageEvent('message', { data: { type: 'state', state: s } }));
    const t1 = performance.now();
    void document.body.offsetHeight; // force style + layout
    const t2 = performance.now();
    return { handlerMs: t1 - t0, withLayoutMs: t2 - t0 };
  }, state);
  const after = await scriptSeconds();
  return { ...r, scriptMs: (after - before) * 1000 };
}

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 420, height: 1200 } });
  cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  await page.goto(writeWebviewTestPage());
  await page.waitForFunction(() => customElements.get('vscode-radio') !== undefined);
});

afterAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  writeFileSync(join(SHOTS, 'webview-perf.json'), JSON.stringify(results, null, 2) + '\n');
  await browser?.close();
});

const state = (model: unknown, before: unknown = null) =>
  ({ project: 'perf', env: 'esp32cam', elf: 'firmware.elf', after: model, before, updatedAt: Date.now() });

describe('webview render time (Chromium)', () => {
  it('renders 200 libraries × 7 regions in ≤ 100 ms of scripting', async () => {
    const model = syntheticModel(200, 7, 1);
    const first = await timeRender(state(model));
    // every library is a table row, every region a bar
    expect(await page.locator('table.libs tbody tr').count()).toBe(200);
    expect(await page.locator('.region .bar').count()).toBe(7);
    const runs = [];
    for (let i = 2; i < 12; i++) runs.push(await timeRender(state(syntheticModel(200, 7, i), model)));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    results['200x7'] = {
      first,
      updates: { handlerMsMedian: median(runs.map((r) => r.handlerMs)), scriptMsMedian: median(runs.map((r) => r.scriptMs)),
        scriptMsMax: Math.max(...runs.map((r) => r.scriptMs)), withLayoutMsMedian: median(runs.map((r) => r.withLayoutMs)) },
    };
    console.log('webview 200×7:', JSON.stringify(results['200x7']));
    // The budget is on scripting (CPU time of JavaScript on the main thread). Wall-clock
    // numbers are reported too; on a loaded 2-core CI machine they include descheduling.
    expect(first.scriptMs).toBeLessThanOrEqual(100);
    for (const r of runs) expect(r.scriptMs).toBeLessThanOrEqual(100);
    expect(median(runs.map((r) => r.handlerMs))).toBeLessThanOrEqual(100);
  });

  it('updates in place: sort order and scroll position survive a new model', async () => {
    await page.locator('button.sort[data-sort="name"]').click();
    await page.evaluate(() => window.scrollTo(0, 400));
    const y = await page.evaluate(() => window.scrollY);
    await timeRender(state(syntheticModel(200, 7, 99)));
    // content above the table differs a little between models; a reset would jump to 0
    expect(Math.abs((await page.evaluate(() => window.scrollY)) - y)).toBeLessThanOrEqual(40);
    const names = await page.locator('table.libs tbody th.name button.lib').allTextContents();
    expect(names).toEqual([...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    expect(await page.locator('th[data-column="name"]').getAttribute('aria-sort')).toBe('ascending');
  });

  it('is keyboard usable: Tab reaches the sort headers and library buttons, Enter sorts', async () => {
    await page.evaluate(() => window.scrollTo(0, 0));
    const total = page.locator('button.sort[data-sort="total"]');
    await total.focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('th[data-column="total"]').getAttribute('aria-sort')).toBe('descending');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.sort)).toBe('total');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('BUTTON');
  });

  it('renders the example-sized model at wide and narrow widths (screenshots)', async () => {
    const model = syntheticModel(14, 7, 7);
    await page.setViewportSize({ width: 420, height: 900 });
    await timeRender(state(model, model));
    await page.screenshot({ path: join(SHOTS, 'webview-420px.png'), fullPage: true });
    await page.setViewportSize({ width: 200, height: 900 });
    await page.screenshot({ path: join(SHOTS, 'webview-200px.png'), fullPage: true });
    // nothing may overflow the page horizontally at 200 px except the scrollable table
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});

/// <reference lib="dom" />
/**
 * The HTML sync-info report, opened as a reviewer opens it: in a real browser (Debian's Chromium,
 * driven by playwright-core). The chart must have drawn, every failed record must have its row, and
 * ledger text must stay text. A screenshot is kept in test-results/ for a person to look at.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chartPoints, renderHtml } from '../../src/report/render-html.js';
import { buildSyncInfo } from '../../src/report/sync-info.js';
import { CUSTOMERS_FLOW, customers, flowFrom, Harness, tempDir } from '../support/harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../test-results');

async function reportWithFailures() {
  const h = new Harness();
  const flow = flowFrom(CUSTOMERS_FLOW);
  h.addSource('customers', customers(30));
  await h.run(flow);
  // Three records the target schema refuses (a negative total), one with markup in its name.
  h.now = new Date('2026-11-01T01:00:00Z');
  h.addSource('customers', customers(3, 31, { balance: '-5.00', updated_at: '2026-10-02T00:00:00Z' }));
  h.addSource('customers', [{ ...customers(1, 34)[0]!, name: '<img src=x onerror="window.pwned=1">', balance: '-1.00', updated_at: '2026-10-02T00:00:01Z' }]);
  await h.run(flow);
  h.now = new Date('2026-11-01T02:00:00Z');
  h.addSource('customers', customers(5, 40, { updated_at: '2026-10-03T00:00:00Z' }));
  await h.run(flow);
  return buildSyncInfo(h.ledger, [flow], { now: h.now });
}

describe('HTML sync-info report', () => {
  it('has one chart point per run, oldest first', async () => {
    const points = chartPoints(await reportWithFailures());
    expect(points.map((p) => [p.run, p.successes, p.failures])).toEqual([
      [1, 30, 0],
      [2, 30, 4],
      [3, 5, 0], // the dead records, re-read unchanged in the overlap window, are not counted again
    ]);
  });

  it('renders in headless Chromium: the chart draws, failed records are listed, markup stays text', async () => {
    expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`).toBe(true);
    const info = await reportWithFailures();
    const file = join(tempDir('ferry-html-'), 'report.html');
    writeFileSync(file, renderHtml(info));

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(file).href);
      await page.waitForFunction(() => document.body.dataset.chart === 'rendered');
      expect(errors).toEqual([]);

      // The canvas really has bars: count painted pixels in the plotted colours.
      const painted = await page.evaluate(() => {
        const canvas = document.getElementById('runs-chart') as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let green = 0;
        let red = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! < 200) continue;
          if (data[i] === 0x2d && data[i + 1] === 0xa4 && data[i + 2] === 0x4e) green++;
          if (data[i] === 0xcf && data[i + 1] === 0x22 && data[i + 2] === 0x2e) red++;
        }
        return { green, red };
      });
      expect(painted.green).toBeGreaterThan(1000);
      expect(painted.red).toBeGreaterThan(10);

      const rows = await page.locator('tr.failed-record').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.record));
      expect(rows.sort()).toEqual(info.flows[0]!.failures.map((f) => f.sourceId).sort());
      expect(rows).toHaveLength(4);
      await expect(page.locator('tr.failed-record').first().locator('code').textContent()).resolves.toMatch(/^ferry resync customers --record \d+$/);
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const shot = join(SCREENSHOT_DIR, 'sync-info-report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(existsSync(shot)).toBe(true);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

/// <reference lib="dom" />
/**
 * The HTML sync-info page, opened as a reviewer opens it: in a real browser (Debian's Chromium, driven
 * by playwright-core) on a laptop screen of 1366×768. Each flow's card shows its health and a chart of
 * its own runs; every record needing attention has its row, its name, its admin links and its fix;
 * ledger text stays text. A screenshot is kept in test-results/ for a person to look at.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { recordPresenter } from '../../src/report/present.js';
import { chartPoints, renderHtml } from '../../src/report/render-html.js';
import { buildSyncInfo } from '../../src/report/sync-info.js';
import { CUSTOMERS_FLOW, customers, flowsFrom, Harness, memoryRegistry, tempDir } from '../support/harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../test-results');

const QUIET_FLOW = 'name: quiet\nsource: { connector: memory, entity: customers }\ntarget: { connector: memory, entity: invoices }\nmapping:\n  Name: name\n';
const HELD_FLOW = `name: rush-orders
source: { connector: memory, entity: orders }
target: { connector: memory, entity: invoices }
mapping:
  Name: name
rules:
  - { name: rush, when: "$contains(name, 'rush')", action: hold, reason: a rush order needs a look }
`;

/** Three flows: one failing (records the target schema refuses), one needing a person (held), one all good. */
async function report() {
  const h = new Harness();
  const flows = flowsFrom(CUSTOMERS_FLOW, HELD_FLOW, QUIET_FLOW);
  h.addSource('customers', customers(30));
  h.addSource('orders', [
    { id: 'o1', name: 'Order 1', updated_at: '2026-10-01T00:00:00Z' },
    { id: 'o2', name: 'Order 2, rush', updated_at: '2026-10-01T00:00:01Z' },
  ]);
  for (const flow of flows.values()) await h.run(flow);
  h.now = new Date('2026-11-01T01:00:00Z');
  h.addSource('customers', customers(3, 31, { balance: '-5.00', updated_at: '2026-10-02T00:00:00Z' }));
  h.addSource('customers', [{ ...customers(1, 34)[0]!, name: '<img src=x onerror="window.pwned=1">', balance: '-1.00', updated_at: '2026-10-02T00:00:01Z' }]);
  await h.run(flows.get('customers')!);
  h.now = new Date('2026-11-01T02:00:00Z');
  h.addSource('customers', customers(5, 40, { updated_at: '2026-10-03T00:00:00Z' }));
  await h.run(flows.get('customers')!);
  const present = recordPresenter(memoryRegistry(h.store), new Map([['memory', { name: 'memory', connector: 'memory', options: { site: 'admin.memory.example' } }]]));
  return buildSyncInfo(h.ledger, [...flows.values()], { now: h.now, present });
}

describe('HTML sync-info page', () => {
  it("plots each flow's own runs, oldest first, and tells good, needing a person and failing apart", async () => {
    const info = await report();
    const flow = (name: string) => info.flows.find((f) => f.name === name)!;
    expect(chartPoints(flow('customers')).map((p) => [p.run, p.created, p.failed])).toEqual([
      [1, 30, 0],
      [4, 0, 4],
      [5, 5, 0], // the dead records, re-read unchanged in the overlap window, are not counted again
    ]);
    expect(chartPoints(flow('rush-orders')).map((p) => [p.created, p.held])).toEqual([[1, 1]]);
    expect(info.flows.map((f) => [f.name, f.health])).toEqual([
      ['customers', 'failing'],
      ['rush-orders', 'attention'],
      ['quiet', 'good'],
    ]);
    expect(flow('customers').failures.find((f) => f.sourceId === '31')).toMatchObject({ label: 'Customer 31', links: [{ system: 'memory', url: 'https://admin.memory.example/customers/31' }] });
  });

  it('renders in Chromium at 1366×768: every section, one chart point per run, admin links, no overflow, markup kept as text', async () => {
    expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`).toBe(true);
    const info = await report();
    const file = join(tempDir('ferry-html-'), 'report.html');
    writeFileSync(file, renderHtml(info));

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, timezoneId: 'America/New_York', locale: 'en-US' });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(file).href);
      await page.waitForFunction(() => document.body.dataset.charts !== undefined);
      expect(errors).toEqual([]);

      // A card per flow, its health said in words and in colour.
      const cards = await page.locator('section.flow').evaluateAll((sections) =>
        sections.map((s) => ({ flow: (s as HTMLElement).dataset.flow, badge: s.querySelector('.badge')!.textContent, border: getComputedStyle(s).borderLeftColor })),
      );
      expect(cards).toEqual([
        { flow: 'customers', badge: 'failing', border: 'rgb(207, 34, 46)' },
        { flow: 'rush-orders', badge: 'needs a person', border: 'rgb(191, 135, 0)' },
        { flow: 'quiet', badge: 'all good', border: 'rgb(26, 127, 55)' },
      ]);

      // Each flow's chart has drawn one bar group per run of its own.
      const charts = await page.evaluate(() =>
        [...document.querySelectorAll('canvas')].map((c) => {
          const chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { labels: string[] } } } }).Chart.getChart(c);
          return { id: c.id, labels: chart.data.labels.length, points: Number(c.dataset.points) };
        }),
      );
      expect(charts).toEqual([
        { id: 'chart-0', labels: 3, points: 3 },
        { id: 'chart-1', labels: 1, points: 1 },
        { id: 'chart-2', labels: 1, points: 1 },
      ]);
      expect(await page.evaluate(() => document.body.dataset.charts)).toBe('3');

      // Times in the reader's zone: the run at 01:00 UTC is 9 p.m. the day before in New York.
      const lastRun = await page.locator('section[data-flow="customers"] .meta time').textContent();
      expect(lastRun).toMatch(/^Oct 31, 10:00\s?PM$/);

      // Every record needing attention, by name, with its admin link and the command that resolves it.
      const rows = await page.locator('tr.failed-record').evaluateAll((trs) =>
        trs.map((tr) => ({ record: (tr as HTMLElement).dataset.record, links: [...tr.querySelectorAll('a.admin-link')].map((a) => (a as HTMLAnchorElement).href), fix: tr.querySelector('code')!.textContent })),
      );
      expect(rows.map((r) => r.record).sort()).toEqual(['31', '32', '33', '34', 'o2']);
      expect(rows.find((r) => r.record === '31')).toEqual({ record: '31', links: ['https://admin.memory.example/customers/31'], fix: 'ferry resync customers --record 31' });
      expect(rows.find((r) => r.record === 'o2')).toEqual({ record: 'o2', links: ['https://admin.memory.example/orders/o2'], fix: 'ferry approve rush-orders o2' });
      await expect(page.locator('tr[data-record="31"] td').nth(1).textContent()).resolves.toBe('Customer 3131');
      expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();

      // It fits the screen's width: nothing to scroll sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1366);

      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const shot = join(SCREENSHOT_DIR, 'sync-info-report-1366x768.png');
      await page.screenshot({ path: shot });
      expect(existsSync(shot)).toBe(true);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

// The pages' layout at a phone's size (390 x 844) and a desktop's (1280 x 800), in Chromium: no element of the
// live page (before a source, and playing the demo with its timeline, card, plots and neurons filled) or of
// the camera page overflows the screen or its own box, and none is drawn over another (helpers/layout.ts).
// Skips, saying why, where no Chromium is installed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { RunningServer } from '../src/server.js';
import { CHROMIUM, NO_CHROMIUM } from './helpers/browser.js';
import { layoutProblems } from './helpers/layout.js';
import { startLoopbackServer } from './helpers/server.js';

const SIZES = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 800 },
} as const;

describe('the pages fit a phone and a desktop screen', { skip: NO_CHROMIUM }, () => {
  let srv: RunningServer;
  let browser: Browser;
  before(async () => {
    srv = await startLoopbackServer('models');
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await srv?.shutdown('test end');
  });

  /** The page at `path` in a fresh tab of the given size, once `ready` holds; fails on an uncaught exception. */
  async function check(path: string, size: keyof typeof SIZES, ready: (page: Page) => Promise<unknown>) {
    const page = await browser.newPage({ viewport: SIZES[size] });
    page.setDefaultTimeout(60_000); // a busy machine is slow, not wrong
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(srv.url + path);
      await ready(page);
      // Every image decoded and laid out (the plots), and a frame drawn since.
      await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      assert.deepEqual(await layoutProblems(page), [], `${path} at ${size} size`);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  }

  const modelsListed = (page: Page) =>
    page.waitForFunction(() => /models loaded/.test(document.getElementById('status')?.textContent ?? ''));

  /** The demo played until its timeline has stretches of both rows and the plots are in, then paused. */
  async function demoPlayed(page: Page) {
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid=current-label]')?.getAttribute('data-frame') ?? -1) >= 300,
      null,
      { timeout: 120_000 },
    );
    await page.locator('body').press('Space');
    await page.waitForFunction(() => document.querySelector('[data-testid=play-button]')?.textContent === 'Play');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=plots] img').length === 2);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=neurons] figure').length > 0);
  }

  for (const size of Object.keys(SIZES) as (keyof typeof SIZES)[]) {
    it(`the live page before a source, at ${size} size`, () => check('/', size, modelsListed));
    it(`the live page playing the demo, at ${size} size`, { timeout: 300_000 }, () =>
      check('/?demo=1', size, demoPlayed),
    );
    it(`the camera page, at ${size} size`, () =>
      check('/camera', size, (page) =>
        page.waitForFunction(() => (document.getElementById('model') as HTMLSelectElement).value !== ''),
      ));
  }
});

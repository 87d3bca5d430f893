// The camera page's Train loop in Chromium against a real server with --training: takes recorded earlier
// (the camera page's JSON Lines, visibility and all) are loaded, Train sends them, the page shows the job's
// progress and makes the new model its model; the live page lists it, and a take dropped on it plays to
// the new model, which answers with one of the recorded actions. Skips, saying why, without Chromium.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import type { RunningServer } from '../src/server.js';
import { CHROMIUM, NO_CHROMIUM } from './helpers/browser.js';
import { cameraTake, cameraTakes, TAKE_ACTIONS } from './helpers/camera-takes.js';
import { modelDir } from './helpers/models.js';
import { startLoopbackServer } from './helpers/server.js';

describe('the camera page trains a model on recorded takes', { skip: NO_CHROMIUM }, () => {
  let srv: RunningServer;
  let browser: Browser;
  before(async () => {
    const models = modelDir({ 'base.onnx': { kind: 'skeleton', name: 'base', depth: 1, hiddenSize: 8 } });
    srv = await startLoopbackServer(models, { training: { hidden: 16, depth: 1 } });
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await srv?.shutdown('test end');
  });

  it('loads takes, trains, serves the new model as the page model; the live page plays a take to it', {
    timeout: 300_000,
  }, async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(120_000); // a busy machine is slow, not wrong
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${srv.url}/camera`);
    await page.waitForFunction(() => (document.getElementById('model') as HTMLSelectElement).value === 'base');
    assert.equal(await page.isDisabled('#train'), true, 'no takes yet');
    // As the page saves them: with MediaPipe's visibility per landmark.
    const takes = cameraTakes(4, 1.5).map((t) => ({
      ...t,
      visibility: (t.frames as unknown[]).map(() => new Array(33).fill(0.9)),
    }));
    const jsonl = takes.map((t) => JSON.stringify(t)).join('\n');
    await page.setInputFiles('#load-takes', {
      name: 'takes.jsonl',
      mimeType: 'application/x-ndjson',
      buffer: Buffer.from(jsonl),
    });
    await page.waitForFunction(() => document.getElementById('takes')?.textContent === '12');
    await page.fill('#job-name', 'my-moves');
    await page.click('#train');
    await page.waitForFunction(() => (document.getElementById('model') as HTMLSelectElement).value === 'my-moves');
    assert.match((await page.textContent('#job-status')) ?? '', /^my-moves version 1 is trained/);
    assert.equal(await page.$eval('#job-progress', (e) => (e as HTMLProgressElement).value), 1);
    assert.deepEqual(problems, []);

    const live = await browser.newPage();
    live.setDefaultTimeout(120_000);
    await live.goto(`${srv.url}/?model=my-moves`);
    await live.waitForFunction(() => /models loaded/.test(document.getElementById('status')?.textContent ?? ''));
    const listed = await live.$$eval('[data-testid=model-picker] option', (os) =>
      os.map((o) => (o as HTMLOptionElement).value),
    );
    assert.ok(listed.includes('my-moves'), `the live page lists it: ${listed}`);
    const take = { ...cameraTake(1, 60, 77), id: 'new-take' };
    await live.evaluate(
      (text) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], 'new-take.jsonl'));
        const zone = document.querySelector('[data-testid=drop-zone]')!;
        zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      `${JSON.stringify(take)}\n`,
    );
    await live.waitForFunction(() =>
      document.querySelector('[data-testid=source-name]')?.textContent?.includes('new-take'),
    );
    await live.selectOption('[data-testid=model-picker]', 'my-moves');
    await live.click('[data-testid=play-button]');
    // Wait for an answer (it stamps its frame on the label), not for text: the label shows '–' until then.
    await live.waitForFunction(() => document.querySelector('[data-testid=current-label]')?.hasAttribute('data-frame'));
    const label = await live.textContent('[data-testid=current-label]');
    assert.ok((TAKE_ACTIONS as readonly string[]).includes(label ?? ''), `the new model answers: ${label}`);
  });
});

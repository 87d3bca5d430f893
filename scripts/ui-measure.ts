// The live page's weight and first paint: starts `indrnn serve` on the shipped models (loopback), loads
// GET / in Debian's chromium (playwright-core) N times with a fresh context each (nothing cached), and
// prints the page's own bytes (HTML + JS + CSS, raw and gzip as served) and the first contentful paint.
// Usage: node dist/scripts/ui-measure.js [--runs 10] [--chromium PATH]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { chromium } from 'playwright-core';
import { DEFAULT_APP_OPTIONS } from '../src/serve/app.js';
import { DEFAULT_UI_DIR } from '../src/serve/routes/ui.js';
import { startServer } from '../src/server.js';
import { PAGE_FILES } from './build-ui.js';
import { percentile } from './percentile.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const runs = Number(arg('--runs', '10'));
const executablePath = arg(
  '--chromium',
  execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim(),
);

let raw = 0;
let gz = 0;
for (const f of PAGE_FILES) {
  const data = readFileSync(join(DEFAULT_UI_DIR, f));
  raw += data.length;
  gz += gzipSync(data, { level: 9 }).length;
  process.stdout.write(`${f}: ${data.length} bytes, gzip ${gzipSync(data, { level: 9 }).length}\n`);
}
process.stdout.write(`page (HTML + JS + CSS): ${(raw / 1024).toFixed(1)} KiB, gzip ${(gz / 1024).toFixed(1)} KiB\n`);

const srv = await startServer(
  {
    ...DEFAULT_APP_OPTIONS,
    models: 'models',
    host: '127.0.0.1',
    port: 0,
    device: 'cpu',
    threads: 1,
    batch: { maxBatch: 8, maxDelayMs: 0, maxQueue: 64 },
    logLevel: 'silent',
    drainTimeoutMs: 2000,
  },
  pino({ level: 'silent' }),
);
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
const fcp: number[] = [];
const ready: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${srv.url}/`);
    await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0);
    await page.waitForFunction(() => /models loaded/.test(document.getElementById('status')?.textContent ?? ''));
    const t = await page.evaluate(() => ({
      fcp: performance.getEntriesByName('first-contentful-paint')[0].startTime,
      ready: performance.now(),
    }));
    fcp.push(t.fcp);
    ready.push(t.ready);
    await context.close();
  }
} finally {
  await browser.close();
  await srv.shutdown('measured');
}
const ms = (xs: number[], p: number) =>
  `${percentile(
    [...xs].sort((a, b) => a - b),
    p,
  ).toFixed(0)} ms`;
process.stdout.write(
  `first contentful paint over ${runs} loads: median ${ms(fcp, 50)}, max ${ms(fcp, 100)}; models listed (page ready): median ${ms(ready, 50)}\n`,
);

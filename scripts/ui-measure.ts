// The live page's weight and first paint: starts `indrnn serve` on the shipped models (a child process on
// loopback), loads GET / in Debian's chromium (playwright-core) N times with a fresh context each (nothing
// cached), and prints the page's own bytes (HTML + JS + CSS, raw and gzip as served) and the first
// contentful paint.
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { pageWeight } from './build-ui.js';
import { percentile } from './percentile.js';
import { scriptArgs } from './script-args.js';
import { startServeProcess, stopServeProcess } from './serve-process.js';

const { values } = scriptArgs({
  name: 'ui-measure',
  about:
    "the live page's weight and first paint: `indrnn serve` on the shipped models, GET / loaded N times in chromium with nothing cached",
  options: {
    runs: { type: 'string', default: '10', arg: 'N', help: 'page loads' },
    port: { type: 'string', default: '8791', arg: 'P', help: "the server's port" },
    chromium: { type: 'string', arg: 'PATH', help: 'the browser (default: chromium on the PATH)' },
  },
  examples: ['node dist/scripts/ui-measure.js --runs 10'],
});
const runs = Number(values.runs);
const port = Number(values.port);
const executablePath =
  values.chromium ?? execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();

const files = pageWeight();
for (const f of files) process.stdout.write(`${f.file}: ${f.bytes} bytes, gzip ${f.gzipBytes}\n`);
const kib = (n: number) => (n / 1024).toFixed(1);
const raw = files.reduce((n, f) => n + f.bytes, 0);
const gz = files.reduce((n, f) => n + f.gzipBytes, 0);
process.stdout.write(`page (HTML + JS + CSS): ${kib(raw)} KiB, gzip ${kib(gz)} KiB\n`);

const server = await startServeProcess(
  ['--models', 'models', '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn'],
  port,
  { quiet: true },
);
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
const fcp: number[] = [];
const ready: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
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
  await stopServeProcess(server);
}
const ms = (xs: number[], p: number) =>
  `${percentile(
    [...xs].sort((a, b) => a - b),
    p,
  ).toFixed(0)} ms`;
process.stdout.write(
  `first contentful paint over ${runs} loads: median ${ms(fcp, 50)}, max ${ms(fcp, 100)}; models listed (page ready): median ${ms(ready, 50)}\n`,
);

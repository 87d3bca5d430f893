// Debian's chromium for the page's browser tests (playwright-core drives it; it downloads no browser).
// CHROMIUM=path overrides the lookup. Absent: the tests skip and say how to install it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function findChromium(): string | null {
  const given = process.env.CHROMIUM;
  if (given) return existsSync(given) ? given : null;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const path = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (path) return path;
    } catch {
      // not on PATH
    }
  }
  return null;
}

export const CHROMIUM = findChromium();

/** The reason browser tests skip, or false when they run. */
export const NO_CHROMIUM: string | false = CHROMIUM
  ? false
  : "no Chromium on this machine: install Debian's chromium (apt-get install chromium, as .ci/run does) or set CHROMIUM=/path/to/chromium";

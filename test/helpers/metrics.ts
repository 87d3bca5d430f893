// The server's Prometheus metrics in tests, read as deltas around a test's own traffic so that no test
// depends on what earlier tests left in the counters; and waiting for a server-side condition.

/** `name{labels}` -> value, as the exposition text writes them. */
export async function scrape(baseUrl: string): Promise<Map<string, number>> {
  return parseExposition(await (await fetch(`${baseUrl}/metrics`)).text());
}

/** Prometheus exposition text -> `name{labels}` -> value. */
export function parseExposition(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    series.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return series;
}

/** Runs `traffic`; then tells how much a series grew meanwhile (0 for one never written). */
export function metricDeltas(baseUrl: string, traffic: () => Promise<void>): Promise<(series: string) => number> {
  return deltasOf(() => scrape(baseUrl), traffic);
}

/** Runs `traffic` between two reads of the series; then how much each grew (0 for one never written). */
export async function deltasOf(
  read: () => Promise<Map<string, number>>,
  traffic: () => Promise<unknown>,
): Promise<(series: string) => number> {
  const before = await read();
  await traffic();
  const after = await read();
  return (series) => (after.get(series) ?? 0) - (before.get(series) ?? 0);
}

/** Resolves once `holds()` is true (checked every 10 ms); fails after timeoutMs, naming `what`. */
export async function until(holds: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await holds())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

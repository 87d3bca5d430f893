// Human-readable log lines on a terminal (src/util/pretty-log.ts): time, level, message and fields on one
// line, an error's stack below it, and nothing a client sends can break a line or reach the terminal as
// an escape code.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { formatLogLine, resolveLogFormat } from '../src/util/pretty-log.js';

/** What pino writes for one call, as the pretty stream receives it. */
function pinoLine(log: (logger: pino.Logger) => void): string {
  const lines: string[] = [];
  log(pino({ level: 'debug' }, { write: (s: string) => lines.push(s) }));
  assert.equal(lines.length, 1);
  return lines[0];
}

describe('pretty log lines', () => {
  it('show the time, the level, the message and the fields as key=value', () => {
    const line = pinoLine((l) =>
      l.info({ model: 'ntu-synth', version: '1', ms: 212, batch: { maxBatch: 32 } }, 'model loaded'),
    );
    assert.match(
      formatLogLine(line, false),
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}model loaded {2}model=ntu-synth {2}version=1 {2}ms=212 {2}batch=\{"maxBatch":32\}\n$/,
    );
    assert.match(
      formatLogLine(
        pinoLine((l) => l.warn('slow')),
        false,
      ),
      / WARN {2}slow\n$/,
    );
    assert.ok(formatLogLine(line, true).includes('\x1b[32mINFO'), 'the level colored on a terminal');
  });

  it("an error's message is a field and its stack follows on indented lines", () => {
    const out = formatLogLine(
      pinoLine((l) => l.error({ err: new Error('boom') }, 'shutdown failed')),
      false,
    );
    const [head, ...rest] = out.trimEnd().split('\n');
    assert.match(head, / ERROR shutdown failed {2}err=boom$/);
    assert.ok(rest.length > 1 && rest.every((l) => l.startsWith('    ')), out);
    assert.equal(rest[0].trim(), 'Error: boom');
  });

  it('text from a client stays on its line and sends no escape code', () => {
    const url = '/v1/models/x\n{"level":50,"msg":"forged"}\r\x1b[2J\u009b31m\u2028';
    const out = formatLogLine(
      pinoLine((l) => l.info({ url }, 'request\x1b]0;title\x07')),
      false,
    );
    assert.equal(out.indexOf('\n'), out.length - 1, 'one line');
    assert.doesNotMatch(out.slice(0, -1), /\p{C}|\u2028/u, 'no control or format character');
    assert.match(out, /url="\/v1\/models\/x\\n\{\\"level\\":50/);
  });

  it('a line that is not JSON passes through; auto is pretty on a terminal only', () => {
    assert.equal(formatLogLine('plain text', false), 'plain text\n');
    assert.equal(resolveLogFormat('auto', true), 'pretty');
    assert.equal(resolveLogFormat('auto', undefined), 'json');
    assert.equal(resolveLogFormat('json', true), 'json');
    assert.equal(resolveLogFormat('pretty', false), 'pretty');
  });
});

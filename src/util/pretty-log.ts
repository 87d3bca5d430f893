// Human-readable log lines for a terminal, from pino's JSON lines: the time, the level, the message, then
// the fields as key=value (`12:03:04.120 INFO  model loaded  model=ntu-synth version=1 ms=212`), an error's
// stack on the lines below. Control characters in client-given text (URLs, messages) are escaped, so a
// request cannot forge a line or steer the terminal. JSON stays the format for files and collectors.

export type LogFormat = 'auto' | 'pretty' | 'json';

/** 'auto': pretty on a terminal, JSON lines otherwise. */
export function resolveLogFormat(format: LogFormat, isTTY: boolean | undefined): 'pretty' | 'json' {
  return format === 'auto' ? (isTTY ? 'pretty' : 'json') : format;
}

const LEVELS: Record<number, { name: string; color: number }> = {
  10: { name: 'TRACE', color: 90 },
  20: { name: 'DEBUG', color: 36 },
  30: { name: 'INFO', color: 32 },
  40: { name: 'WARN', color: 33 },
  50: { name: 'ERROR', color: 31 },
  60: { name: 'FATAL', color: 35 },
};

/** Fields every line has, shown in its head (time, level, message) or not at all. */
const HEAD_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** Control, format and line-separator characters as \u{..}: text from clients cannot break a line or send escape codes. */
function escapeControls(text: string): string {
  return text.replace(/[\p{C}\p{Zl}\p{Zp}]/gu, (c) => `\\u{${c.codePointAt(0)?.toString(16)}}`);
}

/** A field's value: plain when it is one word, else quoted; objects as compact JSON. */
function showValue(value: unknown): string {
  if (typeof value === 'string')
    return /^[^\s"=\\\p{C}]+$/u.test(value) ? value : escapeControls(JSON.stringify(value));
  return escapeControls(JSON.stringify(value) ?? String(value));
}

function clock(time: unknown): string {
  const d = typeof time === 'number' ? new Date(time) : new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** One pino JSON line as text (ending with a newline); a line that is not JSON passes through. */
export function formatLogLine(line: string, color: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = LEVELS[entry.level as number] ?? { name: String(entry.level), color: 0 };
  const paint = (text: string, code: number) => (color && code ? `\x1b[${code}m${text}\x1b[0m` : text);
  let out = `${paint(clock(entry.time), 90)} ${paint(level.name.padEnd(5), level.color)} ${escapeControls(String(entry.msg ?? ''))}`;
  let stack = '';
  for (const [key, value] of Object.entries(entry)) {
    if (HEAD_FIELDS.has(key) || value === undefined) continue;
    const err = value as { message?: unknown; stack?: unknown } | null;
    if (key === 'err' && err && typeof err === 'object' && typeof err.message === 'string') {
      out += `  ${paint('err', 90)}=${showValue(err.message)}`;
      if (typeof err.stack === 'string')
        stack += err.stack
          .split('\n')
          .map((l) => `\n    ${escapeControls(l)}`)
          .join('');
      continue;
    }
    out += `  ${paint(key, 90)}=${showValue(value)}`;
  }
  return `${out}${stack}\n`;
}

/** A pino destination that writes each line human-readably to `out` (colored when it is a terminal). */
export function prettyLogStream(out: NodeJS.WritableStream & { isTTY?: boolean }): { write(line: string): void } {
  const color = !!out.isTTY && !process.env.NO_COLOR;
  return { write: (line: string) => void out.write(formatLogLine(line, color)) };
}

// The command line of every script in scripts/: node's parseArgs, plus `--help` (what the script does, its
// options with their defaults, examples) on stdout; an unknown option, a missing value or a wrong number of
// arguments as one line and the help on stderr (exit 2); and an error the script throws as one line
// `NAME: message` (exit 1; the stack too with INDRNN_DEBUG=1, as the CLI does), a missing file named as such.
import { type ParseArgsConfig, parseArgs } from 'node:util';

type ParseOption = NonNullable<ParseArgsConfig['options']>[string];

export type ScriptOption = ParseOption & {
  help: string;
  /** The value's name in the help (`--port N`); default `VALUE`. */
  arg?: string;
};

export interface ScriptSpec<O extends Record<string, ScriptOption>> {
  /** The script's name, as `node dist/scripts/NAME.js` runs it. */
  name: string;
  /** What it does, a line or a few. */
  about: string;
  /** How it is started when not `node dist/scripts/NAME.js` (`npm run bench:server --`). */
  runAs?: string;
  /** Arguments that are not options: how the usage line names them, and how many may come. */
  positionals?: { usage: string; min: number; max: number };
  options: O;
  examples: string[];
}

const HELP_OPTION = { type: 'boolean', short: 'h', help: 'print this help' } as const;

/** Text broken into lines of at most `width` characters, between words. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join('\n');
}

/** The `--help` text. */
export function scriptHelp<O extends Record<string, ScriptOption>>(spec: ScriptSpec<O>): string {
  const runAs = spec.runAs ?? `node dist/scripts/${spec.name}.js`;
  const rows = Object.entries({ ...spec.options, help: HELP_OPTION }).map(([name, o]: [string, ScriptOption]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`;
    const repeat = o.multiple ? ' (repeatable)' : '';
    const given = o.default !== undefined && o.type === 'string' && o.default !== '' && !Array.isArray(o.default);
    return [flag, `${o.help}${repeat}${given ? ` (default: ${o.default})` : ''}`];
  });
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return [
    wrap(`${spec.name}: ${spec.about}`, 100),
    '',
    `Usage: ${runAs} [options]${spec.positionals ? ` ${spec.positionals.usage}` : ''}`,
    '',
    'Options:',
    ...rows.map(([flag, help]) => `  ${flag.padEnd(width)}${help}`),
    '',
    spec.examples.length > 1 ? 'Examples:' : 'Example:',
    ...spec.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

/** A wrong command line: one line saying what, then the help, on stderr; exit status 2. */
function usageError<O extends Record<string, ScriptOption>>(spec: ScriptSpec<O>, problem: string): never {
  process.stderr.write(`${spec.name}: ${problem}\n\n${scriptHelp(spec)}`);
  process.exit(2);
}

/** An error as one line: a file that is not there named as such, else its message's first line. */
export function errorLine(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT' && e.path) return `no such file or directory: ${e.path}`;
  return String(e instanceof Error ? e.message : err).split('\n')[0];
}

/** From now on an error the script does not catch ends it with one line on stderr, exit status 1. */
function endOnError(name: string): void {
  process.on('uncaughtException', (err) => {
    process.stderr.write(`${name}: ${errorLine(err)}\n`);
    if (process.env.INDRNN_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exit(1);
  });
}

/** The script's options and arguments; answers --help, and a wrong command line, itself (see the top). */
export function scriptArgs<const O extends Record<string, ScriptOption>>(
  spec: ScriptSpec<O>,
  args: string[] = process.argv.slice(2),
) {
  endOnError(spec.name);
  const config = {
    args,
    options: { ...spec.options, help: HELP_OPTION },
    allowPositionals: spec.positionals !== undefined,
    strict: true as const,
  };
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (e) {
    // parseArgs's first sentence ("Unknown option '--x'"); the rest is about '--' and positionals.
    usageError(spec, String((e as Error).message).split(/\.\s/)[0]);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(scriptHelp(spec));
    process.exit(0);
  }
  const n = parsed.positionals.length;
  if (spec.positionals && n < spec.positionals.min) usageError(spec, `missing ${spec.positionals.usage}`);
  if (spec.positionals && n > spec.positionals.max)
    usageError(spec, `unexpected argument '${parsed.positionals[spec.positionals.max]}'`);
  return parsed;
}

/** Ends the script with one line naming the problem (exit status 1), as an uncaught error would. */
export function scriptFail(name: string, problem: string): never {
  process.stderr.write(`${name}: ${problem}\n`);
  process.exit(1);
}

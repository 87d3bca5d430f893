// indrnn serve: the HTTP inference server for the models in a directory. Every flag can also come from an
// INDRNN_* environment variable (--max-batch: INDRNN_MAX_BATCH); a flag on the command line wins.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type BatchOptions, DEFAULT_BATCH } from '../host/batcher.js';
import { DEFAULT_MAX_MODEL_BYTES } from '../onnx/model-file.js';
import { DEFAULT_APP_OPTIONS } from '../serve/app.js';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS, type ServeConfig, serveMain } from '../server.js';
import { DEFAULT_STREAM_OPTIONS } from '../stream/limits.js';
import { floatOption, intOption } from './options.js';

/**
 * The flags: most are the config's own settings under their names; the stream limits carry a stream
 * prefix, and --cors-origin, --compress are corsOrigins, compressMinBytes.
 */
type ServeFlags = Required<
  Omit<ServeConfig, 'token' | 'version' | 'uiDir' | 'unreadBody' | 'sources' | 'training' | Grouped>
> &
  Required<BatchOptions> &
  Omit<ConnectionLimits, 'drainIdleGraceMs'> & {
    token?: string;
    training?: boolean;
    corsOrigin: string[];
    compress: number | null;
    maxStreams: number;
    streamMaxMessageBytes: number;
    streamMaxQueue: number;
    streamIdleMs: number;
    streamPingMs: number;
  };
type Grouped = 'batch' | 'connections' | 'stream' | 'corsOrigins' | 'compressMinBytes';

/** --max-batch -> INDRNN_MAX_BATCH. */
export function envName(long: string): string {
  return `INDRNN_${long.replace(/^--/, '').replace(/-/g, '_').toUpperCase()}`;
}

/**
 * A switch from its variable: commander turns a switch on for any value, so INDRNN_TRAINING=0 would take
 * training jobs; 0, false, no, off and the empty string mean off.
 */
export function envSwitch(value: string | undefined): boolean {
  return value !== undefined && !/^(0|false|no|off)?$/i.test(value.trim());
}

/** The option, read from its INDRNN_* variable too (unless it names its own; --help has none). */
function withEnv(option: Option): Option {
  if (!option.envVar && option.long && option.long !== '--help') option.env(envName(option.long));
  return option;
}

/** --cors-origin: a comma-separated list of origins (http(s)://host[:port]) or '*'. */
function originList(value: string): string[] {
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of origins) {
    if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o))
      throw new InvalidArgumentError(`expected origins like https://app.example.com (no path) or '*', got '${o}'`);
  }
  return origins;
}

/** onnxruntime threads per model when training jobs are on and --threads is not given. */
const TRAINING_THREADS = 1;

const UNITS = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

function byteSize(value: string): number {
  const m = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected a size like 8mb, 512kb or 1048576, got '${value}'`);
  return Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase() as keyof typeof UNITS];
}

/** --max-model-bytes: 1 byte to 2gb (the most an ONNX protobuf can hold). */
function modelFileSize(value: string): number {
  const bytes = byteSize(value);
  if (bytes < 1 || bytes > 2 * UNITS.gb)
    throw new InvalidArgumentError(`expected a size from 1 to 2gb (2147483648), got '${value}' (${bytes} bytes)`);
  return bytes;
}

export function registerServe(program: Command): void {
  const serve = program.command('serve');
  // Every flag from the environment too (help shows the names); commander reads an option's variable
  // only when it is set before the option is added, so the options are created with it.
  serve.createOption = (flags, description) => withEnv(new Option(flags, description));
  serve
    .description('serve the models in a directory over HTTP (predictions, KServe v2, Prometheus metrics)')
    .option(
      '--models <path>',
      'directory of exported .onnx models (every valid one is served), or one .onnx file',
      'models',
    )
    .option('--host <host>', 'address to listen on', '0.0.0.0')
    .option('--port <port>', 'port to listen on', intOption(0), 8080)
    .addOption(
      serve
        .createOption('--device <device>', 'execution provider: auto tries CUDA then CPU; cuda fails without CUDA')
        .choices(['auto', 'cuda', 'cpu'])
        .default('auto'),
    )
    .option(
      '--max-batch <n>',
      'most sequences combined into one model run (1: no batching)',
      intOption(1),
      DEFAULT_BATCH.maxBatch,
    )
    .option(
      '--max-delay-ms <ms>',
      'longest a sequence waits for others to join its batch',
      floatOption(0, 10_000),
      DEFAULT_BATCH.maxDelayMs,
    )
    .option(
      '--max-queue <n>',
      'most sequences waiting per model before requests get 503 overloaded',
      intOption(1),
      DEFAULT_BATCH.maxQueue,
    )
    .option('--max-concurrent <n>', 'most model runs in flight per model', intOption(1), DEFAULT_BATCH.maxConcurrent)
    .option(
      '--queue-timeout-ms <ms>',
      'longest a request waits for its model run to start (then 503 overloaded)',
      intOption(1),
      DEFAULT_BATCH.queueTimeoutMs,
    )
    .option(
      '--run-timeout-ms <ms>',
      'longest model run (then 504 timeout, and /readyz 503 until the run returns)',
      intOption(1),
      DEFAULT_BATCH.runTimeoutMs,
    )
    .option(
      '--drain-timeout-ms <ms>',
      'on SIGTERM, longest wait for requests and runs in flight before exiting',
      intOption(0),
      10_000,
    )
    .option(
      '--max-connections <n>',
      'most open TCP connections (HTTP and streams); more are closed at once',
      intOption(1),
      DEFAULT_CONNECTION_LIMITS.maxConnections,
    )
    .option(
      '--headers-timeout-ms <ms>',
      'longest time to receive request headers',
      intOption(1),
      DEFAULT_CONNECTION_LIMITS.headersTimeoutMs,
    )
    .option(
      '--request-timeout-ms <ms>',
      'longest time to receive a whole request (408 after)',
      intOption(1),
      DEFAULT_CONNECTION_LIMITS.requestTimeoutMs,
    )
    .option('--max-frames <n>', 'most frames per sequence', intOption(1), DEFAULT_APP_OPTIONS.maxFrames)
    .option('--max-sequences <n>', 'most sequences per request', intOption(1), DEFAULT_APP_OPTIONS.maxSequences)
    .option(
      '--max-body-bytes <size>',
      'largest request body (e.g. 8mb, 512kb)',
      byteSize,
      DEFAULT_APP_OPTIONS.maxBodyBytes,
    )
    .option(
      '--max-model-bytes <size>',
      'largest model file read (e.g. 256mb); a larger one in --models is skipped unread, with the reason logged',
      modelFileSize,
      DEFAULT_MAX_MODEL_BYTES,
    )
    .addOption(
      new Option(
        '--token <token>',
        'require Authorization: Bearer <token> on /v1 and /v2 (prefer the env variable: flags show in ps)',
      ).env('INDRNN_TOKEN'),
    )
    .option(
      '--threads <n>',
      'onnxruntime intra-op threads per model (0: one per core; with --training the default is 1, which leaves the other core to a job and keeps stream latency: BENCHMARKS.md)',
      intOption(0),
      0,
    )
    .addOption(
      serve
        .createOption(
          '--model-runner <where>',
          "where model runs happen: 'inline' on the server's thread, 'worker' in a thread per model (docs/api.md)",
        )
        .choices(['inline', 'worker'])
        .default('inline'),
    )
    .option(
      '--model-workers <n>',
      'with --model-runner worker: worker threads per model, each with its own session (--max-concurrent follows it unless given; --threads 0 shares the cores among them)',
      intOption(1, 64),
      1,
    )
    .option('--max-streams <n>', 'most open WebSocket streams', intOption(1), DEFAULT_STREAM_OPTIONS.maxConnections)
    .option(
      '--stream-max-message-bytes <size>',
      'largest WebSocket message (e.g. 1mb); above it the stream is closed with 1009',
      byteSize,
      DEFAULT_STREAM_OPTIONS.maxMessageBytes,
    )
    .option(
      '--stream-max-queue <steps>',
      'most model steps waiting per stream (then queue_full, close 1008)',
      intOption(1),
      DEFAULT_STREAM_OPTIONS.maxQueuedSteps,
    )
    .option(
      '--stream-idle-ms <ms>',
      'close a stream silent this long (4000)',
      intOption(1),
      DEFAULT_STREAM_OPTIONS.idleTimeoutMs,
    )
    .option(
      '--stream-ping-ms <ms>',
      'keepalive ping interval; no pong by the next ping cuts the stream',
      intOption(1),
      DEFAULT_STREAM_OPTIONS.pingIntervalMs,
    )
    .option('--no-ui', 'do not serve the live web page at GET / (docs/ui.md)')
    .addOption(
      serve
        .createOption('--log-level <level>', 'log level')
        .choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
        .default('info'),
    )
    .addOption(
      serve
        .createOption(
          '--log-format <format>',
          "log lines on stdout: 'json', 'pretty' (human-readable), 'auto': pretty on a terminal, else JSON",
        )
        .choices(['auto', 'pretty', 'json'])
        .default('auto'),
    )
    .option(
      '--cors-origin <origins>',
      "let browser apps on these origins call the API (comma-separated, or '*'); off by default",
      originList,
      [],
    )
    .option(
      '--compress <size>',
      "gzip answers from this size on (e.g. 1kb) for clients that accept it; 'off': never",
      (v: string) => (v.trim().toLowerCase() === 'off' ? null : byteSize(v)),
      DEFAULT_APP_OPTIONS.compressMinBytes,
    )
    .addOption(
      serve
        .createOption(
          '--reload <mode>',
          "reload models when the directory changes: 'watch' (file events), 'poll' (every --poll-ms), 'off'",
        )
        .choices(['off', 'watch', 'poll'])
        .default('watch'),
    )
    .option('--poll-ms <ms>', 'rescan interval of --reload poll', intOption(100), 2000)
    .addOption(
      serve
        .createOption(
          '--model-control <mode>',
          "'explicit': POST /v2/repository/models/NAME/load|unload may load and unload models; 'none': 403 forbidden",
        )
        .choices(['none', 'explicit'])
        .default('none'),
    )
    .option(
      '--training',
      'take training jobs: POST /v1/jobs trains a model on recorded takes and serves it (docs/api.md); off by default',
    )
    .addHelpText(
      'after',
      '\nThe live web page: GET / (docs/ui.md).\nWebSocket streams: /v1/models/NAME/stream (docs/streaming.md).\nRoutes: GET /healthz /readyz /metrics /openapi.json /v1/models /v1/models/NAME, POST /v1/models/NAME/predict,\n' +
        'KServe v2: GET /v2/health/live /v2/health/ready /v2/models/NAME, POST /v2/models/NAME/infer (docs/api.md),\n' +
        'POST /v2/repository/index, /v2/repository/models/NAME/load|unload. Every flag is also INDRNN_<FLAG> (docs/operations.md).\n' +
        '\nExample:\n  indrnn serve --models models --port 8080 --device auto --max-batch 32',
    )
    .action(async (f: ServeFlags, cmd: Command) => {
      // Where each value came from, for the configuration log line: 'cli', 'env' or 'default'.
      const sources = Object.fromEntries(
        cmd.options.map((o) => [o.attributeName(), cmd.getOptionValueSource(o.attributeName()) ?? 'default']),
      );
      if (sources.training === 'env') f.training = envSwitch(process.env[envName('--training')]);
      // A training job takes a core: a session spreading each run over every core then waits on the core the
      // trainer holds, and the stream tail grows (p99 within 2x in 9 of 12 pairs with 1 thread, 7 of 12 with 2).
      if (f.training && sources.threads === 'default') f.threads = TRAINING_THREADS;
      if (sources.ui === 'env') f.ui = !envSwitch(process.env[envName('--no-ui')]);
      if (f.modelWorkers > 1 && f.modelRunner !== 'worker')
        cmd.error(`error: --model-workers ${f.modelWorkers} needs --model-runner worker (inline runs on one thread)`);
      const { maxBatch, maxDelayMs, maxQueue, maxConcurrent, queueTimeoutMs, runTimeoutMs, ...rest } = f;
      const { maxConnections, headersTimeoutMs, requestTimeoutMs, corsOrigin, compress, token, ...settings } = rest;
      const { maxStreams, streamMaxMessageBytes, streamMaxQueue, streamIdleMs, streamPingMs, ...own } = settings;
      await serveMain({
        ...own,
        batch: {
          maxBatch,
          maxDelayMs,
          maxQueue,
          // One run slot per worker unless --max-concurrent says otherwise.
          maxConcurrent: sources.maxConcurrent === 'default' ? Math.max(maxConcurrent, f.modelWorkers) : maxConcurrent,
          queueTimeoutMs,
          runTimeoutMs,
        },
        corsOrigins: corsOrigin,
        compressMinBytes: compress,
        token: token || undefined,
        version: process.env.npm_package_version ?? DEFAULT_APP_OPTIONS.version,
        connections: { maxConnections, headersTimeoutMs, requestTimeoutMs },
        stream: {
          maxConnections: maxStreams,
          maxMessageBytes: streamMaxMessageBytes,
          maxQueuedSteps: streamMaxQueue,
          idleTimeoutMs: streamIdleMs,
          pingIntervalMs: streamPingMs,
        },
        sources,
      });
    });
}

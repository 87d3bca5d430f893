// Prometheus metrics, one registry per app (tests build many apps in one process). Names start with
// `indrnn_`; the default process metrics (CPU, memory, event loop lag, GC) keep their standard names
// (process_*, nodejs_*) so that stock dashboards find them. Per-model series follow Triton's split: requests
// by outcome, end-to-end request time, time queued, compute time of a run, and requests pending. Every
// label value is bounded: routes are templates, models and versions are loaded ones.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { IndrnnModel } from '../onnx/model.js';
import type { BatchObserver } from './batcher.js';
import type { RegistryEvent, ServedModel } from './registry.js';
import { readiness, type ServerState } from './state.js';

/** How a model's request ended, for indrnn_requests_total. */
export type Outcome = 'success' | 'client_error' | 'server_error' | 'cancelled';

/** The outcome of an answer with HTTP `status` (499: the client closed the connection first). */
export function outcomeOf(status: number): Outcome {
  if (status === 499) return 'cancelled';
  if (status >= 500) return 'server_error';
  return status >= 400 ? 'client_error' : 'success';
}

/**
 * prom-client's default metrics include gauges named *_total (nodejs_active_handles_total ...), which
 * `promtool check metrics` rejects (a _total suffix is for counters); their per-type twins without the
 * suffix stay (sum them for the total).
 */
const NON_COUNTER_TOTALS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** Declares metrics on one registry; a metric's labels are its type's (`Counter<'model'>`). */
function declare(registry: Registry) {
  const registers = [registry];
  return {
    counter: <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Counter<L>({ name, help, labelNames, registers }),
    histogram: <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
      new Histogram<L>({ name, help, labelNames, buckets, registers }),
    /** `collect` sets the gauge's value at each scrape. */
    gauge: <L extends string = never>(
      name: string,
      help: string,
      labelNames: readonly L[] = [],
      collect?: (this: Gauge<L>) => void,
    ) => new Gauge<L>({ name, help, labelNames, registers, collect }),
  };
}

function streamMetrics({ counter, gauge, histogram }: ReturnType<typeof declare>) {
  const model = ['model'] as const;
  return {
    active: gauge('indrnn_stream_active', 'Open WebSocket streams', model),
    opened: counter('indrnn_stream_opened_total', 'WebSocket streams opened', model),
    rejected: counter('indrnn_stream_rejected_total', 'Stream upgrades refused, by reason (error code)', ['reason']),
    framesReceived: counter(
      'indrnn_stream_frames_received_total',
      'Frames received on streams (accepted by the checks)',
      model,
    ),
    steps: counter(
      'indrnn_stream_steps_total',
      'Model steps run for streams (one per frame unless the model resamples)',
      model,
    ),
    predictions: counter('indrnn_stream_predictions_total', 'Prediction messages sent', model),
    frameLatency: histogram(
      'indrnn_stream_frame_latency_seconds',
      'From the arrival of a frame to its prediction being sent (per model step)',
      model,
      [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    ),
    batchRows: histogram(
      'indrnn_stream_batch_rows',
      'Rows (streams x staggered states) per streaming model run',
      model,
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    ),
    droppedFrames: counter(
      'indrnn_stream_dropped_frames_total',
      'Model steps discarded (reset, or queued on a connection that was closed)',
      ['model', 'reason'],
    ),
    droppedConnections: counter('indrnn_stream_dropped_connections_total', 'Streams closed by the server, by reason', [
      'model',
      'reason',
    ]),
    errors: counter('indrnn_stream_errors_total', 'Error messages sent to stream clients, by code', ['model', 'code']),
  };
}

/** WebSocket streams' metrics (src/stream). */
export type StreamMetrics = ReturnType<typeof streamMetrics>;
export type Metrics = ReturnType<typeof createMetrics>;

export function createMetrics({ defaultMetrics = true }: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (defaultMetrics) {
    collectDefaultMetrics({ register: registry });
    for (const name of NON_COUNTER_TOTALS) registry.removeSingleMetric(name);
  }
  const metric = declare(registry);
  const { counter, gauge, histogram } = metric;
  const perVersion = ['model', 'version'] as const;
  const inferenceDuration = histogram(
    'indrnn_inference_duration_seconds',
    'Compute time of one model run (one batch), per model version',
    ['model', 'version', 'provider'],
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  const batchSize = histogram(
    'indrnn_batch_size',
    'Sequences per model run',
    perVersion,
    [1, 2, 4, 8, 16, 32, 64, 128],
  );
  const queueWait = histogram(
    'indrnn_queue_wait_seconds',
    'Time a sequence (or a KServe or stream run) waited in the queue before its run started',
    perVersion,
    [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  );
  const modelInfo = gauge('indrnn_model_info', 'Loaded models (value 1) with their version and execution provider', [
    'model',
    'version',
    'provider',
  ]);
  const modelRequests = counter(
    'indrnn_requests_total',
    'Inference requests (predict, KServe infer) by model, version and outcome (success, client_error, server_error, cancelled)',
    ['model', 'version', 'outcome'],
  );
  const modelRequestDuration = histogram(
    'indrnn_request_duration_seconds',
    'Inference request time from arrival to the last byte sent (queue, compute and the rest), by model version',
    perVersion,
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  let tracked: ServerState | null = null;
  gauge(
    'indrnn_pending_requests',
    'Sequences and runs queued for a model version, not yet running (503 overloaded at --max-queue)',
    perVersion,
    function () {
      this.reset();
      for (const s of tracked?.registry?.all() ?? []) this.set({ model: s.name, version: s.version }, s.batcher.queued);
    },
  );
  gauge(
    'indrnn_ready',
    'The readiness probe: 1 when models are loaded, none is stuck and the server is not draining',
    [],
    function () {
      this.set(tracked && readiness(tracked).status === 'ready' ? 1 : 0);
    },
  );
  const modelLoadDuration = histogram(
    'indrnn_model_load_duration_seconds',
    'Time to load a model version (read, check, create the session), at start and on reloads',
    ['model'],
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  const modelLoadFailures = counter(
    'indrnn_model_load_failures_total',
    'Model files that could not be served (corrupt, mismatching, duplicate); the log names each',
  );
  const workerLost = counter(
    'indrnn_model_worker_restarts_total',
    "Times a model's worker thread (--model-runner worker) died and was started again; its run in flight failed",
    perVersion,
  );
  return {
    registry,
    requests: counter('indrnn_http_requests_total', 'HTTP requests by route, method and status', [
      'route',
      'method',
      'status',
    ]),
    requestDuration: histogram(
      'indrnn_http_request_duration_seconds',
      'HTTP request duration, from arrival to the last byte sent',
      ['route', 'method'],
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    ),
    inFlight: gauge('indrnn_http_requests_in_flight', 'HTTP requests being served'),
    /** TCP connections closed unanswered because --max-connections were open. */
    connectionsRefused: counter(
      'indrnn_connections_refused_total',
      'TCP connections (HTTP and streams) closed unanswered because --max-connections connections were open',
    ),
    stream: streamMetrics(metric),
    /** The batcher's observer for one model. */
    observer(model: IndrnnModel): BatchObserver {
      // Read when called: the registry names a Triton-layout model after its directories once loaded.
      const labels = () => ({ model: model.metadata.name, version: model.metadata.version });
      return {
        batch: (size, seconds) => {
          const { model: name, version } = labels();
          batchSize.observe({ model: name, version }, size);
          inferenceDuration.observe({ model: name, version, provider: model.provider }, seconds);
        },
        queueWait: (seconds) => queueWait.observe(labels(), seconds),
      };
    },
    /** Records a finished inference request (predict, infer) of `served`: its outcome and end-to-end time. */
    modelRequest(served: ServedModel, status: number, seconds: number): void {
      const labels = { model: served.name, version: served.version };
      modelRequests.inc({ model: served.name, version: served.version, outcome: outcomeOf(status) });
      modelRequestDuration.observe(labels, seconds);
    },
    /** Reports the pending-requests and readiness gauges from this state at each scrape. */
    track(state: ServerState): void {
      tracked = state;
    },
    /** The registry's events: load times, failures, models leaving (their series go). */
    registryEvent(e: RegistryEvent): void {
      if (e.kind === 'loaded') {
        modelInfo.set({ model: e.name, version: e.version, provider: e.provider }, 1);
        modelLoadDuration.observe({ model: e.name }, e.ms / 1000);
      } else if (e.kind === 'skipped') modelLoadFailures.inc();
      else if (e.kind === 'worker-lost') workerLost.inc({ model: e.name, version: e.version });
      else if (e.kind === 'retired' && !e.replaced) {
        for (const provider of ['cpu', 'cuda']) modelInfo.remove({ model: e.name, version: e.version, provider });
      }
    },
  };
}

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

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly requestDuration: Histogram<'route' | 'method'>;
  readonly inFlight: Gauge;
  /** TCP connections closed unanswered because --max-connections were open. */
  readonly connectionsRefused: Counter;
  readonly inferenceDuration: Histogram<'model' | 'version' | 'provider'>;
  readonly batchSize: Histogram<'model' | 'version'>;
  readonly queueWait: Histogram<'model' | 'version'>;
  readonly modelInfo: Gauge<'model' | 'version' | 'provider'>;
  /** Inference requests (predict, infer) per model version and outcome. */
  readonly modelRequests: Counter<'model' | 'version' | 'outcome'>;
  /** Their end-to-end time, from arrival to the last byte of the answer. */
  readonly modelRequestDuration: Histogram<'model' | 'version'>;
  readonly modelLoadDuration: Histogram<'model'>;
  readonly modelLoadFailures: Counter;
  /** Records a finished inference request of `served`. */
  modelRequest(served: ServedModel, status: number, seconds: number): void;
  /** Reports the pending-requests and readiness gauges from this state at each scrape. */
  track(state: ServerState): void;
  /** The registry's events: load times, failures, models leaving (their series go). */
  registryEvent(event: RegistryEvent): void;
  /** WebSocket streams (src/stream). */
  readonly stream: StreamMetrics;
  /** The batcher's observer for one model. */
  observer(model: IndrnnModel): BatchObserver;
}

export interface StreamMetrics {
  readonly active: Gauge<'model'>;
  readonly opened: Counter<'model'>;
  readonly rejected: Counter<'reason'>;
  readonly framesReceived: Counter<'model'>;
  readonly steps: Counter<'model'>;
  readonly predictions: Counter<'model'>;
  readonly frameLatency: Histogram<'model'>;
  readonly batchRows: Histogram<'model'>;
  readonly droppedFrames: Counter<'model' | 'reason'>;
  readonly droppedConnections: Counter<'model' | 'reason'>;
  readonly errors: Counter<'model' | 'code'>;
}

function streamMetrics(registers: Registry[]): StreamMetrics {
  return {
    active: new Gauge({
      name: 'indrnn_stream_active',
      help: 'Open WebSocket streams',
      labelNames: ['model'] as const,
      registers,
    }),
    opened: new Counter({
      name: 'indrnn_stream_opened_total',
      help: 'WebSocket streams opened',
      labelNames: ['model'] as const,
      registers,
    }),
    rejected: new Counter({
      name: 'indrnn_stream_rejected_total',
      help: 'Stream upgrades refused, by reason (error code)',
      labelNames: ['reason'] as const,
      registers,
    }),
    framesReceived: new Counter({
      name: 'indrnn_stream_frames_received_total',
      help: 'Frames received on streams (accepted by the checks)',
      labelNames: ['model'] as const,
      registers,
    }),
    steps: new Counter({
      name: 'indrnn_stream_steps_total',
      help: 'Model steps run for streams (one per frame unless the model resamples)',
      labelNames: ['model'] as const,
      registers,
    }),
    predictions: new Counter({
      name: 'indrnn_stream_predictions_total',
      help: 'Prediction messages sent',
      labelNames: ['model'] as const,
      registers,
    }),
    frameLatency: new Histogram({
      name: 'indrnn_stream_frame_latency_seconds',
      help: 'From the arrival of a frame to its prediction being sent (per model step)',
      labelNames: ['model'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    batchRows: new Histogram({
      name: 'indrnn_stream_batch_rows',
      help: 'Rows (streams x staggered states) per streaming model run',
      labelNames: ['model'] as const,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    }),
    droppedFrames: new Counter({
      name: 'indrnn_stream_dropped_frames_total',
      help: 'Model steps discarded (reset, or queued on a connection that was closed)',
      labelNames: ['model', 'reason'] as const,
      registers,
    }),
    droppedConnections: new Counter({
      name: 'indrnn_stream_dropped_connections_total',
      help: 'Streams closed by the server, by reason',
      labelNames: ['model', 'reason'] as const,
      registers,
    }),
    errors: new Counter({
      name: 'indrnn_stream_errors_total',
      help: 'Error messages sent to stream clients, by code',
      labelNames: ['model', 'code'] as const,
      registers,
    }),
  };
}

export function createMetrics({ defaultMetrics = true }: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (defaultMetrics) {
    collectDefaultMetrics({ register: registry });
    for (const name of NON_COUNTER_TOTALS) registry.removeSingleMetric(name);
  }
  const registers = [registry];
  const inferenceDuration = new Histogram({
    name: 'indrnn_inference_duration_seconds',
    help: 'Compute time of one model run (one batch), per model version',
    labelNames: ['model', 'version', 'provider'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const batchSize = new Histogram({
    name: 'indrnn_batch_size',
    help: 'Sequences per model run',
    labelNames: ['model', 'version'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers,
  });
  const queueWait = new Histogram({
    name: 'indrnn_queue_wait_seconds',
    help: 'Time a sequence (or a KServe or stream run) waited in the queue before its run started',
    labelNames: ['model', 'version'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  const modelInfo = new Gauge({
    name: 'indrnn_model_info',
    help: 'Loaded models (value 1) with their version and execution provider',
    labelNames: ['model', 'version', 'provider'] as const,
    registers,
  });
  const modelRequests = new Counter({
    name: 'indrnn_requests_total',
    help: 'Inference requests (predict, KServe infer) by model, version and outcome (success, client_error, server_error, cancelled)',
    labelNames: ['model', 'version', 'outcome'] as const,
    registers,
  });
  const modelRequestDuration = new Histogram({
    name: 'indrnn_request_duration_seconds',
    help: 'Inference request time from arrival to the last byte sent (queue, compute and the rest), by model version',
    labelNames: ['model', 'version'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  let tracked: ServerState | null = null;
  new Gauge({
    name: 'indrnn_pending_requests',
    help: 'Sequences and runs queued for a model version, not yet running (503 overloaded at --max-queue)',
    labelNames: ['model', 'version'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of tracked?.registry?.all() ?? []) this.set({ model: s.name, version: s.version }, s.batcher.queued);
    },
  });
  new Gauge({
    name: 'indrnn_ready',
    help: 'The readiness probe: 1 when models are loaded, none is stuck and the server is not draining',
    registers,
    collect() {
      this.set(tracked && readiness(tracked).status === 'ready' ? 1 : 0);
    },
  });
  const modelLoadDuration = new Histogram({
    name: 'indrnn_model_load_duration_seconds',
    help: 'Time to load a model version (read, check, create the session), at start and on reloads',
    labelNames: ['model'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const modelLoadFailures = new Counter({
    name: 'indrnn_model_load_failures_total',
    help: 'Model files that could not be served (corrupt, mismatching, duplicate); the log names each',
    registers,
  });
  const workerLost = new Counter({
    name: 'indrnn_model_worker_restarts_total',
    help: "Times a model's worker thread (--model-runner worker) died and was started again; its run in flight failed",
    labelNames: ['model', 'version'] as const,
    registers,
  });
  return {
    registry,
    requests: new Counter({
      name: 'indrnn_http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'indrnn_http_request_duration_seconds',
      help: 'HTTP request duration, from arrival to the last byte sent',
      labelNames: ['route', 'method'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    inFlight: new Gauge({ name: 'indrnn_http_requests_in_flight', help: 'HTTP requests being served', registers }),
    connectionsRefused: new Counter({
      name: 'indrnn_connections_refused_total',
      help: 'TCP connections (HTTP and streams) closed unanswered because --max-connections connections were open',
      registers,
    }),
    inferenceDuration,
    batchSize,
    queueWait,
    modelInfo,
    modelRequests,
    modelRequestDuration,
    modelLoadDuration,
    modelLoadFailures,
    stream: streamMetrics(registers),
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
    modelRequest(served, status, seconds) {
      const labels = { model: served.name, version: served.version };
      modelRequests.inc({ model: served.name, version: served.version, outcome: outcomeOf(status) });
      modelRequestDuration.observe(labels, seconds);
    },
    track(state) {
      tracked = state;
    },
    registryEvent(e) {
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

// Prometheus metrics, one registry per app (tests build many apps in one process). Names start with
// `indrnn_`; the default process metrics (CPU, memory, event loop lag, GC) keep their standard names
// (process_*, nodejs_*) so that stock dashboards find them.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { IndrnnModel } from '../onnx/model.js';
import type { BatchObserver } from './batcher.js';

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly requestDuration: Histogram<'route' | 'method'>;
  readonly inFlight: Gauge;
  readonly inferenceDuration: Histogram<'model' | 'provider'>;
  readonly batchSize: Histogram<'model'>;
  readonly queueWait: Histogram<'model'>;
  readonly modelInfo: Gauge<'model' | 'version' | 'provider'>;
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
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const inferenceDuration = new Histogram({
    name: 'indrnn_inference_duration_seconds',
    help: 'Time of one model run (one batch)',
    labelNames: ['model', 'provider'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const batchSize = new Histogram({
    name: 'indrnn_batch_size',
    help: 'Sequences per model run',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers,
  });
  const queueWait = new Histogram({
    name: 'indrnn_queue_wait_seconds',
    help: 'Time a sequence waited in the batching queue before its run started',
    labelNames: ['model'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  const modelInfo = new Gauge({
    name: 'indrnn_model_info',
    help: 'Loaded models (value 1) with their version and execution provider',
    labelNames: ['model', 'version', 'provider'] as const,
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
    inferenceDuration,
    batchSize,
    queueWait,
    modelInfo,
    stream: streamMetrics(registers),
    observer(model: IndrnnModel): BatchObserver {
      const name = model.metadata.name;
      modelInfo.set({ model: name, version: model.metadata.version, provider: model.provider }, 1);
      return {
        batch: (size, seconds) => {
          batchSize.observe({ model: name }, size);
          inferenceDuration.observe({ model: name, provider: model.provider }, seconds);
        },
        queueWait: (seconds) => queueWait.observe({ model: name }, seconds),
      };
    },
  };
}

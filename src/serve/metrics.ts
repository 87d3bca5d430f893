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
  /** The batcher's observer for one model. */
  observer(model: IndrnnModel): BatchObserver;
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

// One WebSocket stream to /v1/models/{name}/stream (docs/streaming.md): frames go out as binary float32
// (the model's frameSize per frame), predictions and events come back as JSON. Remembers when each frame
// was sent, so a prediction's `frame` gives its round trip.
import type { StreamMessage } from './api.js';

type Ready = Extract<StreamMessage, { type: 'ready' }>;

export interface StreamHandlers {
  onMessage(msg: StreamMessage, roundTripMs: number | null): void;
  onClose(reason: string): void;
}

const RING = 4096;

export class StreamClient {
  private readonly ws: WebSocket;
  readonly ready: Promise<Ready>;
  /** Frames sent since connect or reset; performance.now() of frame i at sentAt[i % RING]. */
  private sent = 0;
  private readonly sentAt = new Float64Array(RING);

  constructor(
    url: string,
    /** The stream's config, sent once it is ready (`layout`, `channels`: how the binary frames come). */
    config: { frameRate: number; topK: number; layerStates: boolean; layout?: string; channels?: 2 | 3 },
    handlers: StreamHandlers,
  ) {
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'arraybuffer';
    this.ready = new Promise<Ready>((resolve, reject) => {
      this.ws.addEventListener('message', (ev) => {
        if (typeof ev.data !== 'string') return;
        const msg = JSON.parse(ev.data) as StreamMessage;
        if (msg.type === 'ready') {
          this.ws.send(JSON.stringify({ type: 'config', ...config }));
          resolve(msg);
          return;
        }
        const frame = msg.type === 'prediction' ? msg.frame : null;
        const rtt = frame !== null && frame < this.sent && this.sent - frame <= RING ? this.roundTrip(frame) : null;
        handlers.onMessage(msg, rtt);
      });
      this.ws.addEventListener('close', (ev) => {
        reject(new Error(`the stream closed before it was ready (${ev.code} ${ev.reason})`));
        handlers.onClose(ev.reason || `closed (${ev.code})`);
      });
      this.ws.addEventListener('error', () => reject(new Error('the stream could not connect')));
    });
  }

  private roundTrip(frame: number): number {
    return performance.now() - this.sentAt[frame % RING];
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends `count` frames (frameSize values each, already in the model's layout) as one binary message. */
  send(frames: Float32Array<ArrayBuffer>, count: number): void {
    if (!this.open) return;
    const now = performance.now();
    for (let i = 0; i < count; i++) this.sentAt[(this.sent + i) % RING] = now;
    this.sent += count;
    this.ws.send(frames);
  }

  close(): void {
    this.ws.close(1000, 'done');
  }
}

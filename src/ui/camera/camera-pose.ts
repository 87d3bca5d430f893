// The camera as a source of MediaPipe poses: asks for the camera, runs MediaPipe Pose on its frames in
// this browser, and calls back once per camera frame period with the latest pose (held while the next one
// is being computed), so that joints go out at the camera's frame rate whatever the pose model's speed.
// Nothing of the video leaves the browser: only these numbers do.
import { bodyPosition, MEDIAPIPE_JOINTS } from '../../data/mediapipe.js';
import { RateMeter } from '../rate-meter.js';
import { createPose, type Landmark, type PoseOptions, type PoseResults, type PoseSolution } from './pose-runtime.js';

/** A landmark counts (for the body's position) from this visibility on. */
export const VISIBLE = 0.5;
/**
 * At most this share of the page's time goes to MediaPipe, which runs on the page's thread: on a computer
 * without a fast GPU it would otherwise leave the page no time to answer clicks.
 */
export const POSE_SHARE = 0.75;
/** Frames missed for longer than this (seconds) are skipped rather than repeated. */
export const MAX_CATCH_UP_S = 10;
/** Assumed horizontal field of view of the camera (a laptop's is about 55-70 degrees). */
export const CAMERA_HFOV_DEG = 60;

/** One pose, MediaPipe's axes (x right, y down, z away), metres. */
export interface CameraFrame {
  /** Somebody was found in this camera frame (else the other fields hold the last pose seen). */
  found: boolean;
  /** [33 * 3]: world landmarks moved to the body's estimated place in front of the camera. */
  landmarks: Float32Array;
  /** [33 * 3]: image landmarks (x, y in [0, 1] of the image), for drawing. */
  image: Float32Array;
  /** [33]: MediaPipe's visibility of each landmark, 0..1. */
  visibility: Float32Array;
  /** The body's position was estimated (else the landmarks are around the mid-hips, as MediaPipe gives them). */
  placed: boolean;
}

function copyLandmarks(from: Landmark[], to: Float32Array, vis?: Float32Array): void {
  for (let i = 0; i < MEDIAPIPE_JOINTS; i++) {
    const l = from[i];
    to[i * 3] = l.x;
    to[i * 3 + 1] = l.y;
    to[i * 3 + 2] = l.z;
    if (vis) vis[i] = l.visibility ?? 0;
  }
}

export class CameraPose {
  /** Frames per second the camera delivers (its track settings; 30 when it does not say). */
  readonly fps: number;
  private readonly frame: CameraFrame;
  private seen = false;
  private busy = false;
  /** performance.now() from which the next camera frame may go to MediaPipe. */
  private nextPose = 0;
  /** Milliseconds MediaPipe took for its last frame (0 before the first). */
  poseMs = 0;
  /** Answers MediaPipe gave (a pose or nobody), and how many a second lately (it may be far below the camera's rate). */
  poses = 0;
  readonly poseRate = new RateMeter(10_000);
  private running = false;
  private timer: number | null = null;

  private constructor(
    readonly video: HTMLVideoElement,
    private readonly stream: MediaStream,
    private readonly pose: PoseSolution,
  ) {
    const settings = stream.getVideoTracks()[0]?.getSettings() ?? {};
    this.fps = settings.frameRate && settings.frameRate > 0 ? Math.round(settings.frameRate * 100) / 100 : 30;
    this.frame = {
      found: false,
      landmarks: new Float32Array(MEDIAPIPE_JOINTS * 3),
      image: new Float32Array(MEDIAPIPE_JOINTS * 3),
      visibility: new Float32Array(MEDIAPIPE_JOINTS),
      placed: false,
    };
    pose.onResults((r) => this.take(r));
  }

  /** Asks for the camera (the browser asks the user), shows it in `video` and loads MediaPipe Pose. */
  static async open(video: HTMLVideoElement, options: PoseOptions = {}): Promise<CameraPose> {
    if (!navigator.mediaDevices?.getUserMedia)
      throw new Error('this browser gives no camera here (a camera needs https or localhost)');
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } },
      audio: false,
    });
    try {
      video.srcObject = stream;
      video.muted = true;
      video.playsInline = true;
      await video.play();
      const pose = await createPose({
        modelComplexity: 1,
        smoothLandmarks: true,
        enableSegmentation: false,
        minDetectionConfidence: 0.5,
        minTrackingConfidence: 0.5,
        ...options,
      });
      return new CameraPose(video, stream, pose);
    } catch (e) {
      for (const t of stream.getTracks()) t.stop();
      throw e;
    }
  }

  /** Whether MediaPipe's last answer found somebody. */
  get found(): boolean {
    return this.frame.found;
  }

  private take(r: PoseResults): void {
    this.poses++;
    this.poseRate.note(1);
    const f = this.frame;
    const world = r.poseWorldLandmarks;
    const image = r.poseLandmarks;
    f.found = !!(world && image && world.length >= MEDIAPIPE_JOINTS && image.length >= MEDIAPIPE_JOINTS);
    if (!f.found || !world || !image) return;
    this.seen = true;
    copyLandmarks(world, f.landmarks, f.visibility);
    copyLandmarks(image, f.image);
    const aspect = this.video.videoWidth / Math.max(1, this.video.videoHeight);
    const at = bodyPosition(f.landmarks, f.image, aspect, CAMERA_HFOV_DEG, (i) => f.visibility[i] >= VISIBLE);
    f.placed = at !== null;
    if (at) for (let i = 0; i < MEDIAPIPE_JOINTS; i++) for (let c = 0; c < 3; c++) f.landmarks[i * 3 + c] += at[c];
  }

  /**
   * Calls `onFrame` once per camera frame period from the first pose found on, by the clock: when the pose
   * model is slower than the camera (a computer without a GPU), the latest pose is repeated, so that the
   * frames keep the camera's rate and the model's sense of time stays right. While the tab is hidden, or
   * after a stall of more than MAX_CATCH_UP_S, missed frames are skipped, not sent in a burst. The frame object is reused:
   * copy what you keep. The first pose waits until the page has painted: it can take tens of seconds (software
   * WebGL) during which the page cannot, so what it says meanwhile must be on the screen first. Returns a
   * function that stops the calls.
   */
  start(onFrame: (f: CameraFrame) => void): () => void {
    this.running = true;
    this.poseRate.reset(performance.now());
    const period = 1000 / this.fps;
    let t0 = -1;
    let emitted = 0;
    const tick = () => {
      if (!this.running) return;
      if (!this.busy && performance.now() >= this.nextPose) {
        this.busy = true;
        const t = performance.now();
        this.pose
          .send({ image: this.video })
          .catch(() => {})
          .finally(() => {
            this.busy = false;
            // MediaPipe runs on this page's thread: leave the page a share of it (POSE_SHARE at most).
            const took = performance.now() - t;
            this.poseMs = took;
            this.nextPose = performance.now() + (took * (1 - POSE_SHARE)) / POSE_SHARE;
          });
      }
      if (this.seen) {
        const now = performance.now();
        if (t0 < 0) t0 = now;
        let due = Math.floor((now - t0) / period) + 1 - emitted;
        if (document.hidden || due > MAX_CATCH_UP_S * this.fps) {
          emitted += due - 1;
          due = 1;
        }
        for (; due > 0 && this.running; due--, emitted++) onFrame(this.frame);
      }
      this.schedule(tick);
    };
    // A timeout after an animation frame runs once that frame has been painted.
    requestAnimationFrame(() => {
      this.timer = window.setTimeout(() => this.schedule(tick), 0);
    });
    return () => {
      this.running = false;
      if (this.timer !== null) clearTimeout(this.timer);
    };
  }

  /** The next camera frame (requestVideoFrameCallback), or the frame period where the browser lacks it. */
  private schedule(tick: () => void): void {
    const v = this.video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
    if (v.requestVideoFrameCallback) v.requestVideoFrameCallback(tick);
    else this.timer = window.setTimeout(tick, 1000 / this.fps);
  }

  /** Stops the camera (its light goes off) and MediaPipe. */
  async close(): Promise<void> {
    this.running = false;
    for (const t of this.stream.getTracks()) t.stop();
    this.video.srcObject = null;
    await this.pose.close().catch(() => {});
  }
}

/** What the pose estimator is doing, in words: waiting for its first answer, or its answers and their rate. */
export function poseStatus(camera: CameraPose): string {
  if (camera.poses === 0)
    return 'waiting for the pose estimator (its first answer can take a minute on a computer without a GPU)…';
  const rate = camera.poseRate.perSecond();
  return `${camera.found ? '33 landmarks' : 'nobody in view'} · MediaPipe ${rate.toFixed(rate < 10 ? 1 : 0)} poses/s, ${camera.poseMs.toFixed(0)} ms each`;
}

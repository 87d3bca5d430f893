// The live page's "Camera" source (src/ui/sources.ts), in its own bundle (dist/ui/camera.js) that the page
// imports only when the user picks the camera, and that then loads MediaPipe Pose from this server. It adds
// a panel with the camera's picture and the landmarks found, and gives the page frames in the layout of
// the chosen model (kinect20, ntu25 or mediapipe33: the shared mapping of src/data/mediapipe.ts; another
// model's: ntu25, which the page's streaming models take), one per camera frame. Only the joints leave
// the browser, never the video.
import type { ModelInfo } from '../api.js';
import type { Source } from '../sources.js';
import { CameraPose, poseStatus } from './camera-pose.js';
import { cameraFeed, ModelFrames } from './model-frames.js';
import { drawPose } from './overlay.js';

/**
 * The layout the camera gives a model: its own when the camera's 3D estimate maps onto it and it streams;
 * else ntu25 (this source plays the page's 3D joints; the camera page feeds 2D models).
 */
export function cameraLayout(model: Pick<ModelInfo, 'layout' | 'bodies' | 'sampling' | 'dims'> | null): {
  layout: string;
  bodies: number;
} {
  const streams = model?.sampling?.kind !== 'segments';
  if (model && streams && cameraFeed(model) === '3d') return { layout: model.layout!, bodies: model.bodies! };
  return { layout: 'ntu25', bodies: 2 };
}

/** The camera's part of the skeleton's panel: picture, landmarks, privacy line, the pose estimator's state and rate. */
function panel(): { root: HTMLElement; video: HTMLVideoElement; overlay: HTMLCanvasElement; info: HTMLElement } {
  document.getElementById('camera-panel')?.remove();
  if (!document.querySelector('link[href="/ui/camera.css"]')) {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = '/ui/camera.css';
    document.head.append(css);
  }
  const root = document.createElement('section');
  root.id = 'camera-panel';
  root.className = 'camera-panel';
  root.setAttribute('aria-label', 'Camera');
  const view = document.createElement('div');
  view.className = 'camera-view';
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  const overlay = document.createElement('canvas');
  overlay.dataset.layer = 'overlay'; // drawn over the picture, on purpose
  view.append(video, overlay);
  const privacy = document.createElement('p');
  privacy.className = 'privacy';
  privacy.dataset.testid = 'camera-privacy';
  privacy.textContent =
    'The video never leaves this browser: MediaPipe Pose runs here, and only the joints it finds go to the server.';
  const info = document.createElement('p');
  info.className = 'muted small';
  info.dataset.testid = 'camera-info';
  info.textContent = 'Starting the camera and MediaPipe Pose…';
  root.append(view, privacy, info);
  // Inside the skeleton's panel, above the skeleton: the picture and the joints sent side by side in time.
  const anchor = document.querySelector('section.view');
  if (anchor) anchor.prepend(root);
  else document.body.append(root);
  return { root, video, overlay, info };
}

/** Opens the camera for `model` (the page's chosen model) and returns it as a live source. */
export async function openCamera(model: ModelInfo | null): Promise<Source> {
  const { layout, bodies } = cameraLayout(model);
  const frames = new ModelFrames(layout, bodies);
  const p = panel();
  let camera: CameraPose;
  try {
    camera = await CameraPose.open(p.video);
  } catch (e) {
    p.root.remove();
    throw new Error(`camera: ${(e as Error).message}`);
  }
  p.info.textContent = `Camera ${camera.fps} frames/s: press Play to find the joints and stream them.`;
  let stop: (() => void) | null = null;
  let poll = 0;
  const say = () => {
    p.info.textContent = `${poseStatus(camera)} · camera ${camera.fps} frames/s`;
  };
  return {
    name: `Camera (MediaPipe Pose in this browser, as ${layout})`,
    layout,
    fps: camera.fps,
    bodies,
    joints: frames.joints,
    recording: null,
    start(onFrame) {
      stop?.();
      say();
      // Twice a second, also before the first pose and while nobody is in view (no frames then).
      poll = window.setInterval(say, 500);
      stop = camera.start((f) => {
        drawPose(p.overlay, p.video, f);
        onFrame(frames.fill(f.found ? f.landmarks : null));
      });
      return () => {
        stop?.();
        stop = null;
        clearInterval(poll);
      };
    },
    async close() {
      stop?.();
      clearInterval(poll);
      await camera.close();
      p.root.remove();
    },
  };
}

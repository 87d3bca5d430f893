// Camera poses -> frames for the chosen model, two ways. A 2D model (its ModelInfo's `dims`: 2) takes
// MediaPipe's *image* landmarks as they are: layout mediapipe33, 2 floats per joint, in pixels of the
// picture (x right, y down: what a pose estimator gives and what Penn Action's pixels are; pixels, not
// MediaPipe's [0, 1], so that a non-square picture keeps people's proportions), and the server picks the
// model's joints out of them (src/data/keypoint-conversion.ts): no 3D estimate needed. A 3D model takes
// MediaPipe's world landmarks placed on its joints here, with the one mapping module the server and the
// trainer use (src/data/mediapipe.ts): kinect20 and ntu25 models get Kinect joints, mediapipe33 models the
// landmarks as they are. Body 0 is the camera's person; the model's other bodies are absent (zeros).
import { keypointMap } from '../../data/keypoint-conversion.js';
import { isMediapipeTarget, MEDIAPIPE_JOINTS, MEDIAPIPE_RECIPES, mediapipeBodyTo } from '../../data/mediapipe.js';

/** What the page knows of a model (its ModelInfo); `dims` absent: 3D. */
export interface CameraModel {
  layout: string | null;
  bodies: number | null;
  dims?: 2 | 3 | null;
}

/**
 * How the camera feeds a model: '2d' its image landmarks (a 2D model whose joints MediaPipe's landmarks
 * give), '3d' its world landmarks on the model's joints, null neither.
 */
export function cameraFeed(m: CameraModel): '2d' | '3d' | null {
  if (m.layout === null || m.bodies === null) return null;
  if (m.dims === 2) {
    const map = m.layout === 'mediapipe33' ? null : keypointMap('mediapipe33', m.layout);
    return m.layout === 'mediapipe33' || (map !== null && !('lacking' in map)) ? '2d' : null;
  }
  return m.layout === 'mediapipe33' || isMediapipeTarget(m.layout) ? '3d' : null;
}

/** Why a model cannot take camera poses, or null when it can. */
export function cameraUnsupported(m: CameraModel): string | null {
  if (m.layout === null || m.bodies === null) return 'takes no joints';
  if (cameraFeed(m) !== null) return null;
  const map = m.dims === 2 ? keypointMap('mediapipe33', m.layout) : null;
  if (map && 'lacking' in map) return `layout ${m.layout}: MediaPipe's landmarks have no ${map.lacking.join(', ')}`;
  return `layout ${m.layout}: no conversion from MediaPipe (2D penn13, coco17, openpose18 and mediapipe33 models can, and 3D kinect20, ntu25 and mediapipe33 models)`;
}

/** A 3D model's frames: MediaPipe's world landmarks on its joints. */
export class ModelFrames {
  readonly joints: number;
  readonly channels = 3;
  /** Values per frame: bodies * joints * 3. */
  readonly frameSize: number;
  /** The current frame [bodies * joints * 3] (reused: copy what you keep). */
  readonly frame: Float32Array<ArrayBuffer>;

  constructor(
    readonly layout: string,
    readonly bodies: number,
  ) {
    const why = cameraUnsupported({ layout, bodies });
    if (why) throw new RangeError(why);
    this.joints = isMediapipeTarget(layout) ? MEDIAPIPE_RECIPES[layout].length : MEDIAPIPE_JOINTS;
    this.frameSize = bodies * this.joints * 3;
    this.frame = new Float32Array(this.frameSize);
  }

  /** The model's frame for one pose (landmarks [33 * 3], MediaPipe's axes), or for nobody in view (null). */
  fill(landmarks: Float32Array | null): Float32Array<ArrayBuffer> {
    this.frame.fill(0);
    if (!landmarks) return this.frame;
    if (isMediapipeTarget(this.layout)) mediapipeBodyTo(this.layout, landmarks, 0, this.frame, 0);
    else this.frame.set(landmarks.subarray(0, MEDIAPIPE_JOINTS * 3));
    return this.frame;
  }
}

/** A 2D model's frames: MediaPipe's 33 image landmarks in pixels, [x, y] each (stream "channels": 2). */
export class ImageFrames {
  readonly layout = 'mediapipe33';
  readonly joints = MEDIAPIPE_JOINTS;
  readonly channels = 2;
  /** Values per frame: bodies * 33 * 2. */
  readonly frameSize: number;
  /** The current frame (reused: copy what you keep). */
  readonly frame: Float32Array<ArrayBuffer>;

  constructor(readonly bodies: number) {
    this.frameSize = bodies * MEDIAPIPE_JOINTS * 2;
    this.frame = new Float32Array(this.frameSize);
  }

  /** The frame for one pose (image landmarks [33 * 3], x and y in [0, 1] of a width x height picture), or nobody (null). */
  fill(image: Float32Array | null, width: number, height: number): Float32Array<ArrayBuffer> {
    this.frame.fill(0);
    if (!image) return this.frame;
    for (let j = 0; j < MEDIAPIPE_JOINTS; j++) {
      this.frame[j * 2] = image[j * 3] * width;
      this.frame[j * 2 + 1] = image[j * 3 + 1] * height;
    }
    return this.frame;
  }
}

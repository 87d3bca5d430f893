// Where frames come from. A source is anything that yields skeleton frames at a known rate: a recording
// (dropped file, bundled demo) is played by the Player at its frame rate; a live source (e.g. a camera,
// src/ui/camera/, added separately) pushes frames itself. To add one: implement SourceKind and add it to
// SOURCE_KINDS (docs/ui.md, "Sources").
import type { ModelInfo } from './api.js';
import type { Recording } from './recording.js';
import { fromJsonLines } from './recording.js';

/** Frames as the page consumes them; a recording is a Source with a fixed length. */
export interface Source {
  /** Shown in the page. */
  readonly name: string;
  readonly layout: string;
  readonly fps: number;
  readonly bodies: number;
  readonly joints: number;
  /** Frames known in advance (a recording), or null for a live source that pushes them. */
  readonly recording: Recording | null;
  /** Live sources: start calling onFrame(joints [bodies * joints * 3]) at their own pace; returns a stop function. */
  start?(onFrame: (joints: Float32Array) => void): () => void;
  /** Live sources: let go of what they hold (a camera) when another source replaces them. */
  close?(): Promise<void>;
}

/** A button in the page's source list. */
export interface SourceKind {
  readonly id: string;
  /** The button's text. */
  readonly label: string;
  /** Opens the source (may ask the user, load a file, open a camera) for the chosen model (null: none yet). */
  open(model: ModelInfo | null): Promise<Source>;
}

export function recordingSource(r: Recording): Source {
  return { name: r.name, layout: r.layout, fps: r.fps, bodies: r.bodies, joints: r.joints, recording: r };
}

/** The demo recording bundled with the page (made by the synthetic generator at build time). */
export const demoSource: SourceKind = {
  id: 'demo',
  label: 'Demo recording',
  async open() {
    const res = await fetch('/ui/demo.jsonl');
    if (!res.ok) throw new Error(`the demo recording is missing (${res.status}): rebuild with npm run build`);
    return recordingSource(fromJsonLines(await res.text(), 'demo.jsonl'));
  },
};

/** Where the camera source's bundle is (built from src/ui/camera by scripts/build-ui.ts). */
const CAMERA_MODULE = '/ui/camera.js';
/** What the camera bundle (src/ui/camera/camera-source.ts) exports; not imported here, so no cycle of types. */
interface CameraModule {
  openCamera(model: ModelInfo | null): Promise<Source>;
}

/**
 * The webcam, through MediaPipe Pose in the browser (src/ui/camera, docs/mediapipe.md). Its code and
 * MediaPipe (about 16 MB) load only when this button is pressed.
 */
export const cameraSource: SourceKind = {
  id: 'camera',
  label: 'Camera',
  async open(model) {
    // A path in a variable: the bundler leaves the import to the browser, which loads it now, not with the page.
    const camera: CameraModule = await import(CAMERA_MODULE);
    return camera.openCamera(model);
  },
};

/** The source buttons, in order. Dropped files are a source too (the drop zone), outside this list. */
export const SOURCE_KINDS: SourceKind[] = [demoSource, cameraSource];

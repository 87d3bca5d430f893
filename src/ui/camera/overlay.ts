// Draws the landmarks MediaPipe found over the camera's picture: a canvas the size of the video on top
// of it, joints as dots (hollow where MediaPipe is unsure), limbs as lines.
import { MEDIAPIPE_JOINTS } from '../../data/mediapipe.js';
import type { CameraFrame } from './camera-pose.js';
import { VISIBLE } from './camera-pose.js';

/** The body's lines, between mediapipe33 landmarks (face outline left out). */
const LIMBS: readonly (readonly [number, number])[] = [
  [11, 12],
  [11, 13],
  [13, 15],
  [15, 17],
  [15, 19],
  [15, 21],
  [17, 19],
  [12, 14],
  [14, 16],
  [16, 18],
  [16, 20],
  [16, 22],
  [18, 20],
  [11, 23],
  [12, 24],
  [23, 24],
  [23, 25],
  [25, 27],
  [27, 29],
  [27, 31],
  [29, 31],
  [24, 26],
  [26, 28],
  [28, 30],
  [28, 32],
  [30, 32],
  [7, 8],
];

export function drawPose(canvas: HTMLCanvasElement, video: HTMLVideoElement, f: CameraFrame | null): void {
  const w = video.videoWidth || canvas.width;
  const h = video.videoHeight || canvas.height;
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const g = canvas.getContext('2d');
  if (!g) return;
  g.clearRect(0, 0, w, h);
  if (!f?.found) return;
  const p = f.image;
  g.lineWidth = Math.max(2, w / 240);
  g.strokeStyle = 'rgba(80, 220, 120, 0.9)';
  g.beginPath();
  for (const [a, b] of LIMBS) {
    if (f.visibility[a] < VISIBLE || f.visibility[b] < VISIBLE) continue;
    g.moveTo(p[a * 3] * w, p[a * 3 + 1] * h);
    g.lineTo(p[b * 3] * w, p[b * 3 + 1] * h);
  }
  g.stroke();
  const r = Math.max(3, w / 160);
  for (let i = 0; i < MEDIAPIPE_JOINTS; i++) {
    g.beginPath();
    g.arc(p[i * 3] * w, p[i * 3 + 1] * h, r, 0, 2 * Math.PI);
    if (f.visibility[i] >= VISIBLE) {
      g.fillStyle = i % 2 === 1 && i > 10 ? '#ffb000' : '#30a0ff'; // left side orange, right blue
      g.fill();
    } else {
      g.strokeStyle = 'rgba(255, 255, 255, 0.6)';
      g.stroke();
    }
  }
}

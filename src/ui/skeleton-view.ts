// The skeleton in 3D on a 2D canvas: joints rotated by yaw and pitch about the recording's centre,
// projected with a simple perspective, bones drawn from the layout's parent table, nearer bones drawn last.
// The view is zoomed so that the recording's bodies fill the canvas (a live source: its first frame).
// Drag or the arrow keys rotate. Bodies differ by line style as well as colour.
import { type CanvasSize, trackCanvasSize } from './canvas-size.js';

/** Share of the canvas the fitted bodies fill. */
const FILL = 0.86;
/** Frames sampled to find a recording's extent on the screen. */
const FIT_FRAMES = 120;

const BODY_COLOURS = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1'];

export class SkeletonView {
  private yaw = -0.5;
  private pitch = 0.25;
  private centre: [number, number, number] = [0, 0, 3];
  private scale = 1;
  private last: { data: Float32Array; at: number; bodies: number } | null = null;
  private readonly ctx: CanvasRenderingContext2D;
  /** Bones [joint, parent] of the layout, and screen points [J, 3]: made per layout, not per frame. */
  private bones: [number, number][] = [];
  private pts = new Float32Array(0);
  private readonly floor = new Float32Array(3 * 4);
  /** Screen zoom and shift (CSS pixels) that make the fitted frames fill the canvas. */
  private zoom = 1;
  private shift: [number, number] = [0, 0];
  /** What the view was fitted to (refitted when the canvas changes size); null: fit the next frame drawn. */
  private fitted: { data: Float32Array; bodies: number } | null = null;
  private size: CanvasSize;

  constructor(
    canvas: HTMLCanvasElement,
    private parents: readonly number[],
  ) {
    this.ctx = canvas.getContext('2d')!;
    this.size = { width: canvas.width, height: canvas.height, ratio: 1 };
    this.setParents(parents);
    trackCanvasSize(canvas, (size) => {
      this.size = size;
      if (this.fitted) this.fitScreen(this.fitted.data, this.fitted.bodies);
      if (this.last) this.draw(this.last.data, this.last.at, this.last.bodies);
    });
    let drag: { x: number; y: number } | null = null;
    canvas.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY };
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!drag) return;
      this.rotate((e.clientX - drag.x) * 0.01, (e.clientY - drag.y) * 0.01);
      drag = { x: e.clientX, y: e.clientY };
    });
    canvas.addEventListener('pointerup', () => {
      drag = null;
    });
    canvas.addEventListener('keydown', (e) => {
      const step = 0.15;
      const turn: Record<string, [number, number]> = {
        ArrowLeft: [-step, 0],
        ArrowRight: [step, 0],
        ArrowUp: [0, -step],
        ArrowDown: [0, step],
      };
      const t = turn[e.key];
      if (!t) return;
      e.preventDefault();
      this.rotate(t[0], t[1]);
    });
  }

  rotate(dYaw: number, dPitch: number): void {
    this.yaw += dYaw;
    this.pitch = Math.max(-1.4, Math.min(1.4, this.pitch + dPitch));
    if (this.last) this.draw(this.last.data, this.last.at, this.last.bodies);
  }

  /** A new recording: bones from `parents`; centre, scale and zoom from its joints [T, B, J, 3] (none: from the first frame drawn). */
  fit(data: Float32Array, parents: readonly number[], bodies = 1): void {
    this.setParents(parents);
    this.last = null;
    this.fitted = null;
    this.zoom = 1;
    this.shift = [0, 0];
    if (this.fitCentre(data)) this.fitScreen(data, bodies);
  }

  /** Centre and scale of the joints present; false when there are none. */
  private fitCentre(data: Float32Array): boolean {
    const min = [Infinity, Infinity, Infinity];
    const max = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i + 2 < data.length; i += 3) {
      if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 0) continue; // absent body
      for (let c = 0; c < 3; c++) {
        min[c] = Math.min(min[c], data[i + c]);
        max[c] = Math.max(max[c], data[i + c]);
      }
    }
    if (!Number.isFinite(min[0])) return false;
    this.centre = [0, 1, 2].map((c) => (min[c] + max[c]) / 2) as [number, number, number];
    this.scale = Math.max(max[0] - min[0], max[1] - min[1], max[2] - min[2], 1e-6);
    return true;
  }

  /** Zoom and shift so that the joints of up to FIT_FRAMES frames, as now seen, fill FILL of the canvas. */
  private fitScreen(data: Float32Array, bodies: number): void {
    this.fitted = { data, bodies };
    const J = this.parents.length;
    const frameValues = bodies * J * 3;
    if (J === 0 || frameValues === 0) return;
    const T = Math.floor(data.length / frameValues);
    const step = Math.max(1, Math.floor(T / FIT_FRAMES));
    const [zoom, shift] = [this.zoom, this.shift];
    this.zoom = 1;
    this.shift = [0, 0];
    const p = this.floor;
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let t = 0; t < T; t += step) {
      for (let j = 0; j < bodies * J; j++) {
        const at = t * frameValues + j * 3;
        if (data[at] === 0 && data[at + 1] === 0 && data[at + 2] === 0) continue;
        this.project(data[at], data[at + 1], data[at + 2], p, 0);
        [x0, x1, y0, y1] = [Math.min(x0, p[0]), Math.max(x1, p[0]), Math.min(y0, p[1]), Math.max(y1, p[1])];
      }
    }
    const { width: W, height: H } = this.size;
    if (!Number.isFinite(x0) || x1 - x0 < 1e-6 || y1 - y0 < 1e-6) {
      [this.zoom, this.shift] = [zoom, shift];
      return;
    }
    this.zoom = Math.min((FILL * W) / (x1 - x0), (FILL * H) / (y1 - y0));
    // Screen points are centre + zoom * (point - centre) + shift: move the box's middle to the centre.
    this.shift = [-this.zoom * ((x0 + x1) / 2 - W / 2), -this.zoom * ((y0 + y1) / 2 - H / 2)];
  }

  private setParents(parents: readonly number[]): void {
    this.parents = parents;
    this.bones = parents.map((p, j): [number, number] => [j, p]).filter(([, p]) => p >= 0);
    this.pts = new Float32Array(parents.length * 3);
  }

  /** Draws the frame at data[at ..] with `bodies` bodies of J = parents.length joints. */
  draw(data: Float32Array, at: number, bodies: number): void {
    if (!this.fitted) {
      // A live source: its first frame sets the view.
      const frame = data.subarray(at, at + bodies * this.parents.length * 3);
      if (this.fitCentre(frame)) this.fitScreen(frame.slice(), bodies);
    }
    this.last = { data, at, bodies };
    const { ctx } = this;
    const { width: W, height: H } = this.size;
    ctx.clearRect(0, 0, W, H);
    this.drawFloor();
    const J = this.parents.length;
    const pts = this.pts;
    const bones = this.bones;
    for (let b = 0; b < bodies; b++) {
      const base = at + b * J * 3;
      let present = false;
      for (let k = 0; k < J * 3; k++) if (data[base + k] !== 0) present = true;
      if (!present) continue;
      for (let j = 0; j < J; j++)
        this.project(data[base + j * 3], data[base + j * 3 + 1], data[base + j * 3 + 2], pts, j);
      const colour = BODY_COLOURS[b % BODY_COLOURS.length];
      ctx.strokeStyle = colour;
      ctx.fillStyle = colour;
      ctx.lineWidth = 3;
      ctx.setLineDash(b % 2 === 1 ? [6, 3] : []);
      bones.sort((x, y) => pts[y[0] * 3 + 2] - pts[x[0] * 3 + 2]); // far first
      for (const [j, p] of bones) {
        ctx.beginPath();
        ctx.moveTo(pts[j * 3], pts[j * 3 + 1]);
        ctx.lineTo(pts[p * 3], pts[p * 3 + 1]);
        ctx.stroke();
      }
      ctx.setLineDash([]);
      for (let j = 0; j < J; j++) {
        ctx.beginPath();
        ctx.arc(pts[j * 3], pts[j * 3 + 1], 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }

  /** Screen x, y and depth of a camera-space point (x right, y up, z away from the camera). */
  private project(x: number, y: number, z: number, out: Float32Array, j: number): void {
    const [cx, cy, cz] = this.centre;
    // Look at the centre from the camera's side (the camera looks down +z): turn about the vertical axis, then tilt.
    let dx = (x - cx) / this.scale;
    const dy = (y - cy) / this.scale;
    let dz = (z - cz) / this.scale;
    const cyaw = Math.cos(this.yaw);
    const syaw = Math.sin(this.yaw);
    [dx, dz] = [cyaw * dx - syaw * dz, syaw * dx + cyaw * dz];
    const cp = Math.cos(this.pitch);
    const sp = Math.sin(this.pitch);
    const ry = cp * dy - sp * dz;
    const rz = sp * dy + cp * dz;
    const f = 2.5 / (2.5 + rz);
    const { width: W, height: H } = this.size;
    const size = Math.min(W, H) * 0.8;
    out[j * 3] = W / 2 + this.zoom * -dx * f * size + this.shift[0];
    out[j * 3 + 1] = H / 2 + this.zoom * -ry * f * size + this.shift[1];
    out[j * 3 + 2] = rz;
  }

  private drawFloor(): void {
    const { ctx } = this;
    const [cx, cy, cz] = this.centre;
    const y = cy - this.scale / 2;
    const p = this.floor;
    const r = this.scale * 0.8;
    ctx.strokeStyle = '#cbd5e0';
    ctx.lineWidth = 1;
    for (let k = -2; k <= 2; k++) {
      const o = (k / 2) * r;
      this.project(cx + o, y, cz - r, p, 0);
      this.project(cx + o, y, cz + r, p, 1);
      this.project(cx - r, y, cz + o, p, 2);
      this.project(cx + r, y, cz + o, p, 3);
      ctx.beginPath();
      ctx.moveTo(p[0], p[1]);
      ctx.lineTo(p[3], p[4]);
      ctx.moveTo(p[6], p[7]);
      ctx.lineTo(p[9], p[10]);
      ctx.stroke();
    }
  }
}

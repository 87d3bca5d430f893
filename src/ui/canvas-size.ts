// A canvas drawn at the size it has on the screen: its bitmap follows its box (times the screen's pixel
// ratio), so text and lines are sharp and keep their size on a phone as on a desktop, instead of a fixed
// bitmap scaled down with everything in it. Drawing code works in CSS pixels (`size`).

export interface CanvasSize {
  /** CSS pixels. */
  width: number;
  height: number;
  /** Device pixels per CSS pixel. */
  ratio: number;
}

/**
 * Watches `canvas`'s box: on a change of size (and now) resizes its bitmap and calls `redraw`. The context's
 * transform is set so that one unit is one CSS pixel. A hidden canvas (no box) keeps its bitmap.
 */
export function trackCanvasSize(canvas: HTMLCanvasElement, redraw: (size: CanvasSize) => void): void {
  let size: CanvasSize = { width: canvas.width, height: canvas.height, ratio: 1 };
  const apply = () => {
    // The content box (without the border): what the bitmap is stretched over.
    const [cw, ch] = [canvas.clientWidth, canvas.clientHeight];
    if (cw === 0 || ch === 0) return;
    const ratio = window.devicePixelRatio || 1;
    const w = Math.round(cw * ratio);
    const h = Math.round(ch * ratio);
    if (w === canvas.width && h === canvas.height && ratio === size.ratio) return;
    canvas.width = w;
    canvas.height = h;
    size = { width: w / ratio, height: h / ratio, ratio };
    canvas.getContext('2d')?.setTransform(ratio, 0, 0, ratio, 0, 0);
    redraw(size);
  };
  new ResizeObserver(apply).observe(canvas);
  apply();
}

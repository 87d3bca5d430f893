// Figures of online action detection on untrimmed recordings (indrnn eval --detection; docs/streaming.md,
// "What the detection figures mean"):
//  - frame accuracy: the fraction of source frames whose class (an action or background) is right;
//  - mAP at IoU thresholds, PKU-MMD's protocol: per class, the detections of every recording ranked by
//    confidence; a detection is a true positive when its IoU with a not yet matched true instance of its
//    class in the same recording reaches the threshold; AP = the mean, over the class's true instances, of
//    the precision at the rank where each is found (0 for those never found); mAP = the mean over classes;
//  - start delay: for each true instance, the first detection of its class overlapping it; delay = the
//    frame at which that detection was announced minus the true first frame (instances with none are
//    counted as missed);
//  - false starts per minute of no action: detections that overlap no true instance of their class,
//    divided by the minutes of background frames.
// Frames are source frames; intervals include both ends.

export interface TrueInterval {
  index: number;
  startFrame: number;
  endFrame: number;
}

export interface Detection extends TrueInterval {
  probability: number;
  /** The frame at which the start was announced (a stream's start event). */
  announcedFrame: number;
}

export interface RecordingResult {
  /** True class per source frame [T] (the background index between actions). */
  truth: Int32Array;
  /** Predicted class per source frame [T]. */
  predicted: Int32Array;
  detections: Detection[];
}

export interface DetectionFigures {
  recordings: number;
  frames: number;
  frameAccuracy: number;
  /** IoU threshold -> mAP. */
  mAP: Record<string, number>;
  /** IoU threshold -> class -> AP (classes with true instances). */
  apPerClass: Record<string, Record<string, number>>;
  trueInstances: number;
  detections: number;
  /** Mean start delay over detected instances, frames; null when none was detected. */
  meanStartDelayFrames: number | null;
  medianStartDelayFrames: number | null;
  /** True instances with an overlapping detection of their class. */
  detectedInstances: number;
  falseStarts: number;
  backgroundMinutes: number;
  falseStartsPerMinute: number | null;
}

/** The runs of one class other than `background` in per-frame labels [T]. */
export function trueIntervals(labels: Int32Array, background: number): TrueInterval[] {
  const out: TrueInterval[] = [];
  for (let t = 0; t < labels.length; ) {
    const c = labels[t];
    let e = t;
    while (e + 1 < labels.length && labels[e + 1] === c) e++;
    if (c !== background && c >= 0) out.push({ index: c, startFrame: t, endFrame: e });
    t = e + 1;
  }
  return out;
}

export function iou(a: TrueInterval, b: TrueInterval): number {
  const inter = Math.min(a.endFrame, b.endFrame) - Math.max(a.startFrame, b.startFrame) + 1;
  if (inter <= 0) return 0;
  const union = a.endFrame - a.startFrame + 1 + (b.endFrame - b.startFrame + 1) - inter;
  return inter / union;
}

const overlaps = (a: TrueInterval, b: TrueInterval) =>
  a.index === b.index && Math.min(a.endFrame, b.endFrame) >= Math.max(a.startFrame, b.startFrame);

/** AP of one class at one IoU threshold over all recordings. */
function averagePrecision(truths: TrueInterval[][], dets: Detection[][], cls: number, threshold: number): number {
  const gt = truths.map((list) => list.filter((g) => g.index === cls));
  const npos = gt.reduce((n, l) => n + l.length, 0);
  if (npos === 0) return Number.NaN;
  const ranked = dets
    .flatMap((list, r) => list.filter((d) => d.index === cls).map((d) => ({ d, r })))
    .sort((a, b) => b.d.probability - a.d.probability);
  const used = gt.map((l) => new Uint8Array(l.length));
  let tp = 0;
  let sum = 0;
  ranked.forEach(({ d, r }, rank) => {
    let best = -1;
    let bestIou = threshold;
    gt[r].forEach((g, k) => {
      const v = iou(d, g);
      if (!used[r][k] && v >= bestIou) {
        best = k;
        bestIou = v;
      }
    });
    if (best >= 0) {
      used[r][best] = 1;
      tp++;
      sum += tp / (rank + 1);
    }
  });
  return sum / npos;
}

export function detectionFigures(
  results: RecordingResult[],
  labels: readonly string[],
  background: number,
  fps: number,
  thresholds: readonly number[] = [0.1, 0.3, 0.5],
): DetectionFigures {
  let frames = 0;
  let right = 0;
  let backgroundFrames = 0;
  for (const r of results) {
    frames += r.truth.length;
    for (let t = 0; t < r.truth.length; t++) {
      if (r.truth[t] === r.predicted[t]) right++;
      if (r.truth[t] === background) backgroundFrames++;
    }
  }
  const truths = results.map((r) => trueIntervals(r.truth, background));
  const dets = results.map((r) => r.detections);
  const classes = labels
    .map((_, c) => c)
    .filter((c) => c !== background && truths.some((l) => l.some((g) => g.index === c)));
  const mAP: Record<string, number> = {};
  const apPerClass: Record<string, Record<string, number>> = {};
  for (const th of thresholds) {
    const aps = classes.map((c) => averagePrecision(truths, dets, c, th));
    mAP[String(th)] = aps.reduce((a, b) => a + b, 0) / Math.max(1, aps.length);
    apPerClass[String(th)] = Object.fromEntries(classes.map((c, i) => [labels[c], aps[i]]));
  }
  const delays: number[] = [];
  let falseStarts = 0;
  results.forEach((_, r) => {
    for (const g of truths[r]) {
      const first = dets[r].filter((d) => overlaps(d, g)).sort((a, b) => a.announcedFrame - b.announcedFrame)[0];
      if (first) delays.push(first.announcedFrame - g.startFrame);
    }
    for (const d of dets[r]) if (!truths[r].some((g) => overlaps(d, g))) falseStarts++;
  });
  const sorted = [...delays].sort((a, b) => a - b);
  const backgroundMinutes = backgroundFrames / fps / 60;
  return {
    recordings: results.length,
    frames,
    frameAccuracy: frames ? right / frames : Number.NaN,
    mAP,
    apPerClass,
    trueInstances: truths.reduce((n, l) => n + l.length, 0),
    detections: dets.reduce((n, l) => n + l.length, 0),
    meanStartDelayFrames: delays.length ? delays.reduce((a, b) => a + b, 0) / delays.length : null,
    medianStartDelayFrames: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null,
    detectedInstances: delays.length,
    falseStarts,
    backgroundMinutes,
    falseStartsPerMinute: backgroundMinutes > 0 ? falseStarts / backgroundMinutes : null,
  };
}

// Losses: each returns the mean loss and its gradient with respect to the network output.

export interface LossResult {
  loss: number;
  grad: Float32Array; // same shape as the output
  /** Classification only: rows whose argmax equals the target (ignored rows excluded). */
  correct?: number;
  /** Rows that count (targets < 0 are ignored, e.g. unlabelled frames of a stream). */
  count: number;
}

/** Softmax cross-entropy, mean over counted rows. logits[N, K], targets[N] (class index, or -1 to ignore). */
export function softmaxCrossEntropy(logits: Float32Array, targets: Int32Array, N: number, K: number): LossResult {
  if (logits.length !== N * K) throw new RangeError(`logits have ${logits.length} values, expected N*K = ${N}*${K}`);
  if (targets.length !== N) throw new RangeError(`targets have ${targets.length} values, expected N = ${N}`);
  const grad = new Float32Array(N * K);
  let count = 0;
  for (let r = 0; r < N; r++) if (targets[r] >= 0) count++;
  let loss = 0;
  let correct = 0;
  const probs = new Float64Array(K);
  for (let r = 0; r < N; r++) {
    const y = targets[r];
    if (y < 0) continue;
    if (y >= K) throw new RangeError(`target ${y} at row ${r} is out of range for ${K} classes`);
    const row = r * K;
    let max = -Infinity;
    let arg = 0;
    for (let k = 0; k < K; k++) {
      if (logits[row + k] > max) {
        max = logits[row + k];
        arg = k;
      }
    }
    let sum = 0;
    for (let k = 0; k < K; k++) {
      probs[k] = Math.exp(logits[row + k] - max);
      sum += probs[k];
    }
    loss += Math.log(sum) - (logits[row + y] - max);
    if (arg === y) correct++;
    for (let k = 0; k < K; k++) grad[row + k] = (probs[k] / sum - (k === y ? 1 : 0)) / count;
  }
  return { loss: count > 0 ? loss / count : 0, grad, correct, count };
}

/** Mean squared error over N values: pred[N], target[N]. */
export function meanSquaredError(pred: Float32Array, target: Float32Array): LossResult {
  const N = pred.length;
  if (target.length !== N) throw new RangeError(`targets have ${target.length} values, expected ${N}`);
  const grad = new Float32Array(N);
  let loss = 0;
  for (let i = 0; i < N; i++) {
    const d = pred[i] - target[i];
    loss += d * d;
    grad[i] = (2 * d) / N;
  }
  return { loss: N > 0 ? loss / N : 0, grad, count: N };
}

/** Row-wise softmax in place: x[N, K]. */
export function softmaxRows(x: Float32Array, N: number, K: number): Float32Array {
  for (let r = 0; r < N; r++) {
    const row = r * K;
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, x[row + k]);
    let sum = 0;
    for (let k = 0; k < K; k++) {
      x[row + k] = Math.exp(x[row + k] - max);
      sum += x[row + k];
    }
    for (let k = 0; k < K; k++) x[row + k] /= sum;
  }
  return x;
}

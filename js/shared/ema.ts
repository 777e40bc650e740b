// TensorBoard's smoothing: an exponential moving average debiased for its zero start, so the
// first points aren't dragged towards 0. Non-finite values are passed through and skipped.

export function ema(values: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(values.length);
  const w = Math.min(Math.max(weight, 0), 0.999999);
  let last = 0;
  let count = 0;
  let first: number | null = null;
  let constant = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    if (first === null) first = v;
    else if (v !== first) constant = false;
    last = last * w + (1 - w) * v;
    count++;
    out[i] = last / (1 - w ** count);
  }
  // A constant series stays exactly constant (the debias division leaves float noise).
  if (constant && first !== null) {
    for (let i = 0; i < out.length; i++) if (Number.isFinite(out[i])) out[i] = first;
  }
  return out;
}

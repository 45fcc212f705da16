/**
 * Gradient checking by central finite differences (test helper).
 *
 * The function under test builds a tensor y from the inputs on a tape. The checked scalar is
 * L = Σ_i y_i·r_i with a fixed random r, summed in f64 from the f32 outputs, so every output
 * element's gradient path is exercised. Analytic gradients come from the tape (seed dL/dy = r);
 * numeric ones from (L(x+h) − L(x−h)) / 2h with the forward recomputed in f32.
 *
 * Error per element: |analytic − numeric| / max(|analytic|, |numeric|, floor), floor =
 * 1e-3 · max |analytic| over the same input (so near-zero entries are judged against the
 * tensor's scale, not against themselves). What to expect: f32 rounding perturbs L by about
 * 2⁻²⁴·Σ|y_i r_i|, which becomes a derivative error of that divided by h; the central
 * difference's truncation error is O(h²·f'''). With inputs of order 1 and h = 1e-2 both are
 * ~1e-4 relative on these small problems, so a max relative error below 1e-2 means the backward
 * is right, and a wrong backward shows up as O(1).
 *
 * For deep compositions (the whole model) the f32 noise of L matters more, so `fourPoint` uses
 * the fourth-order stencil f' ≈ (4·D(h) − D(2h)) / 3 with D(h) = (L(x+h) − L(x−h)) / 2h
 * (Richardson extrapolation): truncation O(h⁴) lets h be larger, which divides the noise.
 */
import type { Kernels } from "../../src/kernels/api.js";
import { Tape } from "../../src/tensor/tape.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { mulberry32 } from "../../src/util/mulberry32.js";

/** A seeded uniform [0,1) generator (mulberry32). */
export const rng: (seed: number) => () => number = mulberry32;

/** A parameter-like tensor (requiresGrad, own zeroed grad) filled with uniform values in [lo, hi). */
export function randTensor(shape: number[], r: () => number, lo = -1, hi = 1, name?: string): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = lo + (hi - lo) * r();
  const t = new Tensor(d, shape, true, name);
  t.grad = new Float32Array(n);
  return t;
}

export interface GradCheckResult {
  /** Largest relative error over all checked elements (see file comment). */
  maxRelErr: number;
  /** Largest absolute error. */
  maxAbsErr: number;
  /**
   * Largest per-input scaled error: max |analytic − numeric| over an input's elements divided by
   * max |analytic| over the same input (a norm-wise measure, insensitive to tiny entries).
   */
  maxScaledErr: number;
  /** Largest |analytic gradient| seen. */
  maxGrad: number;
  /** Elements checked. */
  checked: number;
}

/** Σ y·r in f64. */
function weighted(y: Tensor, r: Float64Array): number {
  let s = 0;
  for (let i = 0; i < y.size; i++) s += y.data[i]! * r[i]!;
  return s;
}

/**
 * Checks the gradients of every element of `inputs` (or `maxPerInput` random ones per input).
 * `build` must create its output from the inputs on the given tape; it is run once with
 * gradients and twice per checked element without.
 */
export function gradCheck(
  k: Kernels, build: (tape: Tape) => Tensor, inputs: Tensor[],
  opts: { h?: number; seed?: number; maxPerInput?: number; scalar?: boolean; fourPoint?: boolean } = {},
): GradCheckResult {
  const h = opts.h ?? 1e-2;
  const fourPoint = opts.fourPoint ?? false;
  const r = rng(opts.seed ?? 1234);
  for (const t of inputs) t.grad!.fill(0);
  const tape = new Tape(k);
  const y = build(tape);
  const w = new Float64Array(y.size);
  if (opts.scalar) w[0] = 1;
  else for (let i = 0; i < y.size; i++) w[i] = 2 * r() - 1;
  // seed dL/dy = w, then run the tape (backward() wants a scalar: feed it through a unit seed)
  const seedT = tape.tensor([1], true);
  seedT.data[0] = weighted(y, w);
  tape.record(() => {
    const gy = tape.grad(y);
    const s = seedT.grad![0]!;
    for (let i = 0; i < y.size; i++) gy[i] = gy[i]! + s * w[i]!;
  });
  tape.backward(seedT);
  tape.reset();

  const evalL = (): number => {
    const t2 = new Tape(k);
    t2.gradEnabled = false;
    const v = weighted(build(t2), w);
    t2.reset();
    return v;
  };
  let maxRel = 0, maxAbs = 0, maxGrad = 0, maxScaled = 0, checked = 0;
  for (const t of inputs) {
    const g = Float64Array.from(t.grad!);
    let scale = 0;
    for (const v of g) scale = Math.max(scale, Math.abs(v));
    maxGrad = Math.max(maxGrad, scale);
    const idx: number[] = [];
    if (opts.maxPerInput !== undefined && opts.maxPerInput < t.size) {
      for (let j = 0; j < opts.maxPerInput; j++) idx.push(Math.floor(r() * t.size));
    } else for (let j = 0; j < t.size; j++) idx.push(j);
    let inputAbs = 0;
    for (const i of idx) {
      const v = t.data[i]!;
      // L at v + m·h, with the step actually taken in f32
      const at = (m: number): [number, number] => {
        t.data[i] = v + m * h;
        const step = t.data[i]! - v;
        const l = evalL();
        t.data[i] = v;
        return [l, step];
      };
      let num: number;
      if (fourPoint) {
        const [l1, s1] = at(1), [lm1, sm1] = at(-1), [l2, s2] = at(2), [lm2, sm2] = at(-2);
        // (8(L(h) − L(−h)) − (L(2h) − L(−2h))) / 12h; exact steps differ from m·h only by f32 rounding
        const d1 = (l1 - lm1) / (s1 - sm1), d2 = (l2 - lm2) / (s2 - sm2);
        num = (4 * d1 - d2) / 3;
      } else {
        const [lp, sp] = at(1), [lm, sm] = at(-1);
        num = (lp - lm) / (sp - sm);
      }
      const a = g[i]!;
      const abs = Math.abs(a - num);
      const rel = abs / Math.max(Math.abs(a), Math.abs(num), 1e-3 * scale, 1e-30);
      maxAbs = Math.max(maxAbs, abs);
      inputAbs = Math.max(inputAbs, abs);
      maxRel = Math.max(maxRel, rel);
      checked++;
    }
    if (scale > 0) maxScaled = Math.max(maxScaled, inputAbs / scale);
  }
  return { maxRelErr: maxRel, maxAbsErr: maxAbs, maxScaledErr: maxScaled, maxGrad, checked };
}

/**
 * The scale searches shared by the K-quant quantizers, ported operation by operation from
 * ggml/src/ggml-quants.c (`make_qx_quants`, `make_q3_quants`, `make_qkx2_quants`). They are
 * deterministic but sensitive: every float32 operation is rounded with `f32` in C source order, loops
 * run in the same order, and comparisons keep C's strict `<` / `>` so ties pick the same candidate.
 * Arrays are addressed by (array, offset) pairs so that no view is allocated per block.
 */
import { f32, nearestInt } from "./rounding.js";

/** ggml's GROUP_MAX_EPS (1e-15f): a group whose largest magnitude is below it is treated as all zero. */
export const GROUP_MAX_EPS = Math.fround(1e-15);

const F01 = Math.fround(0.1);

/**
 * The opening scan of `make_qx_quants` / `make_q3_quants`: the signed value of largest magnitude in
 * x[xo..xo+n) (the first one on ties, NaN never chosen). When that magnitude is below GROUP_MAX_EPS
 * the group counts as all zero: L[lo..lo+n) is zeroed and 0 is returned (a real maximum is never 0).
 */
function groupSignedMax(n: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]!);
    if (ax > amax) { amax = ax; max = x[xo + i]!; }
  }
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    return 0;
  }
  return max;
}

/**
 * `make_qx_quants(n, nmax, x, L, rmse_type = 1, qw = NULL)`: symmetric quantization of x[xo..xo+n)
 * to integers in [-nmax, nmax-1], stored in L[lo..lo+n) offset by +nmax. Tries the scale -nmax/max and
 * 18 nearby candidates, keeping the best weighted (w = x^2) least-squares fit. Returns the scale
 * (0 for an all-zero group). Only the rmse_type = 1 path (used by Q6_K) is implemented; n <= 32.
 */
export function makeQxQuants(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number {
  const max = groupSignedMax(n, x, xo, L, lo);
  if (max === 0) return 0;
  const cand = candidate;
  let iscale = f32(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xo + i]!;
    const l = clampedNearestSym(f32(iscale * xi), nmax);
    cand[i] = l;
    L[lo + i] = l + nmax;
    const w = f32(xi * xi);
    sumlx = f32(sumlx + f32(f32(w * xi) * l));
    suml2 = f32(suml2 + f32(f32(w * l) * l));
  }
  let scale = suml2 !== 0 ? f32(sumlx / suml2) : 0;
  let best = f32(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = f32(-f32(nmax + f32(F01 * is)) / max);
    // A candidate with the same quants as the previous one has the same sums, and accepting it again
    // would leave L, scale and best unchanged, so it is skipped (exact).
    let changed = false;
    for (let i = 0; i < n; i++) {
      const l = clampedNearestSym(f32(iscale * x[xo + i]!), nmax);
      if (cand[i] !== l) { cand[i] = l; changed = true; }
    }
    if (!changed) continue;
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xo + i]!;
      const l = cand[i]!;
      const w = f32(xi * xi);
      sumlx = f32(sumlx + f32(f32(w * xi) * l));
      suml2 = f32(suml2 + f32(f32(w * l) * l));
    }
    if (suml2 > 0 && f32(sumlx * sumlx) > f32(best * suml2)) {
      for (let i = 0; i < n; i++) L[lo + i] = nmax + cand[i]!;
      scale = f32(sumlx / suml2);
      best = f32(scale * sumlx);
    }
  }
  return scale;
}

/** Scratch: the quants of the candidate scale being tried (groups of at most 32). */
const candidate = new Int8Array(32);

/** nearest_int(v) clamped to [-nmax, nmax-1]; `v` is a float32 value. */
function clampedNearestSym(v: number, nmax: number): number {
  const t = Math.fround(v + 12582912);
  const l = t >= 8388608 && t < 16777216 ? t - 12582912 : nearestInt(v);
  return l < -nmax ? -nmax : l > nmax - 1 ? nmax - 1 : l;
}

/**
 * `make_q3_quants(n, nmax, x, L, do_rmse = true)`: symmetric quantization to [-nmax, nmax-1] followed
 * by up to 5 rounds of coordinate descent on each L[i] (weights x^2). L[lo..lo+n) gets the values
 * offset by +nmax. Returns the least-squares scale (0 for an all-zero group). Used by Q3_K.
 */
export function makeQ3Quants(n: number, nmax: number, x: Float32Array, xo: number, L: Int8Array, lo: number): number {
  const max = groupSignedMax(n, x, xo, L, lo);
  if (max === 0) return 0;
  const iscale = f32(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xo + i]!;
    let l = nearestInt(f32(iscale * xi));
    l = Math.max(-nmax, Math.min(nmax - 1, l));
    L[lo + i] = l;
    const w = f32(xi * xi);
    sumlx = f32(sumlx + f32(f32(w * xi) * l));
    suml2 = f32(suml2 + f32(f32(w * l) * l));
  }
  for (let itry = 0; itry < 5; itry++) {
    let nChanged = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xo + i]!;
      const li = L[lo + i]!;
      const w = f32(xi * xi);
      let slx = f32(sumlx - f32(f32(w * xi) * li));
      if (slx > 0) {
        let sl2 = f32(suml2 - f32(f32(w * li) * li));
        let newL = nearestInt(f32(f32(xi * sl2) / slx));
        newL = Math.max(-nmax, Math.min(nmax - 1, newL));
        if (newL !== li) {
          slx = f32(slx + f32(f32(w * xi) * newL));
          sl2 = f32(sl2 + f32(f32(w * newL) * newL));
          if (sl2 > 0 && f32(f32(slx * slx) * suml2) > f32(f32(sumlx * sumlx) * sl2)) {
            L[lo + i] = newL;
            sumlx = slx;
            suml2 = sl2;
            nChanged++;
          }
        }
      }
    }
    if (nChanged === 0) break;
  }
  for (let i = 0; i < n; i++) L[lo + i] = L[lo + i]! + nmax;
  return suml2 > 0 ? f32(sumlx / suml2) : 0;
}

/** Scratch for `makeQkx2Quants` (groups of at most 32): the group's x, and x - min. */
const xs = new Float32Array(32);
const xMinusMin = new Float32Array(32);

/** nearest_int(v) clamped to [0, nmax]; `v` is a float32 value. */
function clampedNearest(v: number, nmax: number): number {
  const t = Math.fround(v + 12582912);
  const l = t >= 8388608 && t < 16777216 ? t - 12582912 : nearestInt(v);
  return l < 0 ? 0 : l > nmax ? nmax : l;
}

/**
 * `make_qkx2_quants`: asymmetric quantization x ~ scale * L - min with L in [0, nmax], searching
 * nstep+1 candidate inverse scales (rmin + rdelta*is + nmax)/(max - min) and refitting scale and min
 * by weighted least squares; the error is weighted |diff| (useMad) or diff^2. Reads x[xo..xo+n) and
 * weights[0..n) (n <= 32), writes L[lo..lo+n) (Laux is scratch of length >= n), stores the positive
 * min (= -min) in mins[mi] and returns the scale. Used by Q2_K, Q4_K, Q5_K.
 *
 * As in ggml, `min` is replaced by each better fit, and later candidates are measured from it.
 * One shortcut, exact by construction: a candidate whose quants equal the previous candidate's has
 * the same sums, fit and error, so it cannot beat the best and its fit is not evaluated.
 */
export function makeQkx2Quants(
  n: number, nmax: number, x: Float32Array, xo: number, weights: Float32Array,
  L: Uint8Array, lo: number, mins: Float32Array, mi: number, Laux: Uint8Array,
  rmin: number, rdelta: number, nstep: number, useMad: boolean,
): number {
  for (let i = 0; i < n; i++) xs[i] = x[xo + i]!;
  let min = xs[0]!;
  let max = xs[0]!;
  let sumW = weights[0]!;
  let sumX = f32(sumW * xs[0]!);
  for (let i = 1; i < n; i++) {
    const xi = xs[i]!;
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    const w = weights[i]!;
    sumW = f32(sumW + w);
    sumX = f32(sumX + f32(w * xi));
  }
  if (min > 0) min = 0;
  if (max === min) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    mins[mi] = -min;
    return 0;
  }
  const xm = xMinusMin;
  for (let i = 0; i < n; i++) xm[i] = xs[i]! - min;
  let iscale = f32(nmax / f32(max - min));
  let scale = f32(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = clampedNearest(f32(iscale * xm[i]!), nmax);
    L[lo + i] = l;
    let diff = f32(f32(f32(scale * l) + min) - xs[i]!);
    diff = useMad ? Math.abs(diff) : f32(diff * diff);
    bestError = f32(bestError + f32(weights[i]! * diff));
  }
  if (nstep < 1) {
    mins[mi] = -min;
    return scale;
  }
  for (let is = 0; is <= nstep; is++) {
    iscale = f32(f32(f32(rmin + f32(rdelta * is)) + nmax) / f32(max - min));
    let changed = is === 0;
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = clampedNearest(f32(iscale * xm[i]!), nmax);
      if (Laux[i] !== l) { Laux[i] = l; changed = true; }
      const wl = f32(weights[i]! * l);
      sumL = f32(sumL + wl);
      sumL2 = f32(sumL2 + f32(wl * l));
      sumXL = f32(sumXL + f32(wl * xs[i]!));
    }
    if (!changed) continue;
    const D = f32(f32(sumW * sumL2) - f32(sumL * sumL));
    if (D > 0) {
      let thisScale = f32(f32(f32(sumW * sumXL) - f32(sumX * sumL)) / D);
      let thisMin = f32(f32(f32(sumL2 * sumX) - f32(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f32(sumXL / sumL2);
      }
      let curError = 0;
      if (useMad) {
        for (let i = 0; i < n; i++) {
          const diff = f32(f32(f32(thisScale * Laux[i]!) + thisMin) - xs[i]!);
          curError = f32(curError + f32(weights[i]! * Math.abs(diff)));
        }
      } else {
        for (let i = 0; i < n; i++) {
          const diff = f32(f32(f32(thisScale * Laux[i]!) + thisMin) - xs[i]!);
          curError = f32(curError + f32(weights[i]! * f32(diff * diff)));
        }
      }
      if (curError < bestError) {
        for (let i = 0; i < n; i++) L[lo + i] = Laux[i]!;
        bestError = curError;
        scale = thisScale;
        if (thisMin !== min) {
          min = thisMin;
          for (let i = 0; i < n; i++) xm[i] = xs[i]! - min;
        }
      }
    }
  }
  mins[mi] = -min;
  return scale;
}

// Activation quantization before a quantized mat-mul (ggml's vec_dot_type of the weight):
// Q8_0 for Q8_0/Q4_0 weights, Q8_K for K-quants, f16 rounding for F16 weights. The quantized
// values are the reference's (src/kernels/ref/quantize-act.ts) bit for bit; only the memory
// layout is ours, chosen for the dot-product kernels that read it.
import { chunk_first, chunk_next, f32_to_half, half_to_f32, hsum_i32 } from "./common";

// ---------------------------------------------------------------------------------------------
// Q8_0 activation rows, `stride` bytes apart: i16 qs[nbq*32] | f32 d[nbq] | i32 sum[nbq]
// (d = the fp16-rounded block scale, sum = Σ qs of the block). The quants are stored widened
// to i16 so that the dot kernels feed them to i32x4.dot_i16x8_s straight from memory. `layout`
// orders them within a block (quant.ts / qgemm.ts say which kernel reads which):
//   0  byte order: e at (e & 16) | ((e & 1) << 3) | ((e & 15) >> 1): per 16 elements the even
//      ones, then the odd ones, the order in which 8-bit quants come out of 16-bit lanes by
//      shifts (Q8_0 mat-vec, quant.ts)
//   1  nibble order: e at ((e & 1) << 4) | ((e >> 4) << 3) | ((e & 15) >> 1), the order in which
//      4-bit quants come out of 16-bit lanes (Q4_0 mat-vec, quant.ts)
//   2  interleaved groups of 4 blocks: element e of block j of group g at g*128 + 8*(e >> 1) +
//      2*j + (e & 1), so that lane j of an i32x4.dot_i16x8_s holds block j (qgemm.ts). nbq is
//      nb rounded up to a multiple of 4; the padding blocks have qs = 0 and d = 0.
// For layouts 0 and 1 nbq = nb.
// Layouts 3 and 4 keep the quants as i8 (qs takes nbq*32 bytes) for the relaxed-SIMD kernels,
// which multiply i8 by 7-bit values with i16x8.relaxed_dot_i8x16_i7x16_s:
//   3  natural order (Q4_0 mat-vec)
//   4  interleaved groups of 4 blocks: element e of block j of group g at g*128 + 16*(e >> 2) +
//      4*j + (e & 3), so that lane j of the i32 sums holds block j (qgemm.ts); padded like 2.
// ---------------------------------------------------------------------------------------------

/** Rounds each lane to the nearest integer, exact .5 ties away from zero (C roundf). */
// @ts-ignore: decorator
@inline function round_away(v: v128): v128 {
  const t = f32x4.trunc(v);
  const up = f32x4.ge(f32x4.abs(f32x4.sub(v, t)), f32x4.splat(0.5));
  const one = v128.or(v128.and(v, i32x4.splat(0x80000000)), f32x4.splat(1)); // ±1 with v's sign
  return f32x4.add(t, v128.and(up, one));
}

/** Blocks (of 32) per Q8_0 activation row for `layout`. */
// @ts-ignore: decorator
@inline export function q8_0_act_blocks(n: i32, layout: i32): i32 {
  const nb = n >> 5;
  return layout == 2 || layout == 4 ? (nb + 3) & ~3 : nb;
}

/**
 * Quantizes nTok rows of x ([nTok][n] f32, n a multiple of 32) to Q8_0 (ref quantizeRowQ8_0:
 * d = fp16(amax/127), q = round(x*127/amax), ties away from zero) at dst + t*stride in `layout`
 * (see above). Threads claim tokens.
 */
export function quantize_q8_0(x: usize, n: i32, nTok: i32, dst: usize, stride: i32, layout: i32, ith: i32, nth: i32): void {
  const nb = n >> 5;
  const nbq = q8_0_act_blocks(n, layout);
  for (let t = chunk_first(nth); t < nTok; t = chunk_next(t, nth)) {
    const xr = x + ((<usize>t * <usize>n) << 2);
    const qs = dst + <usize>t * <usize>stride;
    const dp = qs + (<usize>nbq << (layout >= 3 ? 5 : 6));
    const sp = dp + (<usize>nbq << 2);
    for (let b = 0; b < nb; b++) {
      const xb = xr + (<usize>b << 7);
      let m = f32x4.abs(v128.load(xb));
      for (let j = 1; j < 8; j++) m = f32x4.max(m, f32x4.abs(v128.load(xb + (<usize>j << 4))));
      const amax = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
      const d = half_to_f32(f32_to_half(amax / 127));
      const id: f32 = amax != 0 ? <f32>127 / amax : 0;
      const idv = f32x4.splat(id);
      // A0..A3: elements 0-7, 8-15, 16-23, 24-31 as i16
      const A0 = i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(round_away(f32x4.mul(v128.load(xb), idv))), i32x4.trunc_sat_f32x4_s(round_away(f32x4.mul(v128.load(xb, 16), idv))));
      const A1 = i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(round_away(f32x4.mul(v128.load(xb, 32), idv))), i32x4.trunc_sat_f32x4_s(round_away(f32x4.mul(v128.load(xb, 48), idv))));
      const A2 = i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(round_away(f32x4.mul(v128.load(xb, 64), idv))), i32x4.trunc_sat_f32x4_s(round_away(f32x4.mul(v128.load(xb, 80), idv))));
      const A3 = i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(round_away(f32x4.mul(v128.load(xb, 96), idv))), i32x4.trunc_sat_f32x4_s(round_away(f32x4.mul(v128.load(xb, 112), idv))));
      const s16 = i16x8.add(i16x8.add(A0, A1), i16x8.add(A2, A3)); // |Σ| <= 4*127 per lane
      store<i32>(sp + (<usize>b << 2), hsum_i32(i32x4.extadd_pairwise_i16x8_s(s16)));
      store<f32>(dp + (<usize>b << 2), d);
      if (layout <= 1) {
        // even and odd elements of each half block (e0-15, e16-31)
        const o = qs + (<usize>b << 6);
        const ev0 = v128.shuffle<i16>(A0, A1, 0, 2, 4, 6, 8, 10, 12, 14), od0 = v128.shuffle<i16>(A0, A1, 1, 3, 5, 7, 9, 11, 13, 15);
        const ev1 = v128.shuffle<i16>(A2, A3, 0, 2, 4, 6, 8, 10, 12, 14), od1 = v128.shuffle<i16>(A2, A3, 1, 3, 5, 7, 9, 11, 13, 15);
        v128.store(o, ev0);
        v128.store(o, layout == 0 ? od0 : ev1, 16);
        v128.store(o, layout == 0 ? ev1 : od0, 32);
        v128.store(o, od1, 48);
      } else if (layout == 2) {
        store_interleaved(qs + (<usize>(b >> 2) << 8) + (<usize>(b & 3) << 2), A0, A1, A2, A3);
      } else {
        const lo = i8x16.narrow_i16x8_s(A0, A1), hi = i8x16.narrow_i16x8_s(A2, A3);
        if (layout == 3) {
          v128.store(qs + (<usize>b << 5), lo);
          v128.store(qs + (<usize>b << 5), hi, 16);
        } else {
          store_interleaved8(qs + (<usize>(b >> 2) << 7) + (<usize>(b & 3) << 2), lo, hi);
        }
      }
    }
    if (layout == 2 || layout == 4) {
      const z = i32x4.splat(0);
      for (let b = nb; b < nbq; b++) {
        if (layout == 2) store_interleaved(qs + (<usize>(b >> 2) << 8) + (<usize>(b & 3) << 2), z, z, z, z);
        else store_interleaved8(qs + (<usize>(b >> 2) << 7) + (<usize>(b & 3) << 2), z, z);
        store<f32>(dp + (<usize>b << 2), 0);
        store<i32>(sp + (<usize>b << 2), 0);
      }
    }
  }
}

/**
 * Stores one block's 32 i16 values (A0..A3 = elements 0-7, 8-15, 16-23, 24-31) in layout 2:
 * element pair (2s, 2s+1) goes to o + 16*s (o already points at the block's 4-byte column).
 */
// @ts-ignore: decorator
@inline export function store_interleaved(o: usize, A0: v128, A1: v128, A2: v128, A3: v128): void {
  v128.store_lane<i32>(o, A0, 0, 0); v128.store_lane<i32>(o, A0, 1, 16); v128.store_lane<i32>(o, A0, 2, 32); v128.store_lane<i32>(o, A0, 3, 48);
  v128.store_lane<i32>(o, A1, 0, 64); v128.store_lane<i32>(o, A1, 1, 80); v128.store_lane<i32>(o, A1, 2, 96); v128.store_lane<i32>(o, A1, 3, 112);
  v128.store_lane<i32>(o, A2, 0, 128); v128.store_lane<i32>(o, A2, 1, 144); v128.store_lane<i32>(o, A2, 2, 160); v128.store_lane<i32>(o, A2, 3, 176);
  v128.store_lane<i32>(o, A3, 0, 192); v128.store_lane<i32>(o, A3, 1, 208); v128.store_lane<i32>(o, A3, 2, 224); v128.store_lane<i32>(o, A3, 3, 240);
}

/**
 * Stores one block's 32 i8 values (lo = elements 0-15, hi = 16-31) in layout 4: elements
 * 4s..4s+3 go to o + 16*s (o already points at the block's 4-byte column).
 */
// @ts-ignore: decorator
@inline export function store_interleaved8(o: usize, lo: v128, hi: v128): void {
  v128.store_lane<i32>(o, lo, 0, 0); v128.store_lane<i32>(o, lo, 1, 16); v128.store_lane<i32>(o, lo, 2, 32); v128.store_lane<i32>(o, lo, 3, 48);
  v128.store_lane<i32>(o, hi, 0, 64); v128.store_lane<i32>(o, hi, 1, 80); v128.store_lane<i32>(o, hi, 2, 96); v128.store_lane<i32>(o, hi, 3, 112);
}

// Q8_K activation rows (K-quant weights), `stride` bytes apart: qs[n] | f32 d[n/256] |
// i32 bsums[n/16]. layout 0: i16 quants, within each 16 elements the even ones first, then the
// odd ones (as in Q8_0 layout 0), the order in which the K-quant kernels take weights out of
// 16-bit lanes; layout 1 (relaxed-SIMD kernels): i8 quants in natural order.

/** Quantizes nTok rows of x to Q8_K (ggml quantize_row_q8_K_ref) at dst + t*stride in `layout`. Threads claim tokens. */
export function quantize_q8_k(x: usize, n: i32, nTok: i32, dst: usize, stride: i32, layout: i32, ith: i32, nth: i32): void {
  const nb = n >> 8;
  for (let t = chunk_first(nth); t < nTok; t = chunk_next(t, nth)) {
    const xr = x + ((<usize>t * <usize>n) << 2);
    const qs = dst + <usize>t * <usize>stride;
    const dp = qs + (<usize>n << (layout == 0 ? 1 : 0));
    const bs = dp + (<usize>nb << 2);
    for (let b = 0; b < nb; b++) {
      const xb = xr + (<usize>b << 10);
      let amax: f32 = 0, mx: f32 = 0;
      for (let j = 0; j < 256; j++) {
        const v = load<f32>(xb + (<usize>j << 2));
        const a = abs(v);
        if (a > amax) { amax = a; mx = v; }
      }
      const qb = qs + (<usize>b << (layout == 0 ? 9 : 8));
      if (amax == 0) {
        store<f32>(dp + (<usize>b << 2), 0);
        memory.fill(qb, 0, layout == 0 ? 512 : 256);
        for (let g = 0; g < 16; g++) store<i32>(bs + ((<usize>(b * 16 + g)) << 2), 0);
        continue;
      }
      const iscale: f32 = <f32>-127 / mx;
      const iv = f32x4.splat(iscale);
      const lim = i32x4.splat(127);
      for (let g = 0; g < 16; g++) {
        const p = xb + (<usize>(g * 16) << 2);
        const q0 = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(iv, v128.load(p)))), lim);
        const q1 = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(iv, v128.load(p, 16)))), lim);
        const q2 = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(iv, v128.load(p, 32)))), lim);
        const q3 = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(iv, v128.load(p, 48)))), lim);
        store<i32>(bs + ((<usize>(b * 16 + g)) << 2), hsum_i32(i32x4.add(i32x4.add(q0, q1), i32x4.add(q2, q3))));
        const A = i16x8.narrow_i32x4_s(q0, q1), B = i16x8.narrow_i32x4_s(q2, q3);
        if (layout == 0) {
          const o = qb + (<usize>g << 5);
          v128.store(o, v128.shuffle<i16>(A, B, 0, 2, 4, 6, 8, 10, 12, 14));
          v128.store(o, v128.shuffle<i16>(A, B, 1, 3, 5, 7, 9, 11, 13, 15), 16);
        } else {
          v128.store(qb + (<usize>g << 4), i8x16.narrow_i16x8_s(A, B));
        }
      }
      store<f32>(dp + (<usize>b << 2), <f32>1 / iscale);
    }
  }
}

/** Rounds n f32 values to the nearest half and back (the F16 weights' vec_dot_type). */
export function round_f16(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), half_to_f32_full(f32_to_half(load<f32>(x + (<usize>i << 2)))));
}

/**
 * For the F16 mat-vec (quant.ts dot_f16_row): nTok rows of x [nTok][n] rounded to halves
 * and multiplied by 2^112 (exact: a power of two, and |x| <= 65504 keeps it below 2^128), each
 * group of 8 stored as its even elements, then its odd ones; a tail of n % 8 stays in order and
 * unscaled. Rows are n floats apart in `out`.
 */
export function round_f16_scaled(x: usize, out: usize, nTok: i32, n: i32): void {
  const s: f32 = 5.192296858534828e33; // 2^112
  const n8 = n & ~7;
  for (let t = 0; t < nTok; t++) {
    const xr = x + ((<usize>t * <usize>n) << 2), yr = out + ((<usize>t * <usize>n) << 2);
    for (let i = 0; i < n8; i += 8) {
      for (let j = 0; j < 8; j++) {
        const v = half_to_f32_full(f32_to_half(load<f32>(xr + (<usize>(i + j) << 2)))) * s;
        store<f32>(yr + (<usize>(i + ((j & 1) << 2) + (j >> 1)) << 2), v);
      }
    }
    for (let i = n8; i < n; i++) store<f32>(yr + (<usize>i << 2), half_to_f32_full(f32_to_half(load<f32>(xr + (<usize>i << 2)))));
  }
}

/** half -> f32 including inf/NaN (activations may overflow f16). */
function half_to_f32_full(h: u32): f32 {
  if ((h & 0x7c00) == 0x7c00) return reinterpret<f32>(((h & 0x8000) << 16) | 0x7f800000 | ((h & 0x3ff) << 13));
  return half_to_f32(h);
}

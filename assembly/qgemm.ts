// Integer GEMM for Q8_0 / Q4_0 weights over many tokens (prefill): out [nTok][nOut] = act x W^T
// with the same numerics as ref/matmul.ts (exact integer block sums; per block the f32 term
// f32(sumi) * (dw * da) added to lane b%4; result (l0 + l1) + (l2 + l3)), so results are bit
// for bit those of the mat-vec kernels.
//
// Weights are unpacked panel by panel (4 rows) into a per-thread scratch as i16 in the
// interleaved order of act.ts layout 2, so that lane j of an i32x4.dot_i16x8_s belongs to block
// j of a group of 4 blocks: a register tile of 4 rows x 2 tokens accumulates 8 i32x4 over the 16
// steps of a group and then does its f32 step once per group, four blocks at a time.
import { chunk_first, chunk_next, half_to_f32, rdot_i16 } from "./common";
import { q8_0_act_blocks } from "./act";

/** Panel rows. */
const NR: i32 = 4;

/** Bytes of one thread's scratch for rows of n elements: panel qs, panel scales, 8 f32x4 lane sums. */
export function qgemm_scratch_bytes(n: i32): i32 {
  const ng = q8_0_act_blocks(n, 2) >> 2;
  return ng * (16 * NR * 16 + NR * 16) + 128;
}

/**
 * Stores one block's 32 i16 values (A0..A3 = elements 0-7, 8-15, 16-23, 24-31) at o with the
 * element pair (2s, 2s+1) at o + s*stride.
 */
// @ts-ignore: decorator
@inline function store_pairs(o: usize, A0: v128, A1: v128, A2: v128, A3: v128, stride: usize): void {
  v128.store_lane<i32>(o, A0, 0); v128.store_lane<i32>(o + stride, A0, 1); v128.store_lane<i32>(o + 2 * stride, A0, 2); v128.store_lane<i32>(o + 3 * stride, A0, 3);
  const o1 = o + 4 * stride;
  v128.store_lane<i32>(o1, A1, 0); v128.store_lane<i32>(o1 + stride, A1, 1); v128.store_lane<i32>(o1 + 2 * stride, A1, 2); v128.store_lane<i32>(o1 + 3 * stride, A1, 3);
  const o2 = o + 8 * stride;
  v128.store_lane<i32>(o2, A2, 0); v128.store_lane<i32>(o2 + stride, A2, 1); v128.store_lane<i32>(o2 + 2 * stride, A2, 2); v128.store_lane<i32>(o2 + 3 * stride, A2, 3);
  const o3 = o + 12 * stride;
  v128.store_lane<i32>(o3, A3, 0); v128.store_lane<i32>(o3 + stride, A3, 1); v128.store_lane<i32>(o3 + 2 * stride, A3, 2); v128.store_lane<i32>(o3 + 3 * stride, A3, 3);
}

/**
 * Unpacks weight rows [r0, r0 + NR) (rows >= nOut and blocks past nb are zero) into the panel:
 * qs at pq: [g][s][row][8 i16] (the 8 values of step s of group g for each row: pair j from
 * block 4g + j); scales at ps: [g][row] f32x4 (dw of the group's 4 blocks).
 */
function pack_panel(q4: bool, w: usize, rowBytes: i32, nb: i32, nbq: i32, nOut: i32, r0: i32, pq: usize, ps: usize): void {
  const bs: usize = q4 ? 18 : 34;
  const z = i32x4.splat(0);
  for (let r = 0; r < NR; r++) {
    const row = r0 + r;
    const wr = w + <usize>row * <usize>rowBytes;
    for (let b = 0; b < nbq; b++) {
      const o = pq + (<usize>(b >> 2) << 10) + (<usize>r << 4) + (<usize>(b & 3) << 2);
      const so = ps + (<usize>((b >> 2) * NR + r) << 4) + (<usize>(b & 3) << 2);
      if (row >= nOut || b >= nb) {
        store_pairs(o, z, z, z, z, 64);
        store<f32>(so, 0);
        continue;
      }
      const p = wr + <usize>b * bs;
      let A0: v128, A1: v128, A2: v128, A3: v128;
      if (q4) {
        const v = v128.load(p, 2);
        const eight = i8x16.splat(8);
        const lo = i8x16.sub(v128.and(v, i8x16.splat(0x0f)), eight); // elements 0..15
        const hi = i8x16.sub(i8x16.shr_u(v, 4), eight);                // elements 16..31
        A0 = i16x8.extend_low_i8x16_s(lo); A1 = i16x8.extend_high_i8x16_s(lo);
        A2 = i16x8.extend_low_i8x16_s(hi); A3 = i16x8.extend_high_i8x16_s(hi);
      } else {
        A0 = v128.load8x8_s(p, 2); A1 = v128.load8x8_s(p, 10);
        A2 = v128.load8x8_s(p, 18); A3 = v128.load8x8_s(p, 26);
      }
      store_pairs(o, A0, A1, A2, A3, 64);
      store<f32>(so, half_to_f32(load<u16>(p)));
    }
  }
}

/**
 * Relaxed-SIMD build, Q4_0: unpacks rows [r0, r0 + NR) as i8 nibbles (0..15, the 7-bit operand of
 * i16x8.relaxed_dot_i8x16_i7x16_s) in act.ts layout 4 order: pq [g][s (8)][row][16 bytes] with
 * bytes 4j..4j+3 = elements 4s..4s+3 of block 4g + j; scales as pack_panel.
 */
function pack_panel_q4_r(w: usize, rowBytes: i32, nb: i32, nbq: i32, nOut: i32, r0: i32, pq: usize, ps: usize): void {
  const z = i32x4.splat(0);
  const m = i8x16.splat(0x0f);
  for (let r = 0; r < NR; r++) {
    const row = r0 + r;
    const wr = w + <usize>row * <usize>rowBytes;
    for (let b = 0; b < nbq; b++) {
      const o = pq + (<usize>(b >> 2) << 9) + (<usize>r << 4) + (<usize>(b & 3) << 2);
      const so = ps + (<usize>((b >> 2) * NR + r) << 4) + (<usize>(b & 3) << 2);
      if (row >= nOut || b >= nb) {
        store_quads(o, z, z, 64);
        store<f32>(so, 0);
        continue;
      }
      const p = wr + <usize>b * 18;
      const v = v128.load(p, 2);
      store_quads(o, v128.and(v, m), v128.and(i16x8.shr_u(v, 4), m), 64);
      store<f32>(so, half_to_f32(load<u16>(p)));
    }
  }
}

/** Stores 32 bytes (lo = elements 0-15, hi = 16-31) with elements 4s..4s+3 at o + s*stride. */
// @ts-ignore: decorator
@inline function store_quads(o: usize, lo: v128, hi: v128, stride: usize): void {
  v128.store_lane<i32>(o, lo, 0); v128.store_lane<i32>(o + stride, lo, 1); v128.store_lane<i32>(o + 2 * stride, lo, 2); v128.store_lane<i32>(o + 3 * stride, lo, 3);
  const o1 = o + 4 * stride;
  v128.store_lane<i32>(o1, hi, 0); v128.store_lane<i32>(o1 + stride, hi, 1); v128.store_lane<i32>(o1 + 2 * stride, hi, 2); v128.store_lane<i32>(o1 + 3 * stride, hi, 3);
}

/** The f32 step of one (row, token) pair for a group: facc[i] += f32(si) * (dw * da). */
// @ts-ignore: decorator
@inline function fstep(facc: usize, i: i32, si: v128, dw: v128, da: v128): void {
  const f = facc + (<usize>i << 4);
  v128.store(f, f32x4.add(v128.load(f), f32x4.mul(f32x4.convert_i32x4_s(si), f32x4.mul(dw, da))));
}

/**
 * Relaxed-SIMD Q4_0 tile (see tile): i8 activations (layout 4; block sums at as0/as1), i16
 * accumulators over the 8 steps of a group (|8·2·15·127| < 2^15), widened once per group.
 */
// @ts-ignore: decorator
@inline function tile_q4_r(pq: usize, ps: usize, a0: usize, a1: usize, ad0: usize, ad1: usize, as0: usize, as1: usize, ng: i32, o0: usize, o1: usize, nrow: i32, facc: usize): void {
  const two = a1 != 0;
  const zf = f32x4.splat(0);
  for (let i = 0; i < 8; i++) v128.store(facc + (<usize>i << 4), zf);
  const ones = i16x8.splat(1);
  let wp = pq;
  let p0 = a0, p1 = two ? a1 : a0;
  for (let g = 0; g < ng; g++) {
    let c00 = i16x8.splat(0), c10 = i16x8.splat(0), c20 = i16x8.splat(0), c30 = i16x8.splat(0);
    let c01 = i16x8.splat(0), c11 = i16x8.splat(0), c21 = i16x8.splat(0), c31 = i16x8.splat(0);
    const wend = wp + 512;
    while (wp < wend) {
      const x0 = v128.load(p0), x1 = v128.load(p1);
      const w0 = v128.load(wp), w1 = v128.load(wp, 16), w2 = v128.load(wp, 32), w3 = v128.load(wp, 48);
      c00 = i16x8.add(c00, rdot_i16(x0, w0)); c01 = i16x8.add(c01, rdot_i16(x1, w0));
      c10 = i16x8.add(c10, rdot_i16(x0, w1)); c11 = i16x8.add(c11, rdot_i16(x1, w1));
      c20 = i16x8.add(c20, rdot_i16(x0, w2)); c21 = i16x8.add(c21, rdot_i16(x1, w2));
      c30 = i16x8.add(c30, rdot_i16(x0, w3)); c31 = i16x8.add(c31, rdot_i16(x1, w3));
      wp += 64; p0 += 16; p1 += 16;
    }
    // block sums Σ n·a, then Σ(n−8)·a = Σ n·a − 8·Σa, then the f32 step as in `tile`
    const go = <usize>g << 4;
    const e0 = i32x4.shl(v128.load(as0 + go), 3), e1 = i32x4.shl(v128.load(two ? as1 + go : as0 + go), 3);
    const sp = ps + (<usize>(g * NR) << 4);
    const da0 = v128.load(ad0 + go), da1 = v128.load(two ? ad1 + go : ad0 + go);
    let dw = v128.load(sp);
    fstep(facc, 0, i32x4.sub(i32x4.dot_i16x8_s(c00, ones), e0), dw, da0);
    fstep(facc, 1, i32x4.sub(i32x4.dot_i16x8_s(c01, ones), e1), dw, da1);
    dw = v128.load(sp, 16);
    fstep(facc, 2, i32x4.sub(i32x4.dot_i16x8_s(c10, ones), e0), dw, da0);
    fstep(facc, 3, i32x4.sub(i32x4.dot_i16x8_s(c11, ones), e1), dw, da1);
    dw = v128.load(sp, 32);
    fstep(facc, 4, i32x4.sub(i32x4.dot_i16x8_s(c20, ones), e0), dw, da0);
    fstep(facc, 5, i32x4.sub(i32x4.dot_i16x8_s(c21, ones), e1), dw, da1);
    dw = v128.load(sp, 48);
    fstep(facc, 6, i32x4.sub(i32x4.dot_i16x8_s(c30, ones), e0), dw, da0);
    fstep(facc, 7, i32x4.sub(i32x4.dot_i16x8_s(c31, ones), e1), dw, da1);
  }
  write_tile(facc, o0, o1, two, nrow);
}

/** Row results (l0 + l1) + (l2 + l3) of the tile's lane sums to o0 (token 0) and o1 (token 1). */
// @ts-ignore: decorator
@inline function write_tile(facc: usize, o0: usize, o1: usize, two: bool, nrow: i32): void {
  for (let r = 0; r < nrow; r++) {
    const f0 = v128.load(facc + (<usize>(2 * r) << 4));
    store<f32>(o0 + (<usize>r << 2), (f32x4.extract_lane(f0, 0) + f32x4.extract_lane(f0, 1)) + (f32x4.extract_lane(f0, 2) + f32x4.extract_lane(f0, 3)));
    if (two) {
      const f1 = v128.load(facc + (<usize>(2 * r + 1) << 4));
      store<f32>(o1 + (<usize>r << 2), (f32x4.extract_lane(f1, 0) + f32x4.extract_lane(f1, 1)) + (f32x4.extract_lane(f1, 2) + f32x4.extract_lane(f1, 3)));
    }
  }
}

/**
 * Tile of NR rows x 2 tokens (or 1 when a1 == 0) over ng groups. pq/ps: the panel; a0/a1:
 * activation rows (layout 2) with their d at ad0/ad1; results go to o0[0..nrow) and o1[0..nrow).
 * facc: 8 f32x4 of per-thread scratch for the f32 lane sums.
 */
// @ts-ignore: decorator
@inline function tile(pq: usize, ps: usize, a0: usize, a1: usize, ad0: usize, ad1: usize, ng: i32, o0: usize, o1: usize, nrow: i32, facc: usize): void {
  const two = a1 != 0;
  const zf = f32x4.splat(0);
  for (let i = 0; i < 8; i++) v128.store(facc + (<usize>i << 4), zf);
  let wp = pq;
  let p0 = a0, p1 = two ? a1 : a0;
  for (let g = 0; g < ng; g++) {
    let c00 = i32x4.splat(0), c10 = i32x4.splat(0), c20 = i32x4.splat(0), c30 = i32x4.splat(0);
    let c01 = i32x4.splat(0), c11 = i32x4.splat(0), c21 = i32x4.splat(0), c31 = i32x4.splat(0);
    const wend = wp + 1024;
    // one step per iteration: the loop body stays one small basic block, so V8 keeps the 8
    // accumulators and 6 operands in registers (unrolling made it spill: V8 issues the loads of
    // both steps first)
    while (wp < wend) {
      const x0 = v128.load(p0), x1 = v128.load(p1);
      const w0 = v128.load(wp), w1 = v128.load(wp, 16), w2 = v128.load(wp, 32), w3 = v128.load(wp, 48);
      c00 = i32x4.add(c00, i32x4.dot_i16x8_s(w0, x0)); c01 = i32x4.add(c01, i32x4.dot_i16x8_s(w0, x1));
      c10 = i32x4.add(c10, i32x4.dot_i16x8_s(w1, x0)); c11 = i32x4.add(c11, i32x4.dot_i16x8_s(w1, x1));
      c20 = i32x4.add(c20, i32x4.dot_i16x8_s(w2, x0)); c21 = i32x4.add(c21, i32x4.dot_i16x8_s(w2, x1));
      c30 = i32x4.add(c30, i32x4.dot_i16x8_s(w3, x0)); c31 = i32x4.add(c31, i32x4.dot_i16x8_s(w3, x1));
      wp += 64; p0 += 16; p1 += 16;
    }
    // f32 step for the group's 4 blocks: facc += f32(sumi) * (dw * da), as ref/matmul.ts
    const sp = ps + (<usize>(g * NR) << 4);
    const da0 = v128.load(ad0 + (<usize>g << 4)), da1 = v128.load(two ? ad1 + (<usize>g << 4) : ad0);
    let dw = v128.load(sp);
    v128.store(facc, f32x4.add(v128.load(facc), f32x4.mul(f32x4.convert_i32x4_s(c00), f32x4.mul(dw, da0))));
    v128.store(facc, f32x4.add(v128.load(facc, 16), f32x4.mul(f32x4.convert_i32x4_s(c01), f32x4.mul(dw, da1))), 16);
    dw = v128.load(sp, 16);
    v128.store(facc, f32x4.add(v128.load(facc, 32), f32x4.mul(f32x4.convert_i32x4_s(c10), f32x4.mul(dw, da0))), 32);
    v128.store(facc, f32x4.add(v128.load(facc, 48), f32x4.mul(f32x4.convert_i32x4_s(c11), f32x4.mul(dw, da1))), 48);
    dw = v128.load(sp, 32);
    v128.store(facc, f32x4.add(v128.load(facc, 64), f32x4.mul(f32x4.convert_i32x4_s(c20), f32x4.mul(dw, da0))), 64);
    v128.store(facc, f32x4.add(v128.load(facc, 80), f32x4.mul(f32x4.convert_i32x4_s(c21), f32x4.mul(dw, da1))), 80);
    dw = v128.load(sp, 48);
    v128.store(facc, f32x4.add(v128.load(facc, 96), f32x4.mul(f32x4.convert_i32x4_s(c30), f32x4.mul(dw, da0))), 96);
    v128.store(facc, f32x4.add(v128.load(facc, 112), f32x4.mul(f32x4.convert_i32x4_s(c31), f32x4.mul(dw, da1))), 112);
  }
  write_tile(facc, o0, o1, two, nrow);
}

/**
 * out [nTok][nOut] = act x W^T for Q8_0 (kind 0) or Q4_0 (kind 1) weights `w` (nOut rows of
 * rowBytes, n elements each); act: nTok rows of Q8_0 activations in layout 2, `stride` bytes
 * apart. scratch: qgemm_scratch_bytes(n) bytes per thread, thread ith's at
 * scratch + ith * scratchStride. Threads claim the weight rows in chunks of 4 panels of 4.
 */
export function qgemm(kind: i32, w: usize, rowBytes: i32, n: i32, nOut: i32, act: usize, stride: i32, nTok: i32, out: usize, scratch: usize, scratchStride: i32, ith: i32, nth: i32): void {
  if (ASC_FEATURE_RELAXED_SIMD && kind == 1) {
    qgemm_q4_r(w, rowBytes, n, nOut, act, stride, nTok, out, scratch, scratchStride, ith, nth);
    return;
  }
  const nb = n >> 5;
  const nbq = q8_0_act_blocks(n, 2);
  const ng = nbq >> 2;
  const np = (nOut + NR - 1) / NR;
  const pq = scratch + <usize>ith * <usize>scratchStride;
  const ps = pq + (<usize>ng << 10);
  const facc = ps + (<usize>(ng * NR) << 4);
  const dOff = <usize>nbq << 6;
  // chunks of 4 panels (16 rows: whole 64-byte lines of each output row)
  for (let ch = chunk_first(nth); ch * 4 < np; ch = chunk_next(ch, nth)) for (let p = ch * 4; p < min(np, ch * 4 + 4); p++) {
    const r0 = p * NR;
    const nrow = min(NR, nOut - r0);
    pack_panel(kind == 1, w, rowBytes, nb, nbq, nOut, r0, pq, ps);
    let t = 0;
    for (; t + 2 <= nTok; t += 2) {
      const a0 = act + <usize>t * <usize>stride, a1 = a0 + <usize>stride;
      const o0 = out + ((<usize>t * <usize>nOut + <usize>r0) << 2);
      tile(pq, ps, a0, a1, a0 + dOff, a1 + dOff, ng, o0, o0 + (<usize>nOut << 2), nrow, facc);
    }
    if (t < nTok) {
      const a0 = act + <usize>t * <usize>stride;
      tile(pq, ps, a0, 0, a0 + dOff, 0, ng, out + ((<usize>t * <usize>nOut + <usize>r0) << 2), 0, nrow, facc);
    }
  }
}

/** qgemm for Q4_0 in the relaxed-SIMD build: activations in act.ts layout 4 (i8). */
function qgemm_q4_r(w: usize, rowBytes: i32, n: i32, nOut: i32, act: usize, stride: i32, nTok: i32, out: usize, scratch: usize, scratchStride: i32, ith: i32, nth: i32): void {
  const nb = n >> 5;
  const nbq = q8_0_act_blocks(n, 4);
  const ng = nbq >> 2;
  const np = (nOut + NR - 1) / NR;
  const pq = scratch + <usize>ith * <usize>scratchStride;
  const ps = pq + (<usize>ng << 9);
  const facc = ps + (<usize>(ng * NR) << 4);
  const dOff = <usize>nbq << 5, sOff = dOff + (<usize>nbq << 2);
  for (let ch = chunk_first(nth); ch * 4 < np; ch = chunk_next(ch, nth)) for (let p = ch * 4; p < min(np, ch * 4 + 4); p++) {
    const r0 = p * NR;
    const nrow = min(NR, nOut - r0);
    pack_panel_q4_r(w, rowBytes, nb, nbq, nOut, r0, pq, ps);
    let t = 0;
    for (; t + 2 <= nTok; t += 2) {
      const a0 = act + <usize>t * <usize>stride, a1 = a0 + <usize>stride;
      const o0 = out + ((<usize>t * <usize>nOut + <usize>r0) << 2);
      tile_q4_r(pq, ps, a0, a1, a0 + dOff, a1 + dOff, a0 + sOff, a1 + sOff, ng, o0, o0 + (<usize>nOut << 2), nrow, facc);
    }
    if (t < nTok) {
      const a0 = act + <usize>t * <usize>stride;
      tile_q4_r(pq, ps, a0, 0, a0 + dOff, 0, a0 + sOff, 0, ng, out + ((<usize>t * <usize>nOut + <usize>r0) << 2), 0, nrow, facc);
    }
  }
}

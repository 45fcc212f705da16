// Mat-muls for few tokens (decode) on quantized, F16 and F32 weights: weight rows against each
// activation row (quantized by act.ts); Q8_0/Q4_0 with 4+ tokens go to qgemm.ts, F16/F32 to
// gemm.ts gemm_wt. On quantized weights the integer block sums are exact and the float steps are
// the same f32 operations, in the same order, as src/kernels/ref/matmul.ts, so results match the
// reference bit for bit; F16/F32 differ by f32 summation order only.
import { chunk_first, chunk_next, half_to_f32, halves_to_f32x4, hsum_i32, madd, rdot_i16, reduce4_i32 } from "./common";

// Activation layouts: see act.ts (i16 quants in the plain build, i8 in the relaxed one for Q4_0
// and the K-quants).

// ----- dot products of one weight row with one activation row -----

// Q8_0 / Q4_0 rows against Q8_0 activations in i16 (act.ts layout 0 for Q8_0, 1 for Q4_0):
// blocks are reduced four at a time; block b's f32 term f32(sumi)*(dw*da) goes to lane b%4 and
// the row result is (l0 + l1) + (l2 + l3), the order ref/matmul.ts defines.

/**
 * Unreduced i32x4 whose lane sum is Σ w*a over one Q8_0 block at p. The quants are read as
 * 16-bit lanes and split into even and odd bytes by shifts (no shuffle-port widening); the
 * activations are stored in that order (act.ts layout 0).
 */
// @ts-ignore: decorator
@inline function bdot_q8_0(p: usize, a: usize): v128 {
  const u = v128.load(p, 2), v = v128.load(p, 18);
  const d0 = i32x4.dot_i16x8_s(i16x8.shr_s(i16x8.shl(u, 8), 8), v128.load(a));
  const d1 = i32x4.dot_i16x8_s(i16x8.shr_s(u, 8), v128.load(a, 16));
  const d2 = i32x4.dot_i16x8_s(i16x8.shr_s(i16x8.shl(v, 8), 8), v128.load(a, 32));
  const d3 = i32x4.dot_i16x8_s(i16x8.shr_s(v, 8), v128.load(a, 48));
  return i32x4.add(i32x4.add(d0, d1), i32x4.add(d2, d3));
}

/**
 * Unreduced i32x4 whose lane sum is Σ nibble*a over one Q4_0 block at p (nibbles unsigned
 * 0..15). The 16 quant bytes are read as eight 16-bit lanes; lane i holds elements 2i, 2i+16,
 * 2i+1, 2i+17 in its four nibbles, which masks and shifts take out without any shuffle; the
 * activations are stored in that order (act.ts layout 1).
 */
// @ts-ignore: decorator
@inline function bdot_q4_0(p: usize, a: usize): v128 {
  const v = v128.load(p, 2);
  const m = i16x8.splat(0x0f);
  // No i32x4.relaxed_dot_i8x16_i7x16_add_s here or below: in Node 20's V8 (11.3) its baseline-tier
  // (Liftoff) code returns twice the dot product and drops the addend, so results would change
  // when a function tiers up. See test/kernels/wasm.test.ts "first calls".
  const d0 = i32x4.dot_i16x8_s(v128.and(v, m), v128.load(a));
  const d1 = i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 4), m), v128.load(a, 16));
  const d2 = i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 8), m), v128.load(a, 32));
  const d3 = i32x4.dot_i16x8_s(i16x8.shr_u(v, 12), v128.load(a, 48));
  return i32x4.add(i32x4.add(d0, d1), i32x4.add(d2, d3));
}

/**
 * The four d_w halves of blocks at p, p+bs, p+2bs, p+3bs (scale at offset `off`) as f32x4, exact.
 * Each half goes to the high 16 bits of its lane; an arithmetic shift by 3 and a mask leave the
 * sign at bit 31 and the half's exponent and mantissa at bits 27..13, which read as an f32 are
 * the half's value times 2^-112 (normal and subnormal halves alike), so one multiply by 2^112
 * gives the value. Fewer operations than halves_to_f32x4; the price is that a subnormal scale
 * (|d| < 2^-14, a block of near-zero weights) makes a denormal operand, slow on x86 but exact.
 */
// @ts-ignore: decorator
@inline function scales4(p: usize, bs: usize, off: usize): v128 {
  let h = i32x4.splat(0);
  h = v128.load16_lane(p + off, h, 1);
  h = v128.load16_lane(p + bs + off, h, 3);
  h = v128.load16_lane(p + 2 * bs + off, h, 5);
  h = v128.load16_lane(p + 3 * bs + off, h, 7);
  const bits = v128.and(i32x4.shr_s(h, 3), i32x4.splat(0x8fffe000));
  return f32x4.mul(bits, f32x4.splat(5.192296858534828e33)); // 2^112
}

/**
 * Relaxed-SIMD build, Q4_0: the same sum from i8 activations in natural order (act.ts layout 3),
 * nibbles (0..15, valid 7-bit operands) multiplied by i16x8.relaxed_dot_i8x16_i7x16_s, whose
 * pairwise i16 sums cannot saturate here (|2·15·127| < 2^15). Not the i32x4 ..._add_s form: in
 * Node 20's V8 (11.3) that one's baseline-tier code returns twice the dot product and drops the
 * addend, so results would change when a function tiers up (test/kernels/wasm.test.ts "first calls").
 */
// @ts-ignore: decorator
@inline function bdot_q4_0_r(p: usize, a: usize): v128 {
  const v = v128.load(p, 2);
  const m = i8x16.splat(0x0f);
  const s = i16x8.add(rdot_i16(v128.load(a), v128.and(v, m)), rdot_i16(v128.load(a, 16), v128.and(i16x8.shr_u(v, 4), m)));
  return i32x4.dot_i16x8_s(s, i16x8.splat(1));
}

/**
 * Block sums of one group of 4 Q8_0/Q4_0 blocks (weights at p, activations at q, block index b
 * for the Q4_0 correction) as i32x4, lane j = block j. Each block's vector is stored (one lane, to
 * `sink`) before the next block's loads: the store pins the computation in place. Without it V8's
 * scheduler issues all 32 loads of the group first and spills most of them to the stack
 * (measured: twice as many instructions).
 */
// @ts-ignore: decorator
@inline function group_sums(p: usize, q: usize, b: i32, asum: usize, q4: bool, sink: usize): v128 {
  const r8 = q4 && ASC_FEATURE_RELAXED_SIMD;
  const bs: usize = q4 ? 18 : 34;
  let si: v128;
  if (r8) {
    const v0 = bdot_q4_0_r(p, q); v128.store_lane<i32>(sink, v0, 0);
    const v1 = bdot_q4_0_r(p + bs, q + 32); v128.store_lane<i32>(sink, v1, 0);
    const v2 = bdot_q4_0_r(p + 2 * bs, q + 64); v128.store_lane<i32>(sink, v2, 0);
    const v3 = bdot_q4_0_r(p + 3 * bs, q + 96);
    si = reduce4_i32(v0, v1, v2, v3);
    si = i32x4.sub(si, i32x4.shl(v128.load(asum + (<usize>b << 2)), 3)); // Σ(n-8)a = Σ n·a − 8·Σa
  } else if (q4) {
    const v0 = bdot_q4_0(p, q); v128.store_lane<i32>(sink, v0, 0);
    const v1 = bdot_q4_0(p + bs, q + 64); v128.store_lane<i32>(sink, v1, 0);
    const v2 = bdot_q4_0(p + 2 * bs, q + 128); v128.store_lane<i32>(sink, v2, 0);
    const v3 = bdot_q4_0(p + 3 * bs, q + 192);
    si = reduce4_i32(v0, v1, v2, v3);
    si = i32x4.sub(si, i32x4.shl(v128.load(asum + (<usize>b << 2)), 3));
  } else {
    const v0 = bdot_q8_0(p, q); v128.store_lane<i32>(sink, v0, 0);
    const v1 = bdot_q8_0(p + bs, q + 64); v128.store_lane<i32>(sink, v1, 0);
    const v2 = bdot_q8_0(p + 2 * bs, q + 128); v128.store_lane<i32>(sink, v2, 0);
    const v3 = bdot_q8_0(p + 3 * bs, q + 192);
    si = reduce4_i32(v0, v1, v2, v3);
  }
  return si;
}

/**
 * Two Q8_0/Q4_0 rows (wA, wB) against one activation row, group by group, so that the reads of
 * two weight streams are in flight together; results to oA, oB. Same operations per row as
 * dot_q80_q40_row (bit-identical results).
 */
// @ts-ignore: decorator
@inline function dot2_q80_q40(wA: usize, wB: usize, a: usize, nb: i32, q4: bool, oA: usize, oB: usize, sink: usize): void {
  const r8 = q4 && ASC_FEATURE_RELAXED_SIMD;
  const ab: usize = r8 ? 32 : 64;
  const ad = a + <usize>nb * ab;
  const asum = ad + (<usize>nb << 2);
  const bs: usize = q4 ? 18 : 34;
  let accA = f32x4.splat(0), accB = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const q = a + <usize>b * ab;
    const da = v128.load(ad + (<usize>b << 2));
    const pA = wA + <usize>b * bs, pB = wB + <usize>b * bs;
    const siA = group_sums(pA, q, b, asum, q4, sink);
    accA = f32x4.add(accA, f32x4.mul(f32x4.convert_i32x4_s(siA), f32x4.mul(scales4(pA, bs, 0), da)));
    v128.store_lane<i32>(sink, accA, 0);
    const siB = group_sums(pB, q, b, asum, q4, sink);
    accB = f32x4.add(accB, f32x4.mul(f32x4.convert_i32x4_s(siB), f32x4.mul(scales4(pB, bs, 0), da)));
    v128.store_lane<i32>(sink, accB, 0);
  }
  store<f32>(oA, finish_row(accA, wA, a, b, nb, q4));
  store<f32>(oB, finish_row(accB, wB, a, b, nb, q4));
}

/** The blocks from b on (fewer than 4) of a row, then (l0 + l1) + (l2 + l3). */
// @ts-ignore: decorator
@inline function finish_row(acc: v128, w: usize, a: usize, b: i32, nb: i32, q4: bool): f32 {
  const r8 = q4 && ASC_FEATURE_RELAXED_SIMD;
  const ab: usize = r8 ? 32 : 64;
  const ad = a + <usize>nb * ab;
  const asum = ad + (<usize>nb << 2);
  const bs: usize = q4 ? 18 : 34;
  let s0 = f32x4.extract_lane(acc, 0), s1 = f32x4.extract_lane(acc, 1), s2 = f32x4.extract_lane(acc, 2), s3 = f32x4.extract_lane(acc, 3);
  for (; b < nb; b++) {
    const p = w + <usize>b * bs;
    const q = a + <usize>b * ab;
    let sumi: i32;
    if (r8) sumi = hsum_i32(bdot_q4_0_r(p, q)) - (load<i32>(asum + (<usize>b << 2)) << 3);
    else if (q4) sumi = hsum_i32(bdot_q4_0(p, q)) - (load<i32>(asum + (<usize>b << 2)) << 3);
    else sumi = hsum_i32(bdot_q8_0(p, q));
    const t = <f32>sumi * (half_to_f32(load<u16>(p)) * load<f32>(ad + (<usize>b << 2)));
    const lane = b & 3;
    if (lane == 0) s0 += t; else if (lane == 1) s1 += t; else s2 += t;
  }
  return (s0 + s1) + (s2 + s3);
}

// @ts-ignore: decorator
@inline function dot_q80_q40_row(w: usize, a: usize, nb: i32, q4: bool, sink: usize): f32 {
  const r8 = q4 && ASC_FEATURE_RELAXED_SIMD; // i8 activations (layout 3), 32 bytes per block
  const ab: usize = r8 ? 32 : 64;
  const ad = a + <usize>nb * ab;
  const asum = ad + (<usize>nb << 2);
  const bs: usize = q4 ? 18 : 34;
  let acc = f32x4.splat(0);
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const p = w + <usize>b * bs;
    const q = a + <usize>b * ab;
    let si: v128;
    // Each block's vector is stored (one lane, to `sink`) before the next block's loads: the
    // store pins the computation in place. Without it V8's scheduler issues all 32 loads of the
    // group first and spills most of them to the stack (measured: twice as many instructions).
    if (r8) {
      const v0 = bdot_q4_0_r(p, q); v128.store_lane<i32>(sink, v0, 0);
      const v1 = bdot_q4_0_r(p + bs, q + 32); v128.store_lane<i32>(sink, v1, 0);
      const v2 = bdot_q4_0_r(p + 2 * bs, q + 64); v128.store_lane<i32>(sink, v2, 0);
      const v3 = bdot_q4_0_r(p + 3 * bs, q + 96);
      si = reduce4_i32(v0, v1, v2, v3);
      si = i32x4.sub(si, i32x4.shl(v128.load(asum + (<usize>b << 2)), 3)); // Σ(n-8)a = Σ n·a − 8·Σa
    } else if (q4) {
      const v0 = bdot_q4_0(p, q); v128.store_lane<i32>(sink, v0, 0);
      const v1 = bdot_q4_0(p + bs, q + 64); v128.store_lane<i32>(sink, v1, 0);
      const v2 = bdot_q4_0(p + 2 * bs, q + 128); v128.store_lane<i32>(sink, v2, 0);
      const v3 = bdot_q4_0(p + 3 * bs, q + 192);
      si = reduce4_i32(v0, v1, v2, v3);
      si = i32x4.sub(si, i32x4.shl(v128.load(asum + (<usize>b << 2)), 3)); // Σ(n-8)a = Σ n·a − 8·Σa
    } else {
      const v0 = bdot_q8_0(p, q); v128.store_lane<i32>(sink, v0, 0);
      const v1 = bdot_q8_0(p + bs, q + 64); v128.store_lane<i32>(sink, v1, 0);
      const v2 = bdot_q8_0(p + 2 * bs, q + 128); v128.store_lane<i32>(sink, v2, 0);
      const v3 = bdot_q8_0(p + 3 * bs, q + 192);
      si = reduce4_i32(v0, v1, v2, v3);
    }
    const dd = f32x4.mul(scales4(p, bs, 0), v128.load(ad + (<usize>b << 2)));
    acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(si), dd));
  }
  let s0 = f32x4.extract_lane(acc, 0), s1 = f32x4.extract_lane(acc, 1), s2 = f32x4.extract_lane(acc, 2), s3 = f32x4.extract_lane(acc, 3);
  for (; b < nb; b++) {
    const p = w + <usize>b * bs;
    const q = a + <usize>b * ab;
    let sumi: i32;
    if (r8) sumi = hsum_i32(bdot_q4_0_r(p, q)) - (load<i32>(asum + (<usize>b << 2)) << 3);
    else if (q4) sumi = hsum_i32(bdot_q4_0(p, q)) - (load<i32>(asum + (<usize>b << 2)) << 3);
    else sumi = hsum_i32(bdot_q8_0(p, q));
    const t = <f32>sumi * (half_to_f32(load<u16>(p)) * load<f32>(ad + (<usize>b << 2)));
    const lane = b & 3;
    if (lane == 0) s0 += t; else if (lane == 1) s1 += t; else s2 += t;
  }
  return (s0 + s1) + (s2 + s3);
}

// K-quant rows against Q8_K activations (act.ts: i16 quants, per 16 elements the even ones then
// the odd ones). The weight quants are taken out of 16-bit lanes with masks and shifts (even
// element = low byte, odd = high byte), multiplied by their sub-block scale in i16 (|q*sc| <= 8064)
// and summed by i32x4.dot_i16x8_s into one accumulator per block: the integer sums are those of
// ref/matmul.ts exactly, and the f32 steps are the same operations in the same order.

/** Lane k of an i16x8, in all lanes (k constant after inlining). */
// @ts-ignore: decorator
@inline function bcast16(v: v128, k: i32): v128 {
  switch (k) {
    case 0: return v128.shuffle<i16>(v, v, 0, 0, 0, 0, 0, 0, 0, 0);
    case 1: return v128.shuffle<i16>(v, v, 1, 1, 1, 1, 1, 1, 1, 1);
    case 2: return v128.shuffle<i16>(v, v, 2, 2, 2, 2, 2, 2, 2, 2);
    case 3: return v128.shuffle<i16>(v, v, 3, 3, 3, 3, 3, 3, 3, 3);
    case 4: return v128.shuffle<i16>(v, v, 4, 4, 4, 4, 4, 4, 4, 4);
    case 5: return v128.shuffle<i16>(v, v, 5, 5, 5, 5, 5, 5, 5, 5);
    case 6: return v128.shuffle<i16>(v, v, 6, 6, 6, 6, 6, 6, 6, 6);
    default: return v128.shuffle<i16>(v, v, 7, 7, 7, 7, 7, 7, 7, 7);
  }
}

/**
 * acc + Σ over 16 bytes of Q4_K quants at q (elements 16c..16c+15 of a 64-element chunk: low
 * nibbles belong to its first sub-block, scale sLo, high nibbles to its second, scale sHi)
 * against the activations at qc (first sub-block) and qc + 64 (second).
 */
// @ts-ignore: decorator
@inline function q4k_16(acc: v128, q: usize, qc: usize, sLo: v128, sHi: v128): v128 {
  const m4 = i16x8.splat(0x0f);
  const v = v128.load(q);
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.mul(v128.and(v, m4), sLo), v128.load(qc)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.mul(v128.and(i16x8.shr_u(v, 8), m4), sLo), v128.load(qc, 16)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.mul(v128.and(i16x8.shr_u(v, 4), m4), sHi), v128.load(qc, 64)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.mul(i16x8.shr_u(v, 12), sHi), v128.load(qc, 80)));
}

/** Bytes 0..7 of (lo, hi) zero-extended to two i32x4 (lanes 0..3, 4..7). */
// @ts-ignore: decorator
@inline function u8x8_to_i32(lo: u32, hi: u32, second: bool): v128 {
  const v = i16x8.extend_low_i8x16_u(i32x4.replace_lane(i32x4.splat(<i32>lo), 1, <i32>hi));
  return second ? i32x4.extend_high_i16x8_u(v) : i32x4.extend_low_i16x8_u(v);
}

// Relaxed-SIMD build: the K-quant quants (0..15, 0..63) are valid 7-bit operands of
// i16x8.relaxed_dot_i8x16_i7x16_s against i8 activations in natural order (act.ts quantize_q8_k
// layout 1); the pairwise i16 sums (|2·63·127| < 2^15) are scaled by i32x4.dot_i16x8_s with the
// sub-block scale, so a 16-byte load of quants costs a few ops instead of two widenings.

// @ts-ignore: decorator
@inline function dot_q4_k_row_r(w: usize, a: usize, nb: i32, n: i32, sink: usize): f32 {
  const ad = a + <usize>n;
  const bs = ad + (<usize>nb << 2);
  const m4 = i8x16.splat(0x0f);
  let s: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const p = w + <usize>b * 144;
    const ya = load<f32>(ad + (<usize>b << 2));
    const d = half_to_f32(load<u16>(p)) * ya;
    const dmin = half_to_f32(load<u16>(p, 2)) * ya;
    const u0 = load<u32>(p, 4), u1 = load<u32>(p, 8), u2 = load<u32>(p, 12);
    const scLo = u0 & 0x3f3f3f3f;
    const scHi = (u2 & 0x0f0f0f0f) | (((u0 >> 6) & 0x03030303) << 4);
    const mnLo = u1 & 0x3f3f3f3f;
    const mnHi = ((u2 >> 4) & 0x0f0f0f0f) | (((u1 >> 6) & 0x03030303) << 4);
    const sc = i16x8.extend_low_i8x16_u(i32x4.replace_lane(i32x4.splat(<i32>scLo), 1, <i32>scHi));
    const q = p + 16, qa = a + (<usize>b << 8);
    let acc = i32x4.splat(0);
    acc = q4k_64_r(acc, q, qa, bcast16(sc, 0), bcast16(sc, 1), m4);
    v128.store_lane<i32>(sink, acc, 0); // keeps V8 from hoisting the next loads (see dot_q80_q40_row)
    acc = q4k_64_r(acc, q + 32, qa + 64, bcast16(sc, 2), bcast16(sc, 3), m4);
    v128.store_lane<i32>(sink, acc, 0);
    acc = q4k_64_r(acc, q + 64, qa + 128, bcast16(sc, 4), bcast16(sc, 5), m4);
    v128.store_lane<i32>(sink, acc, 0);
    acc = q4k_64_r(acc, q + 96, qa + 192, bcast16(sc, 6), bcast16(sc, 7), m4);
    const sumi = hsum_i32(acc);
    const bb = bs + (<usize>b << 6);
    const B0 = v128.load(bb), B1 = v128.load(bb, 16), B2 = v128.load(bb, 32), B3 = v128.load(bb, 48);
    const P01 = i32x4.add(v128.shuffle<i32>(B0, B1, 0, 2, 4, 6), v128.shuffle<i32>(B0, B1, 1, 3, 5, 7));
    const P23 = i32x4.add(v128.shuffle<i32>(B2, B3, 0, 2, 4, 6), v128.shuffle<i32>(B2, B3, 1, 3, 5, 7));
    const summins = hsum_i32(i32x4.add(i32x4.mul(P01, u8x8_to_i32(mnLo, mnHi, false)), i32x4.mul(P23, u8x8_to_i32(mnLo, mnHi, true))));
    s += d * <f32>sumi - dmin * <f32>summins;
  }
  return s;
}

/** Relaxed Q4_K: one 64-element chunk (32 quant bytes at q; i8 activations at qa). */
// @ts-ignore: decorator
@inline function q4k_64_r(acc: v128, q: usize, qa: usize, sLo: v128, sHi: v128, m4: v128): v128 {
  const v0 = v128.load(q), v1 = v128.load(q, 16);
  const lo = i16x8.add(rdot_i16(v128.load(qa), v128.and(v0, m4)), rdot_i16(v128.load(qa, 16), v128.and(v1, m4)));
  const hi = i16x8.add(rdot_i16(v128.load(qa, 32), v128.and(i16x8.shr_u(v0, 4), m4)), rdot_i16(v128.load(qa, 48), v128.and(i16x8.shr_u(v1, 4), m4)));
  return i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(lo, sLo), i32x4.dot_i16x8_s(hi, sHi)));
}

/**
 * Relaxed Q6_K: elements l = 16c..16c+15 of the four 32-element parts of a half-block (A = ql,
 * B = ql + 32, H = qh, 16 bytes each, taken apart bytewise), unsigned quants 0..63 against the
 * i8 activations at qa + 32k; S_k the parts' scales. The −32 offset is applied per block from
 * the activation's 16-element sums.
 */
// @ts-ignore: decorator
@inline function q6k_16_r(acc: v128, A: v128, B: v128, H: v128, qa: usize, S0: v128, S1: v128, S2: v128, S3: v128): v128 {
  const m4 = i8x16.splat(0x0f), m30 = i8x16.splat(0x30);
  const q0 = v128.or(v128.and(A, m4), v128.and(i16x8.shl(H, 4), m30));
  const q1 = v128.or(v128.and(B, m4), v128.and(i16x8.shl(H, 2), m30));
  const q2 = v128.or(v128.and(i16x8.shr_u(A, 4), m4), v128.and(H, m30));
  const q3 = v128.or(v128.and(i16x8.shr_u(B, 4), m4), v128.and(i16x8.shr_u(H, 2), m30));
  acc = i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(rdot_i16(v128.load(qa), q0), S0), i32x4.dot_i16x8_s(rdot_i16(v128.load(qa, 32), q1), S1)));
  return i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(rdot_i16(v128.load(qa, 64), q2), S2), i32x4.dot_i16x8_s(rdot_i16(v128.load(qa, 96), q3), S3)));
}

// @ts-ignore: decorator
@inline function dot_q6_k_row_r(w: usize, a: usize, nb: i32, n: i32, sink: usize): f32 {
  const ad = a + <usize>n;
  const bs = ad + (<usize>nb << 2);
  let s: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const p = w + <usize>b * 210;
    const d = half_to_f32(load<u16>(p, 208)) * load<f32>(ad + (<usize>b << 2));
    const sv = v128.load(p, 192); // 16 i8 scales, one per 16 elements: group 8h + 2k + c
    const s0 = i16x8.extend_low_i8x16_s(sv), s1 = i16x8.extend_high_i8x16_s(sv);
    const qa = a + (<usize>b << 8);
    let acc = i32x4.splat(0);
    acc = q6k_16_r(acc, v128.load(p), v128.load(p, 32), v128.load(p, 128), qa, bcast16(s0, 0), bcast16(s0, 2), bcast16(s0, 4), bcast16(s0, 6));
    v128.store_lane<i32>(sink, acc, 0); // keeps V8 from hoisting the next loads (see dot_q80_q40_row)
    acc = q6k_16_r(acc, v128.load(p, 16), v128.load(p, 48), v128.load(p, 144), qa + 16, bcast16(s0, 1), bcast16(s0, 3), bcast16(s0, 5), bcast16(s0, 7));
    v128.store_lane<i32>(sink, acc, 0);
    acc = q6k_16_r(acc, v128.load(p, 64), v128.load(p, 96), v128.load(p, 160), qa + 128, bcast16(s1, 0), bcast16(s1, 2), bcast16(s1, 4), bcast16(s1, 6));
    v128.store_lane<i32>(sink, acc, 0);
    acc = q6k_16_r(acc, v128.load(p, 80), v128.load(p, 112), v128.load(p, 176), qa + 144, bcast16(s1, 1), bcast16(s1, 3), bcast16(s1, 5), bcast16(s1, 7));
    // Σ (q − 32)·a·sc = Σ q·a·sc − 32·Σ_g sc_g·bsum_g
    const bb = bs + (<usize>b << 6);
    const o = i32x4.add(
      i32x4.add(i32x4.mul(v128.load(bb), i32x4.extend_low_i16x8_s(s0)), i32x4.mul(v128.load(bb, 16), i32x4.extend_high_i16x8_s(s0))),
      i32x4.add(i32x4.mul(v128.load(bb, 32), i32x4.extend_low_i16x8_s(s1)), i32x4.mul(v128.load(bb, 48), i32x4.extend_high_i16x8_s(s1))));
    s += d * <f32>(hsum_i32(acc) - (hsum_i32(o) << 5));
  }
  return s;
}

// @ts-ignore: decorator
@inline function dot_q4_k_row(w: usize, a: usize, nb: i32, n: i32, sink: usize): f32 {
  const ad = a + (<usize>n << 1);
  const bs = ad + (<usize>nb << 2);
  let s: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const p = w + <usize>b * 144;
    const ya = load<f32>(ad + (<usize>b << 2));
    const d = half_to_f32(load<u16>(p)) * ya;
    const dmin = half_to_f32(load<u16>(p, 2)) * ya;
    // the 8 6-bit scales and mins (ggml get_scale_min_k4), four per u32
    const u0 = load<u32>(p, 4), u1 = load<u32>(p, 8), u2 = load<u32>(p, 12);
    const scLo = u0 & 0x3f3f3f3f;
    const scHi = (u2 & 0x0f0f0f0f) | (((u0 >> 6) & 0x03030303) << 4);
    const mnLo = u1 & 0x3f3f3f3f;
    const mnHi = ((u2 >> 4) & 0x0f0f0f0f) | (((u1 >> 6) & 0x03030303) << 4);
    const sc = i16x8.extend_low_i8x16_u(i32x4.replace_lane(i32x4.splat(<i32>scLo), 1, <i32>scHi));
    // chunk j (64 elements at qs[32j..]): sub-blocks 2j (low nibbles) and 2j+1 (high nibbles)
    const q = p + 16, qa = a + (<usize>b << 9);
    let acc = i32x4.splat(0);
    acc = q4k_16(acc, q, qa, bcast16(sc, 0), bcast16(sc, 1));
    acc = q4k_16(acc, q + 16, qa + 32, bcast16(sc, 0), bcast16(sc, 1));
    v128.store_lane<i32>(sink, acc, 0); // keeps V8 from hoisting the next loads (see dot_q80_q40_row)
    acc = q4k_16(acc, q + 32, qa + 128, bcast16(sc, 2), bcast16(sc, 3));
    acc = q4k_16(acc, q + 48, qa + 160, bcast16(sc, 2), bcast16(sc, 3));
    v128.store_lane<i32>(sink, acc, 0);
    acc = q4k_16(acc, q + 64, qa + 256, bcast16(sc, 4), bcast16(sc, 5));
    acc = q4k_16(acc, q + 80, qa + 288, bcast16(sc, 4), bcast16(sc, 5));
    v128.store_lane<i32>(sink, acc, 0);
    acc = q4k_16(acc, q + 96, qa + 384, bcast16(sc, 6), bcast16(sc, 7));
    acc = q4k_16(acc, q + 112, qa + 416, bcast16(sc, 6), bcast16(sc, 7));
    const sumi = hsum_i32(acc);
    // Σ_j m_j · (bsum[2j] + bsum[2j+1])
    const bb = bs + (<usize>b << 6);
    const B0 = v128.load(bb), B1 = v128.load(bb, 16), B2 = v128.load(bb, 32), B3 = v128.load(bb, 48);
    const P01 = i32x4.add(v128.shuffle<i32>(B0, B1, 0, 2, 4, 6), v128.shuffle<i32>(B0, B1, 1, 3, 5, 7));
    const P23 = i32x4.add(v128.shuffle<i32>(B2, B3, 0, 2, 4, 6), v128.shuffle<i32>(B2, B3, 1, 3, 5, 7));
    const summins = hsum_i32(i32x4.add(i32x4.mul(P01, u8x8_to_i32(mnLo, mnHi, false)), i32x4.mul(P23, u8x8_to_i32(mnLo, mnHi, true))));
    s += d * <f32>sumi - dmin * <f32>summins;
  }
  return s;
}

/**
 * acc + Σ over elements l = 16c..16c+15 of the four 32-element parts of one Q6_K half-block:
 * A = ql[16c..], B = ql[32+16c..], H = qh[16c..] (16 bytes each); part k has
 * q = (A or B low/high nibble) | ((qh >> 2k) & 3) << 4 and scale S_k; activations at qc + 64k.
 */
// @ts-ignore: decorator
@inline function q6k_16(acc: v128, A: v128, B: v128, H: v128, qc: usize, S0: v128, S1: v128, S2: v128, S3: v128, sink: usize): v128 {
  const m4 = i16x8.splat(0x0f), m30 = i16x8.splat(0x30), c32 = i16x8.splat(32);
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.mul(i16x8.sub(v128.or(v128.and(A, m4), v128.and(i16x8.shl(H, 4), m30)), c32), S0), v128.load(qc)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.mul(i16x8.sub(v128.or(v128.and(i16x8.shr_u(A, 8), m4), v128.and(i16x8.shr_u(H, 4), m30)), c32), S0), v128.load(qc, 16)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.mul(i16x8.sub(v128.or(v128.and(B, m4), v128.and(i16x8.shl(H, 2), m30)), c32), S1), v128.load(qc, 64)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.mul(i16x8.sub(v128.or(v128.and(i16x8.shr_u(B, 8), m4), v128.and(i16x8.shr_u(H, 6), m30)), c32), S1), v128.load(qc, 80)));
  v128.store_lane<i32>(sink, acc, 0); // keeps V8 from hoisting the next loads (see dot_q80_q40_row)
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.mul(i16x8.sub(v128.or(v128.and(i16x8.shr_u(A, 4), m4), v128.and(H, m30)), c32), S2), v128.load(qc, 128)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.mul(i16x8.sub(v128.or(i16x8.shr_u(A, 12), v128.and(i16x8.shr_u(H, 8), m30)), c32), S2), v128.load(qc, 144)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.mul(i16x8.sub(v128.or(v128.and(i16x8.shr_u(B, 4), m4), v128.and(i16x8.shr_u(H, 2), m30)), c32), S3), v128.load(qc, 192)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.mul(i16x8.sub(v128.or(i16x8.shr_u(B, 12), v128.and(i16x8.shr_u(H, 10), m30)), c32), S3), v128.load(qc, 208)));
  v128.store_lane<i32>(sink, acc, 0);
  return acc;
}

// @ts-ignore: decorator
@inline function dot_q6_k_row(w: usize, a: usize, nb: i32, n: i32, sink: usize): f32 {
  const ad = a + (<usize>n << 1);
  let s: f32 = 0;
  for (let b = 0; b < nb; b++) {
    const p = w + <usize>b * 210;
    const d = half_to_f32(load<u16>(p, 208)) * load<f32>(ad + (<usize>b << 2));
    const sv = v128.load(p, 192); // 16 i8 scales, one per 16 elements: group 8h + 2k + c
    const s0 = i16x8.extend_low_i8x16_s(sv), s1 = i16x8.extend_high_i8x16_s(sv);
    const qa = a + (<usize>b << 9);
    let acc = i32x4.splat(0);
    acc = q6k_16(acc, v128.load(p), v128.load(p, 32), v128.load(p, 128), qa, bcast16(s0, 0), bcast16(s0, 2), bcast16(s0, 4), bcast16(s0, 6), sink);
    acc = q6k_16(acc, v128.load(p, 16), v128.load(p, 48), v128.load(p, 144), qa + 32, bcast16(s0, 1), bcast16(s0, 3), bcast16(s0, 5), bcast16(s0, 7), sink);
    acc = q6k_16(acc, v128.load(p, 64), v128.load(p, 96), v128.load(p, 160), qa + 256, bcast16(s1, 0), bcast16(s1, 2), bcast16(s1, 4), bcast16(s1, 6), sink);
    acc = q6k_16(acc, v128.load(p, 80), v128.load(p, 112), v128.load(p, 176), qa + 288, bcast16(s1, 1), bcast16(s1, 3), bcast16(s1, 5), bcast16(s1, 7), sink);
    s += d * <f32>hsum_i32(acc);
  }
  return s;
}

/** Exact f32 of the low (second = false) or high halves of the four 32-bit lanes of u. */
// @ts-ignore: decorator
@inline function halves_lane(u: v128, second: bool): v128 {
  return halves_to_f32x4(second ? i32x4.shr_u(u, 16) : v128.and(u, i32x4.splat(0xffff)));
}

/**
 * Dot of an F16 weight row with an activation from act.ts round_f16_scaled (x·2^112, groups of 8
 * stored as evens then odds). Each 16-byte load holds 8 halves, two per 32-bit lane; a normal
 * half h moved to the top of a lane and shifted right by 3 (arithmetic), with bits 28-30
 * cleared, is the f32 bit pattern of h·2^-112, a normal number (zero stays zero), so a weight
 * costs three integer operations and the 2^112 in the activation cancels it exactly. The rare
 * group with a subnormal, zero, inf or NaN half is converted exactly instead and multiplied by
 * x (= x·2^112·2^-112, exact), so no subnormal ever enters f32 arithmetic. Products are exact in
 * both cases; only the summation order differs from the reference.
 */
/**
 * The exact path of dot_f16_row for one group of 8 halves (u) that holds a subnormal, zero, inf
 * or NaN: adds halves·x into the two f32x4 sums at acc (x = the scaled activation times 2^-112,
 * exact). Kept out of line so the fast loop stays small.
 */
@inline_never function f16_group_exact(u: v128, px: usize, acc: usize): void {
  const unscale = f32x4.splat(1.925929944387236e-34); // 2^-112
  v128.store(acc, madd(halves_lane(u, false), f32x4.mul(v128.load(px), unscale), v128.load(acc)));
  v128.store(acc, madd(halves_lane(u, true), f32x4.mul(v128.load(px, 16), unscale), v128.load(acc, 16)), 16);
}

// @ts-ignore: decorator
@inline function dot_f16_row(w: usize, x: usize, n: i32, acc: usize): f32 {
  // the two masks come from memory (stored by matmul_q): V8 keeps loaded vectors in registers
  // across the loop, but rebuilds vector constants at every use inside it (3 instructions each)
  const keep = v128.load(acc, 32), em = v128.load(acc, 48), z = i16x8.splat(0);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  v128.store(acc, a0); v128.store(acc, a0, 16);
  let i = 0;
  // 16 halves per step with one check for both groups (the exact path takes them one by one)
  for (; i + 16 <= n; i += 16) {
    const u = v128.load(w + (<usize>i << 1)), u2 = v128.load(w + (<usize>i << 1), 16);
    const px = x + (<usize>i << 2);
    const ex = v128.and(u, em), ex2 = v128.and(u2, em);
    if (v128.any_true(v128.or(v128.or(i16x8.eq(ex, z), i16x8.eq(ex, em)), v128.or(i16x8.eq(ex2, z), i16x8.eq(ex2, em))))) {
      f16_group_exact(u, px, acc);
      f16_group_exact(u2, px + 32, acc);
    } else {
      a0 = madd(v128.and(i32x4.shr_s(i32x4.shl(u, 16), 3), keep), v128.load(px), a0);
      a1 = madd(v128.and(i32x4.shr_s(u, 3), keep), v128.load(px, 16), a1);
      a0 = madd(v128.and(i32x4.shr_s(i32x4.shl(u2, 16), 3), keep), v128.load(px, 32), a0);
      a1 = madd(v128.and(i32x4.shr_s(u2, 3), keep), v128.load(px, 48), a1);
    }
  }
  for (; i + 8 <= n; i += 8) {
    const u = v128.load(w + (<usize>i << 1));
    const px = x + (<usize>i << 2);
    const ex = v128.and(u, em);
    if (v128.any_true(v128.or(i16x8.eq(ex, z), i16x8.eq(ex, em)))) {
      f16_group_exact(u, px, acc);
    } else {
      a0 = madd(v128.and(i32x4.shr_s(i32x4.shl(u, 16), 3), keep), v128.load(px), a0);
      a1 = madd(v128.and(i32x4.shr_s(u, 3), keep), v128.load(px, 16), a1);
    }
  }
  const v = f32x4.add(f32x4.add(a0, v128.load(acc)), f32x4.add(a1, v128.load(acc, 16)));
  let s = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
  for (; i < n; i++) s += half_to_f32(load<u16>(w + (<usize>i << 1))) * load<f32>(x + (<usize>i << 2));
  return s;
}

/** Dot of an f32 weight row with an f32 activation row: four f32x4 partial sums, then lanes. */
// @ts-ignore: decorator
@inline function dot_f32_row(w: usize, x: usize, n: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    a0 = madd(v128.load(w + o), v128.load(x + o), a0);
    a1 = madd(v128.load(w + o, 16), v128.load(x + o, 16), a1);
    a2 = madd(v128.load(w + o, 32), v128.load(x + o, 32), a2);
    a3 = madd(v128.load(w + o, 48), v128.load(x + o, 48), a3);
  }
  for (; i + 4 <= n; i += 4) a0 = madd(v128.load(w + (<usize>i << 2)), v128.load(x + (<usize>i << 2)), a0);
  const v = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  let s = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
  for (; i < n; i++) s += load<f32>(w + (<usize>i << 2)) * load<f32>(x + (<usize>i << 2));
  return s;
}

// ----- mat-muls: out [nTok][nOut] = act x W^T; threads claim chunks of weight rows -----

const TB: i32 = 32; // tokens per tile: a weight row is reused for TB tokens while it is in L1

/** Sets up a thread's 128-byte scratch (F16 sums of exact groups, F16 masks, the pin sink). */
// @ts-ignore: decorator
@inline function thread_scratch(scratch: usize, ith: i32): usize {
  scratch += <usize>ith << 7;
  v128.store(scratch, i32x4.splat(0x8fffe000), 32);
  v128.store(scratch, i16x8.splat(0x7c00), 48);
  return scratch;
}

/** Chunks (of 64 local row indices, see matmul_q_chunk) of a matrix with nOut rows. */
// @ts-ignore: decorator
@inline function row_chunks(nOut: i32): i32 {
  return (((nOut + 3) >> 2) * 4 + 63) >> 6;
}

/**
 * Chunk `ch` of a mat-mul (arguments as matmul_q). Rows are visited from four places at once (one
 * row of each quarter of the matrix in turn): four streams keep more memory reads in flight than
 * one (measured ~1.3x on weights that come from RAM). Local index i maps to row (i & 3) * q +
 * (i >> 2); a chunk is 64 local indices, so each chunk writes whole 64-byte lines of `out` (no
 * line is written by two threads).
 */
// @ts-ignore: decorator
@inline function matmul_q_chunk(kind: i32, w: usize, rowBytes: i32, n: i32, nOut: i32, act: usize, stride: i32, nTok: i32, out: usize, scratch: usize, ch: i32): void {
  const sink = scratch + 64; // the pinning stores (see dot_q80_q40_row) go to this thread's own lines
  const q = (nOut + 3) >> 2;
  const nLocal = 4 * q;
  const i0 = ch * 64, i1 = min(i0 + 64, nLocal);
  if (nTok == 1 && kind <= 1) {
    // decode: two rows (from two of the four streams) at a time
    for (let i = i0; i < i1; i += 2) {
      const rA = (i & 3) * q + (i >> 2), rB = ((i + 1) & 3) * q + ((i + 1) >> 2);
      const oA = out + (<usize>rA << 2), oB = out + (<usize>rB << 2);
      if (rA < nOut && rB < nOut) {
        dot2_q80_q40(w + <usize>rA * <usize>rowBytes, w + <usize>rB * <usize>rowBytes, act, n >> 5, kind == 1, oA, oB, sink);
      } else if (rA < nOut) {
        store<f32>(oA, dot_q80_q40_row(w + <usize>rA * <usize>rowBytes, act, n >> 5, kind == 1, sink));
      } else if (rB < nOut) {
        store<f32>(oB, dot_q80_q40_row(w + <usize>rB * <usize>rowBytes, act, n >> 5, kind == 1, sink));
      }
    }
    return;
  }
  for (let t0 = 0; t0 < nTok; t0 += TB) {
    const t1 = min(t0 + TB, nTok);
    for (let i = i0; i < i1; i++) {
      const r = (i & 3) * q + (i >> 2);
      if (r >= nOut) continue;
      const wr = w + <usize>r * <usize>rowBytes;
      for (let t = t0; t < t1; t++) {
        const a = act + <usize>t * <usize>stride;
        let v: f32;
        if (kind == 0) v = dot_q80_q40_row(wr, a, n >> 5, false, sink);
        else if (kind == 1) v = dot_q80_q40_row(wr, a, n >> 5, true, sink);
        else if (kind == 2) v = ASC_FEATURE_RELAXED_SIMD ? dot_q4_k_row_r(wr, a, n >> 8, n, sink) : dot_q4_k_row(wr, a, n >> 8, n, sink);
        else if (kind == 3) v = ASC_FEATURE_RELAXED_SIMD ? dot_q6_k_row_r(wr, a, n >> 8, n, sink) : dot_q6_k_row(wr, a, n >> 8, n, sink);
        else if (kind == 4) v = dot_f16_row(wr, a, n, scratch);
        else v = dot_f32_row(wr, a, n);
        store<f32>(out + ((<usize>t * <usize>nOut + <usize>r) << 2), v);
      }
    }
  }
}

/**
 * Quantized/F16/F32 mat-mul. `kind`: 0 = Q8_0, 1 = Q4_0, 2 = Q4_K, 3 = Q6_K, 4 = F16 (act = f16-rounded
 * f32 rows scaled by 2^112, act.ts round_f16_scaled), 5 = F32 (act = the f32 rows).
 * w: nOut rows of rowBytes; act: nTok rows `stride` bytes apart (layouts above); out: [nTok][nOut] f32;
 * scratch: 128 bytes per thread.
 */
export function matmul_q(kind: i32, w: usize, rowBytes: i32, n: i32, nOut: i32, act: usize, stride: i32, nTok: i32, out: usize, scratch: usize, ith: i32, nth: i32): void {
  const sc = thread_scratch(scratch, ith);
  const nch = row_chunks(nOut);
  for (let ch = chunk_first(nth); ch < nch; ch = chunk_next(ch, nth)) matmul_q_chunk(kind, w, rowBytes, n, nOut, act, stride, nTok, out, sc, ch);
}

/** Bytes of one matmul_q_multi descriptor: i32 kind, w, rowBytes, nOut, out (then padding). */
export const MULTI_DESC_BYTES: i32 = 32;

/**
 * Several mat-muls of the same activations as one job (e.g. the Q, K and V projections): `count`
 * descriptors at `desc` (MULTI_DESC_BYTES each: kind, w, rowBytes, nOut, out as i32), all with
 * row length n and kinds that share one activation layout; other arguments as matmul_q. The
 * threads claim chunks across all matrices, so a decode step has one barrier where it had
 * `count`; each output is bit for bit what matmul_q gives.
 */
export function matmul_q_multi(desc: usize, count: i32, n: i32, act: usize, stride: i32, nTok: i32, scratch: usize, ith: i32, nth: i32): void {
  const sc = thread_scratch(scratch, ith);
  let total = 0;
  for (let m = 0; m < count; m++) total += row_chunks(load<i32>(desc + <usize>(m * MULTI_DESC_BYTES), 12));
  for (let ch = chunk_first(nth); ch < total; ch = chunk_next(ch, nth)) {
    let m = 0, c = ch;
    let d = desc;
    for (;;) {
      const k = row_chunks(load<i32>(d, 12));
      if (c < k || m == count - 1) break;
      c -= k; m++; d += <usize>MULTI_DESC_BYTES;
    }
    matmul_q_chunk(load<i32>(d), <usize>load<u32>(d, 4), load<i32>(d, 8), n, load<i32>(d, 12), act, stride, nTok, <usize>load<u32>(d, 16), sc, c);
  }
}

// f32 GEMM with B packed in 8-column panels and a 4x8 register tile (8 f32x4 accumulators).
import { chunk_first, chunk_next, halves_to_f32x4, madd } from "./common";

const KC: i32 = 256;
/** Rows per L2 block of packed A (MC x KC f32 = 128 KiB). */
const MC: i32 = 128;

// ----- packing: pure data movement, so a product is the same bit for bit whichever layout its
// operands came in. Full tiles and panels move whole vectors (4x4 blocks transposed in
// registers); ragged edges go element by element. -----

/** Transposes the 4x4 block whose rows are r0..r3 and stores its row j (= column j of the input) at dst + j*stride. */
// @ts-ignore: decorator
@inline function store_t4x4(dst: usize, stride: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<i32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst + stride, v128.shuffle<i32>(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, v128.shuffle<i32>(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, v128.shuffle<i32>(t2, t3, 2, 3, 6, 7));
}

/**
 * Element by element: for k in [k0, K), writes rows 0..3 of column k of the matrix at src (row
 * stride rb bytes) to dst + k*stride + off as 4 floats, zero for rows >= `rows` (ragged edges).
 */
// @ts-ignore: decorator
@inline function scatter_cols(src: usize, rb: usize, rows: i32, k0: i32, K: i32, dst: usize, stride: usize, off: usize): void {
  for (let k = k0; k < K; k++) {
    for (let r = 0; r < 4; r++) {
      store<f32>(dst + <usize>k * stride + off + (<usize>r << 2), r < rows ? load<f32>(src + <usize>r * rb + (<usize>k << 2)) : 0);
    }
  }
}

/**
 * Packs B^T given as W [N][K] row-major (a ggml f32 weight: N = n_out rows of K = n_in) into
 * panels: dst[p][k][c] = W[8p + c][k], zero for 8p + c >= N. dst holds ceil(N/8)*K*8 f32.
 */
export function pack_bt(w: usize, N: i32, K: i32, dst: usize): void {
  const np = (N + 7) >> 3, K4 = K & ~3;
  const rb = <usize>K << 2;
  for (let p = 0; p < np; p++) {
    const base = dst + (<usize>p * <usize>K * 8 << 2);
    const src = w + <usize>p * 8 * rb;
    const rows = min(8, N - p * 8);
    if (rows == 8) {
      for (let k = 0; k < K4; k += 4) {
        const s = src + (<usize>k << 2), d = base + (<usize>k << 5);
        store_t4x4(d, 32, v128.load(s), v128.load(s + rb), v128.load(s + 2 * rb), v128.load(s + 3 * rb));
        const s4 = s + 4 * rb;
        store_t4x4(d + 16, 32, v128.load(s4), v128.load(s4 + rb), v128.load(s4 + 2 * rb), v128.load(s4 + 3 * rb));
      }
      scatter_cols(src, rb, 4, K4, K, base, 32, 0);
      scatter_cols(src + 4 * rb, rb, 4, K4, K, base, 32, 16);
    } else {
      scatter_cols(src, rb, rows, 0, K, base, 32, 0);
      scatter_cols(src + 4 * rb, rb, rows - 4, 0, K, base, 32, 16);
    }
  }
}

/** Packs B [K][N] row-major into panels dst[p][k][c] = B[k][8p + c] (zero padded). */
export function pack_b(b: usize, K: i32, N: i32, dst: usize): void {
  const np = (N + 7) >> 3;
  const rb = <usize>N << 2;
  for (let p = 0; p < np; p++) {
    const base = dst + (<usize>p * <usize>K * 8 << 2);
    const col = b + (<usize>p << 5);
    if (p * 8 + 8 <= N) {
      for (let k = 0; k < K; k++) {
        const s = col + <usize>k * rb, d = base + (<usize>k << 5);
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
      }
    } else {
      for (let k = 0; k < K; k++) {
        const row = b + <usize>k * rb;
        for (let c = 0; c < 8; c++) {
          const n = p * 8 + c;
          store<f32>(base + ((<usize>k * 8 + c) << 2), n < N ? load<f32>(row + (<usize>n << 2)) : 0);
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function store_row8(c: usize, v0: v128, v1: v128, ncol: i32): void {
  if (ncol >= 8) {
    v128.store(c, v0);
    v128.store(c, v1, 16);
  } else {
    // partial panel: store lane by lane
    if (ncol > 0) store<f32>(c, f32x4.extract_lane(v0, 0));
    if (ncol > 1) store<f32>(c, f32x4.extract_lane(v0, 1), 4);
    if (ncol > 2) store<f32>(c, f32x4.extract_lane(v0, 2), 8);
    if (ncol > 3) store<f32>(c, f32x4.extract_lane(v0, 3), 12);
    if (ncol > 4) store<f32>(c, f32x4.extract_lane(v1, 0), 16);
    if (ncol > 5) store<f32>(c, f32x4.extract_lane(v1, 1), 20);
    if (ncol > 6) store<f32>(c, f32x4.extract_lane(v1, 2), 24);
  }
}

// @ts-ignore: decorator
@inline function load_row8(c: usize, ncol: i32, lo: bool): v128 {
  // loads 4 lanes (lo: cols 0..3, else 4..7) of a C row, zero past ncol
  const off = lo ? 0 : 4;
  if (ncol - off >= 4) return v128.load(c + (<usize>off << 2));
  let v = f32x4.splat(0);
  if (ncol - off > 0) v = f32x4.replace_lane(v, 0, load<f32>(c + (<usize>off << 2)));
  if (ncol - off > 1) v = f32x4.replace_lane(v, 1, load<f32>(c + (<usize>(off + 1) << 2)));
  if (ncol - off > 2) v = f32x4.replace_lane(v, 2, load<f32>(c + (<usize>(off + 2) << 2)));
  return v;
}

/**
 * Packs A [M][K] row-major into 4-row tiles: dst[i/4][k][i%4] (rows past M zero). Each k step
 * of a tile then reads its four A values from one pointer with immediate offsets.
 */
export function pack_a(a: usize, M: i32, K: i32, dst: usize): void {
  const nt = (M + 3) >> 2, K4 = K & ~3;
  const rb = <usize>K << 2;
  for (let t = 0; t < nt; t++) {
    const base = dst + ((<usize>t * <usize>K) << 4);
    const src = a + <usize>t * 4 * rb;
    const rows = min(4, M - t * 4);
    if (rows == 4) {
      for (let k = 0; k < K4; k += 4) {
        const s = src + (<usize>k << 2);
        store_t4x4(base + (<usize>k << 4), 16, v128.load(s), v128.load(s + rb), v128.load(s + 2 * rb), v128.load(s + 3 * rb));
      }
      scatter_cols(src, rb, 4, K4, K, base, 16, 0);
    } else {
      scatter_cols(src, rb, rows, 0, K, base, 16, 0);
    }
  }
}

/** Packs A given transposed, Aᵀ [K][M] row-major, into pack_a's tiles: dst[i/4][k][i%4] = Aᵀ[k][i]. */
export function pack_at(at: usize, M: i32, K: i32, dst: usize): void {
  const nt = (M + 3) >> 2;
  const rb = <usize>M << 2;
  for (let t = 0; t < nt; t++) {
    const base = dst + ((<usize>t * <usize>K) << 4);
    const col = at + (<usize>t << 4);
    if (t * 4 + 4 <= M) {
      for (let k = 0; k < K; k++) v128.store(base + (<usize>k << 4), v128.load(col + <usize>k * rb));
    } else {
      for (let k = 0; k < K; k++) {
        for (let r = 0; r < 4; r++) {
          const i = t * 4 + r;
          store<f32>(base + (<usize>k << 4) + (<usize>r << 2), i < M ? load<f32>(at + <usize>k * rb + (<usize>i << 2)) : 0);
        }
      }
    }
  }
}

/** 4 rows x 8 cols tile over k in [k0, k1); pa: packed A tile ([k][4]), bp: B panel ([k][8]). */
// @ts-ignore: decorator
@inline export function tile4x8(pa0: usize, bp: usize, c: usize, ldc: i32, k0: i32, k1: i32, load_c: bool, ncol: i32, nrow: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const ldcb = <usize>ldc << 2;
  if (load_c) {
    c00 = load_row8(c, ncol, true); c01 = load_row8(c, ncol, false);
    if (nrow > 1) { c10 = load_row8(c + ldcb, ncol, true); c11 = load_row8(c + ldcb, ncol, false); }
    if (nrow > 2) { c20 = load_row8(c + 2 * ldcb, ncol, true); c21 = load_row8(c + 2 * ldcb, ncol, false); }
    if (nrow > 3) { c30 = load_row8(c + 3 * ldcb, ncol, true); c31 = load_row8(c + 3 * ldcb, ncol, false); }
  }
  let pa = pa0 + (<usize>k0 << 4);
  let pb = bp + (<usize>k0 << 5);
  let k = k0;
  // one k step per iteration: unrolling lets Binaryen nest the four updates of each
  // accumulator into one expression tree, which makes V8 spill (measured: 35 -> 26 GFLOP/s)
  for (; k < k1; k++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let av = v128.load32_splat(pa);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(pa, 4); c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(pa, 8); c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(pa, 12); c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    pa += 16; pb += 32;
  }
  store_row8(c, c00, c01, ncol);
  if (nrow > 1) store_row8(c + ldcb, c10, c11, ncol);
  if (nrow > 2) store_row8(c + 2 * ldcb, c20, c21, ncol);
  if (nrow > 3) store_row8(c + 3 * ldcb, c30, c31, ncol);
}

/** 1 row x 8 cols tile (single-row products: mat-vec) reading A with a stride of `as` bytes per k. */
// @ts-ignore: decorator
@inline function tile1x8(a: usize, as: usize, bp: usize, c: usize, k0: i32, k1: i32, load_c: bool, ncol: i32): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  if (load_c) { c0 = load_row8(c, ncol, true); c1 = load_row8(c, ncol, false); }
  let pa = a + <usize>k0 * as;
  let pb = bp + (<usize>k0 << 5);
  let k = k0;
  for (; k + 2 <= k1; k += 2) {
    const a0 = v128.load32_splat(pa);
    const a1 = v128.load32_splat(pa + as);
    c0 = madd(a0, v128.load(pb), c0); c1 = madd(a0, v128.load(pb, 16), c1);
    d0 = madd(a1, v128.load(pb, 32), d0); d1 = madd(a1, v128.load(pb, 48), d1);
    pa += 2 * as; pb += 64;
  }
  if (k < k1) {
    const a0 = v128.load32_splat(pa);
    c0 = madd(a0, v128.load(pb), c0); c1 = madd(a0, v128.load(pb, 16), c1);
  }
  store_row8(c, f32x4.add(c0, d0), f32x4.add(c1, d1), ncol);
}

/**
 * C [M][N] (row-major, ldc = N) = A x B (+ C when accumulate != 0). `a` is A packed by pack_a
 * when M > 1, or the plain row when M == 1 (mat-vec); `bp` is B packed by pack_b/pack_bt.
 * Threads claim chunks of 8-column panels. K is blocked by 256 so the panel
 * slice (8 KiB) stays in L1 while all row tiles pass over it.
 */
export function gemm_packed(a: usize, bp: usize, c: usize, M: i32, N: i32, K: i32, accumulate: i32, ith: i32, nth: i32): void {
  const np = (N + 7) >> 3;
  // chunks of PC panels (all of K and M for each)
  const PC = 4;
  for (let ch = chunk_first(nth); ch * PC < np; ch = chunk_next(ch, nth)) {
    const p0 = ch * PC, p1 = min(p0 + PC, np);
    if (K == 0) {
      if (accumulate == 0) for (let i = 0; i < M; i++) for (let n = p0 * 8; n < min(p1 * 8, N); n++) store<f32>(c + ((<usize>i * N + n) << 2), 0);
      continue;
    }
    for (let k0 = 0; k0 < K; k0 += KC) {
      const k1 = min(k0 + KC, K);
      const load_c = accumulate != 0 || k0 > 0;
      if (M == 1) {
        for (let p = p0; p < p1; p++) tile1x8(a, 4, bp + ((<usize>p * <usize>K) << 5), c + (<usize>(p * 8) << 2), k0, k1, load_c, min(8, N - p * 8));
        continue;
      }
      for (let i0 = 0; i0 < M; i0 += MC) {
        const i1 = min(i0 + MC, M);
        for (let p = p0; p < p1; p++) {
          const bpp = bp + ((<usize>p * <usize>K) << 5);
          const ncol = min(8, N - p * 8);
          const cp = c + (<usize>(p * 8) << 2);
          for (let i = i0; i < i1; i += 4) {
            tile4x8(a + ((<usize>i * <usize>K) << 2), bpp, cp + ((<usize>i * N) << 2), N, k0, k1, load_c, ncol, min(4, M - i));
          }
        }
      }
    }
  }
}

/**
 * Packs rows [n0, n0 + 8) of a weight W [N][K] row-major (f32, or f16 when `f16` != 0; rows past
 * N are zero) into one panel dst[k][8] f32 (pack_bt's layout for a single panel).
 */
function pack_panel_w(w: usize, N: i32, K: i32, f16: i32, n0: i32, dst: usize): void {
  for (let c = 0; c < 8; c++) {
    const n = n0 + c;
    if (n >= N) {
      for (let k = 0; k < K; k++) store<f32>(dst + ((<usize>k * 8 + c) << 2), 0);
      continue;
    }
    if (f16 != 0) {
      const src = w + ((<usize>n * <usize>K) << 1);
      let k = 0;
      for (; k + 4 <= K; k += 4) {
        const v = halves_to_f32x4(v128.load16x4_u(src + (<usize>k << 1)));
        const o = dst + ((<usize>k * 8 + c) << 2);
        store<f32>(o, f32x4.extract_lane(v, 0)); store<f32>(o, f32x4.extract_lane(v, 1), 32);
        store<f32>(o, f32x4.extract_lane(v, 2), 64); store<f32>(o, f32x4.extract_lane(v, 3), 96);
      }
      for (; k < K; k++) store<f32>(dst + ((<usize>k * 8 + c) << 2), f32x4.extract_lane(halves_to_f32x4(i32x4.splat(<i32>load<u16>(src + (<usize>k << 1)))), 0));
    } else {
      const src = w + ((<usize>n * <usize>K) << 2);
      for (let k = 0; k < K; k++) store<f32>(dst + ((<usize>k * 8 + c) << 2), load<f32>(src + (<usize>k << 2)));
    }
  }
}

/**
 * C [M][N] = A x W^T for a weight W [N][K] row-major in f32 (f16 != 0: IEEE halves), as ggml
 * stores it, without a packed copy of W: a thread packs each 8-row panel it claims into its
 * scratch (K*32 bytes at scratch + ith*scratchStride) and runs the 4x8 tiles of gemm_packed over
 * all M rows of A (packed by pack_a). Each C element is summed over k in order.
 */
export function gemm_wt(a: usize, w: usize, c: usize, M: i32, N: i32, K: i32, f16: i32, scratch: usize, scratchStride: i32, ith: i32, nth: i32): void {
  const np = (N + 7) >> 3;
  const bp = scratch + <usize>ith * <usize>scratchStride;
  // chunks of 2 panels (16 columns: whole 64-byte lines of each C row)
  for (let ch = chunk_first(nth); ch * 2 < np; ch = chunk_next(ch, nth)) for (let p = ch * 2; p < min(np, ch * 2 + 2); p++) {
    pack_panel_w(w, N, K, f16, p * 8, bp);
    const ncol = min(8, N - p * 8);
    const cp = c + (<usize>(p * 8) << 2);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const k1 = min(k0 + KC, K);
      for (let i = 0; i < M; i += 4) {
        tile4x8(a + ((<usize>i * <usize>K) << 2), bp, cp + ((<usize>i * N) << 2), N, k0, k1, k0 > 0, ncol, min(4, M - i));
      }
    }
  }
}

// Row-wise and element-wise ops: RMSNorm, LayerNorm, softmax, RoPE, attention, SiLU, GELU,
// add/mul/scale. Semantics: src/kernels/ref/*. Threads claim rows (or chunks of elements).
import { chunk_first, chunk_next, exp_f32x4, f32_to_half, half_to_f32, madd } from "./common";
import { tile4x8 } from "./gemm";

/** RMSNorm rows [r0,r1) of x [nRows][n] into out; w = 0 for no weight. Σx² in f64 (as ggml). */
export function rms_norm(x: usize, out: usize, nRows: i32, n: i32, eps: f32, w: usize, ith: i32, nth: i32): void {
  for (let r = chunk_first(nth); r < nRows; r = chunk_next(r, nth)) {
    const xr = x + ((<usize>r * <usize>n) << 2), yr = out + ((<usize>r * <usize>n) << 2);
    let sum: f64 = 0;
    for (let i = 0; i < n; i++) { const v = load<f32>(xr + (<usize>i << 2)); sum += <f64>(v * v); }
    const mean = <f32>(sum / <f64>n);
    const scale: f32 = <f32>1 / Mathf.sqrt(mean + eps);
    const sv = f32x4.splat(scale);
    let i = 0;
    if (w != 0) {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(yr + o, f32x4.mul(f32x4.mul(v128.load(xr + o), sv), v128.load(w + o)));
      }
      for (; i < n; i++) { const o = <usize>i << 2; store<f32>(yr + o, (load<f32>(xr + o) * scale) * load<f32>(w + o)); }
    } else {
      for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(yr + o, f32x4.mul(v128.load(xr + o), sv)); }
      for (; i < n; i++) { const o = <usize>i << 2; store<f32>(yr + o, load<f32>(xr + o) * scale); }
    }
  }
}

/** LayerNorm rows of x [nRows][n] into out; w/b = 0 when absent. Sums in f64 (as ggml at the vectors' commit). */
export function layer_norm(x: usize, out: usize, nRows: i32, n: i32, eps: f32, w: usize, b: usize, ith: i32, nth: i32): void {
  for (let r = chunk_first(nth); r < nRows; r = chunk_next(r, nth)) {
    const xr = x + ((<usize>r * <usize>n) << 2), yr = out + ((<usize>r * <usize>n) << 2);
    let sum: f64 = 0;
    for (let i = 0; i < n; i++) sum += <f64>load<f32>(xr + (<usize>i << 2));
    const mean = <f32>(sum / <f64>n);
    let sum2: f64 = 0;
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(xr + o) - mean;
      store<f32>(yr + o, v);
      sum2 += <f64>(v * v);
    }
    const variance = <f32>(sum2 / <f64>n);
    const scale: f32 = <f32>1 / Mathf.sqrt(variance + eps);
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 2;
      let y = load<f32>(yr + o) * scale;
      if (w != 0) y = y * load<f32>(w + o);
      if (b != 0) y = y + load<f32>(b + o);
      store<f32>(yr + o, y);
    }
  }
}

/** exp(w − max) over w[0..n) in place (f32 exp, see exp_f32x4), returns the sum in f64. */
// @ts-ignore: decorator
@inline function exp_row(w: usize, n: i32, mx: f32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  const mv = f32x4.splat(mx);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const e = exp_f32x4(f32x4.sub(v128.load(w + o), mv));
    v128.store(w + o, e);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(e));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)));
  }
  const s = f64x2.add(s0, s1);
  let sum = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const e = f32x4.extract_lane(exp_f32x4(f32x4.splat(load<f32>(w + o) - mx)), 0);
    store<f32>(w + o, e);
    sum += <f64>e;
  }
  return sum;
}

// @ts-ignore: decorator
@inline function scale_row(w: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(w + (<usize>i << 2), f32x4.mul(v128.load(w + (<usize>i << 2)), sv));
  for (; i < n; i++) store<f32>(w + (<usize>i << 2), load<f32>(w + (<usize>i << 2)) * s);
}

/** Row softmax of x [nRows][n] * scale into out (may alias). */
export function softmax(x: usize, out: usize, nRows: i32, n: i32, scale: f32, ith: i32, nth: i32): void {
  for (let r = chunk_first(nth); r < nRows; r = chunk_next(r, nth)) {
    const xr = x + ((<usize>r * <usize>n) << 2), yr = out + ((<usize>r * <usize>n) << 2);
    let mx: f32 = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = load<f32>(xr + (<usize>i << 2)) * scale;
      store<f32>(yr + (<usize>i << 2), v);
      if (v > mx) mx = v;
    }
    const sum = exp_row(yr, n, mx);
    scale_row(yr, n, <f32>(1 / sum));
  }
}

/**
 * RoPE in place on x [nTok][nHead][headDim]; cs: [nTok][nRot] interleaved cos,sin per pair
 * (computed by ref ropeCache). neox != 0 rotates (i, i+nRot/2), else (2i, 2i+1). Threads claim tokens.
 */
export function rope(x: usize, nTok: i32, nHead: i32, headDim: i32, nRot: i32, neox: i32, cs: usize, ith: i32, nth: i32): void {
  const half = nRot >> 1;
  for (let t = chunk_first(nth); t < nTok; t = chunk_next(t, nth)) {
    const c = cs + ((<usize>t * <usize>nRot) << 2);
    for (let h = 0; h < nHead; h++) {
      const base = x + (((<usize>t * <usize>nHead + <usize>h) * <usize>headDim) << 2);
      for (let i = 0; i < half; i++) {
        const co = load<f32>(c + (<usize>(2 * i) << 2)), si = load<f32>(c + (<usize>(2 * i + 1) << 2));
        const pa = neox != 0 ? base + (<usize>i << 2) : base + (<usize>(2 * i) << 2);
        const pb = neox != 0 ? pa + (<usize>half << 2) : pa + 4;
        const a = load<f32>(pa), b = load<f32>(pb);
        store<f32>(pa, a * co - b * si);
        store<f32>(pb, a * si + b * co);
      }
    }
  }
}

/**
 * Causal attention (see ref attention.ts). q/out [nTok][nHead][hd], k/v [pos][nHeadKv][hd].
 * slopes: f32[nHead] ALiBi slopes or 0; scratch: f32[(pos0+nTok)] per thread (scratch + ith*scratchStride bytes).
 * Threads claim heads.
 */
export function attention(q: usize, k: usize, v: usize, out: usize, nTok: i32, nHead: i32, nHeadKv: i32, hd: i32, pos0: i32, scale: f32, slopes: usize, scratch: usize, scratchStride: i32, ith: i32, nth: i32): void {
  const w = scratch + <usize>ith * <usize>scratchStride;
  const group = nHead / nHeadKv;
  const qStride = <usize>nHead * <usize>hd, kvStride = <usize>nHeadKv * <usize>hd;
  for (let h = chunk_first(nth); h < nHead; h = chunk_next(h, nth)) {
    const g = h / group;
    const slope: f32 = slopes != 0 ? load<f32>(slopes + (<usize>h << 2)) : 0;
    for (let t = 0; t < nTok; t++) {
      const p = pos0 + t;
      const qp = q + ((<usize>t * qStride + <usize>h * <usize>hd) << 2);
      const op = out + ((<usize>t * qStride + <usize>h * <usize>hd) << 2);
      let mx: f32 = -Infinity;
      const kg = k + ((<usize>g * <usize>hd) << 2);
      let j = 0;
      // four keys at a time: four independent accumulator chains (each score's own operations
      // are those of the one-key loop below)
      for (; j + 3 <= p; j += 4) {
        const k0 = kg + ((<usize>j * kvStride) << 2), kb = kvStride << 2;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let i = 0;
        for (; i + 4 <= hd; i += 4) {
          const o = <usize>i << 2;
          const qv = v128.load(qp + o);
          a0 = madd(qv, v128.load(k0 + o), a0);
          a1 = madd(qv, v128.load(k0 + kb + o), a1);
          a2 = madd(qv, v128.load(k0 + 2 * kb + o), a2);
          a3 = madd(qv, v128.load(k0 + 3 * kb + o), a3);
        }
        for (let u = 0; u < 4; u++) {
          const kp = k0 + <usize>u * kb;
          const acc = u == 0 ? a0 : u == 1 ? a1 : u == 2 ? a2 : a3;
          let sc = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
          for (let ii = i; ii < hd; ii++) sc += load<f32>(qp + (<usize>ii << 2)) * load<f32>(kp + (<usize>ii << 2));
          sc = sc * scale;
          if (slopes != 0) sc = sc + slope * <f32>(j + u - p);
          store<f32>(w + (<usize>(j + u) << 2), sc);
          if (sc > mx) mx = sc;
        }
      }
      for (; j <= p; j++) {
        const kp = kg + ((<usize>j * kvStride) << 2);
        let acc = f32x4.splat(0);
        let i = 0;
        for (; i + 4 <= hd; i += 4) acc = madd(v128.load(qp + (<usize>i << 2)), v128.load(kp + (<usize>i << 2)), acc);
        let sc = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
        for (; i < hd; i++) sc += load<f32>(qp + (<usize>i << 2)) * load<f32>(kp + (<usize>i << 2));
        sc = sc * scale;
        if (slopes != 0) sc = sc + slope * <f32>(j - p);
        store<f32>(w + (<usize>j << 2), sc);
        if (sc > mx) mx = sc;
      }
      const sum = exp_row(w, p + 1, mx);
      scale_row(w, p + 1, <f32>(1 / sum));
      // out = Σ_j w_j v_j, each element summed in j order with a separate multiply and add (the
      // reference's rounding); 32 output columns at a time stay in registers over all j
      const vg = v + ((<usize>g * <usize>hd) << 2);
      let c = 0;
      for (; c + 32 <= hd; c += 32) {
        let o0 = f32x4.splat(0), o1 = f32x4.splat(0), o2 = f32x4.splat(0), o3 = f32x4.splat(0);
        let o4 = f32x4.splat(0), o5 = f32x4.splat(0), o6 = f32x4.splat(0), o7 = f32x4.splat(0);
        let vp = vg + (<usize>c << 2);
        for (let jj = 0; jj <= p; jj++) {
          const wv = v128.load32_splat(w + (<usize>jj << 2));
          o0 = f32x4.add(o0, f32x4.mul(wv, v128.load(vp))); o1 = f32x4.add(o1, f32x4.mul(wv, v128.load(vp, 16)));
          o2 = f32x4.add(o2, f32x4.mul(wv, v128.load(vp, 32))); o3 = f32x4.add(o3, f32x4.mul(wv, v128.load(vp, 48)));
          o4 = f32x4.add(o4, f32x4.mul(wv, v128.load(vp, 64))); o5 = f32x4.add(o5, f32x4.mul(wv, v128.load(vp, 80)));
          o6 = f32x4.add(o6, f32x4.mul(wv, v128.load(vp, 96))); o7 = f32x4.add(o7, f32x4.mul(wv, v128.load(vp, 112)));
          vp += kvStride << 2;
        }
        const oc = op + (<usize>c << 2);
        v128.store(oc, o0); v128.store(oc, o1, 16); v128.store(oc, o2, 32); v128.store(oc, o3, 48);
        v128.store(oc, o4, 64); v128.store(oc, o5, 80); v128.store(oc, o6, 96); v128.store(oc, o7, 112);
      }
      for (; c + 4 <= hd; c += 4) {
        let o0 = f32x4.splat(0);
        let vp = vg + (<usize>c << 2);
        for (let jj = 0; jj <= p; jj++) {
          o0 = f32x4.add(o0, f32x4.mul(v128.load32_splat(w + (<usize>jj << 2)), v128.load(vp)));
          vp += kvStride << 2;
        }
        v128.store(op + (<usize>c << 2), o0);
      }
      for (; c < hd; c++) {
        let o0: f32 = 0;
        for (let jj = 0; jj <= p; jj++) o0 = o0 + load<f32>(w + (<usize>jj << 2)) * load<f32>(vg + ((<usize>jj * kvStride + <usize>c) << 2));
        store<f32>(op + (<usize>c << 2), o0);
      }
    }
  }
}

// ----- attention over many tokens (prefill): two f32 GEMMs per head -----

/** Floats of one thread's attention_gemm scratch for nTok queries over nKv keys of hd dims. */
function attn_scratch_floats(nTok: i32, nKv: i32, hd: i32): i32 {
  const tp = (nTok + 3) & ~3, kp = (nKv + 7) & ~7, hp = (hd + 7) & ~7;
  return tp * hd + kp * hd + hp * nKv + nTok * kp + tp * kp;
}

/** Bytes of one thread's scratch for attention_gemm (see there). */
export function attention_gemm_scratch_bytes(nTok: i32, nKv: i32, hd: i32): i32 {
  return attn_scratch_floats(nTok, nKv, hd) << 2;
}

/** gemm.ts pack_a for rows `rs` bytes apart: dst[i/4][k][i%4] = A[i][k] (zero rows past M). */
function pack_a_rows(a: usize, rs: usize, M: i32, K: i32, dst: usize): void {
  const nt = (M + 3) >> 2;
  for (let t = 0; t < nt; t++) {
    const base = dst + ((<usize>t * <usize>K) << 4);
    if (t * 4 + 4 <= M) {
      // four full rows: 4x4 transposes
      const r0 = a + <usize>(t * 4) * rs;
      let k = 0;
      for (; k + 4 <= K; k += 4) {
        const o = <usize>k << 2;
        const x0 = v128.load(r0 + o), x1 = v128.load(r0 + rs + o), x2 = v128.load(r0 + 2 * rs + o), x3 = v128.load(r0 + 3 * rs + o);
        const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
        const d = base + (<usize>k << 4);
        v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
        v128.store(d, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
        v128.store(d, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
        v128.store(d, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
      }
      for (; k < K; k++) {
        const o = <usize>k << 2;
        const d = base + (<usize>k << 4);
        store<f32>(d, load<f32>(r0 + o)); store<f32>(d, load<f32>(r0 + rs + o), 4);
        store<f32>(d, load<f32>(r0 + 2 * rs + o), 8); store<f32>(d, load<f32>(r0 + 3 * rs + o), 12);
      }
      continue;
    }
    for (let r = 0; r < 4; r++) {
      const i = t * 4 + r;
      const src = a + <usize>i * rs;
      for (let k = 0; k < K; k++) store<f32>(base + ((<usize>k << 4) + (<usize>r << 2)), i < M ? load<f32>(src + (<usize>k << 2)) : 0);
    }
  }
}

/** Panels of B^T from rows `rs` bytes apart: dst[p][k][c] = row (8p + c) element k (zero past N). */
function pack_bt_rows(w: usize, rs: usize, N: i32, K: i32, dst: usize): void {
  const np = (N + 7) >> 3;
  for (let p = 0; p < np; p++) {
    const base = dst + (<usize>p * <usize>K * 8 << 2);
    for (let c = 0; c < 8; c++) {
      const n = p * 8 + c;
      const src = w + <usize>n * rs;
      for (let k = 0; k < K; k++) store<f32>(base + ((<usize>k * 8 + c) << 2), n < N ? load<f32>(src + (<usize>k << 2)) : 0);
    }
  }
}

/** Panels of B [K][N] from rows `rs` bytes apart: dst[p][k][c] = B[k][8p + c] (zero past N). */
function pack_b_rows(b: usize, rs: usize, K: i32, N: i32, dst: usize): void {
  const np = (N + 7) >> 3;
  for (let p = 0; p < np; p++) {
    const base = dst + (<usize>p * <usize>K * 8 << 2);
    for (let k = 0; k < K; k++) {
      const row = b + <usize>k * rs;
      for (let c = 0; c < 8; c++) {
        const n = p * 8 + c;
        store<f32>(base + ((<usize>k * 8 + c) << 2), n < N ? load<f32>(row + (<usize>n << 2)) : 0);
      }
    }
  }
}

/**
 * `attention` for many query tokens: per head, scores S = Q·Kᵀ with the 4x8 GEMM tiles (only the
 * key panels a tile's causal window reaches), softmax per row, then out = W·V with the same
 * tiles. Each score and output element is summed over its index in order, as in ref/attention.ts.
 * scratch: attention_gemm_scratch_bytes(nTok, pos0 + nTok, hd) per thread, at scratch +
 * ith*scratchStride. Threads claim heads.
 */
export function attention_gemm(q: usize, k: usize, v: usize, out: usize, nTok: i32, nHead: i32, nHeadKv: i32, hd: i32, pos0: i32, scale: f32, slopes: usize, scratch: usize, scratchStride: i32, ith: i32, nth: i32): void {
  const nKv = pos0 + nTok;
  const tp = (nTok + 3) & ~3, kp = (nKv + 7) & ~7;
  const qa = scratch + <usize>ith * <usize>scratchStride;   // Q_h packed: tp x hd
  const kb = qa + ((<usize>tp * <usize>hd) << 2);           // K_h panels: kp x hd
  const vb = kb + ((<usize>kp * <usize>hd) << 2);           // V_h panels: hp x nKv
  const sc = vb + ((<usize>((hd + 7) & ~7) * <usize>nKv) << 2); // scores / weights: nTok x kp
  const wa = sc + ((<usize>nTok * <usize>kp) << 2);          // weights packed: tp x kp
  const group = nHead / nHeadKv;
  const qs = (<usize>nHead * <usize>hd) << 2, kvs = (<usize>nHeadKv * <usize>hd) << 2;
  for (let h = chunk_first(nth); h < nHead; h = chunk_next(h, nth)) {
    const g = h / group;
    const slope: f32 = slopes != 0 ? load<f32>(slopes + (<usize>h << 2)) : 0;
    pack_a_rows(q + ((<usize>h * <usize>hd) << 2), qs, nTok, hd, qa);
    pack_bt_rows(k + ((<usize>g * <usize>hd) << 2), kvs, nKv, hd, kb);
    pack_b_rows(v + ((<usize>g * <usize>hd) << 2), kvs, nKv, hd, vb);
    for (let t0 = 0; t0 < nTok; t0 += 4) {
      const nrow = min(4, nTok - t0), kmax = pos0 + t0 + nrow;
      const pa = qa + ((<usize>t0 * <usize>hd) << 2);
      for (let p = 0; p * 8 < kmax; p++) {
        tile4x8(pa, kb + ((<usize>p * <usize>hd) << 5), sc + ((<usize>t0 * <usize>kp + <usize>(p * 8)) << 2), kp, 0, hd, false, 8, nrow);
      }
    }
    for (let t = 0; t < nTok; t++) {
      const p = pos0 + t;
      const row = sc + ((<usize>t * <usize>kp) << 2);
      let mx: f32 = -Infinity;
      let j = 0;
      if (slopes == 0) {
        const sv = f32x4.splat(scale);
        let mv = f32x4.splat(-Infinity);
        for (; j + 4 <= p + 1; j += 4) {
          const o = row + (<usize>j << 2);
          const x = f32x4.mul(v128.load(o), sv);
          v128.store(o, x);
          mv = f32x4.max(mv, x);
        }
        mx = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
      }
      for (; j <= p; j++) {
        let s = load<f32>(row + (<usize>j << 2)) * scale;
        if (slopes != 0) s = s + slope * <f32>(j - p);
        store<f32>(row + (<usize>j << 2), s);
        if (s > mx) mx = s;
      }
      const sum = exp_row(row, p + 1, mx);
      scale_row(row, p + 1, <f32>(1 / sum));
      // zero the weights past this row's last key up to its tile's window (read by the W·V tiles)
      const kend = min(kp, pos0 + (t | 3) + 1);
      for (let j = p + 1; j < kend; j++) store<f32>(row + (<usize>j << 2), 0);
    }
    pack_a_rows(sc, <usize>kp << 2, nTok, kp, wa);
    const ob = out + ((<usize>h * <usize>hd) << 2);
    for (let t0 = 0; t0 < nTok; t0 += 4) {
      const nrow = min(4, nTok - t0), kmax = pos0 + t0 + nrow;
      const pa = wa + ((<usize>t0 * <usize>kp) << 2);
      for (let c = 0; c < hd; c += 8) {
        tile4x8(pa, vb + ((<usize>c * <usize>nKv) << 2), ob + <usize>t0 * qs + (<usize>c << 2), nHead * hd, 0, kmax, false, min(8, hd - c), nrow);
      }
    }
  }
}

/** SiLU: out[i] = x/(1+exp(−x)) for this thread's share of n (exp: exp_f32x4). */
export function silu(x: usize, out: usize, n: i32, ith: i32, nth: i32): void {
  swiglu(x, 0, out, n, ith, nth);
}

/** Elements per chunk of the element-wise kernels (a multiple of 4). */
const EW: i32 = 8192;

/** SwiGLU: out[i] = silu(gate[i]) * up[i] (up = 0: plain SiLU). */
export function swiglu(gate: usize, up: usize, out: usize, n: i32, ith: i32, nth: i32): void {
  for (let c = chunk_first(nth); c * EW < n; c = chunk_next(c, nth)) swiglu_range(gate, up, out, c * EW, min(n, c * EW + EW));
}

// @ts-ignore: decorator
@inline function swiglu_range(gate: usize, up: usize, out: usize, i0: i32, i1: i32): void {
  const one = f32x4.splat(1);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(gate + o);
    let y = f32x4.div(v, f32x4.add(one, exp_f32x4(f32x4.neg(v))));
    if (up != 0) y = f32x4.mul(y, v128.load(up + o));
    v128.store(out + o, y);
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(gate + o);
    let y = v / (<f32>1 + f32x4.extract_lane(exp_f32x4(f32x4.splat(-v)), 0));
    if (up != 0) y = y * load<f32>(up + o);
    store<f32>(out + o, y);
  }
}

/** GELU via ggml's fp16 table (u16[65536] at `table`, filled from JS). */
export function gelu(x: usize, out: usize, n: i32, table: usize, ith: i32, nth: i32): void {
  for (let c = chunk_first(nth); c * EW < n; c = chunk_next(c, nth)) {
    for (let i = c * EW, i1 = min(n, c * EW + EW); i < i1; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    let y: f32;
    if (v <= -10) y = 0;
    else if (v >= 10) y = v;
    else y = half_to_f32(load<u16>(table + (<usize>f32_to_half(v) << 1)));
    store<f32>(out + o, y);
    }
  }
}

/** Element-wise: op 0 add, 1 mul. out[i] = a[i] op b[i]. */
export function binary(op: i32, a: usize, b: usize, out: usize, n: i32, ith: i32, nth: i32): void {
  for (let c = chunk_first(nth); c * EW < n; c = chunk_next(c, nth)) binary_range(op, a, b, out, c * EW, min(n, c * EW + EW));
}

// @ts-ignore: decorator
@inline function binary_range(op: i32, a: usize, b: usize, out: usize, i0: i32, i1: i32): void {
  let i = i0;
  if (op == 0) {
    for (; i + 4 <= i1; i += 4) { const o = <usize>i << 2; v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o))); }
    for (; i < i1; i++) { const o = <usize>i << 2; store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o)); }
  } else {
    for (; i + 4 <= i1; i += 4) { const o = <usize>i << 2; v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o))); }
    for (; i < i1; i++) { const o = <usize>i << 2; store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o)); }
  }
}

/** out[i] = a[i] * s. */
export function scale(a: usize, s: f32, out: usize, n: i32, ith: i32, nth: i32): void {
  for (let c = chunk_first(nth); c * EW < n; c = chunk_next(c, nth)) scale_range(a, s, out, c * EW, min(n, c * EW + EW));
}

// @ts-ignore: decorator
@inline function scale_range(a: usize, s: f32, out: usize, i0: i32, i1: i32): void {
  const sv = f32x4.splat(s);
  let i = i0;
  for (; i + 4 <= i1; i += 4) { const o = <usize>i << 2; v128.store(out + o, f32x4.mul(v128.load(a + o), sv)); }
  for (; i < i1; i++) { const o = <usize>i << 2; store<f32>(out + o, load<f32>(a + o) * s); }
}

/** Row broadcast: op 0 add, 1 mul. out[r][i] = x[r][i] op row[i], rows claimed by threads. */
export function binary_row(op: i32, x: usize, row: usize, out: usize, nRows: i32, n: i32, ith: i32, nth: i32): void {
  for (let r = chunk_first(nth); r < nRows; r = chunk_next(r, nth)) {
    const off = (<usize>r * <usize>n) << 2;
    binary(op, x + off, row, out + off, n, 0, 1);
  }
}

/**
 * Rotary position embedding (Su et al. 2021, RoFormer) as ggml's CPU `rope_f32` computes it
 * (ggml-cpu ops.cpp: ggml_rope_cache_init, rope_yarn, rotate_pairs), including partial rotary,
 * linear frequency scaling, per-frequency factors (`rope_freqs.weight`, Llama-3 scaling) and YaRN.
 */
import { GlassboxError } from "../../errors.js";
import { checkLen, checkSize } from "./tensor.js";

const fr = Math.fround;

/** RoPE parameters; names follow llama.cpp's hparams. */
export interface RopeOptions {
  /** Rotated dims per head (`rope.dimension_count`, n_rot); even, <= headDim. The rest pass through. */
  readonly nRot: number;
  /**
   * "norm" (GGML_ROPE_TYPE_NORM, llama): rotates pairs (2i, 2i+1).
   * "neox" (GGML_ROPE_TYPE_NEOX, qwen2/falcon/gptneox...): rotates pairs (i, i + nRot/2).
   */
  readonly mode: "norm" | "neox";
  /** `rope.freq_base` (theta base), e.g. 10000. */
  readonly freqBase: number;
  /** Linear scaling: theta is multiplied by this (1/`rope.scaling.factor`); default 1. */
  readonly freqScale?: number;
  /** Per-pair divisors of theta (`rope_freqs.weight`, length >= nRot/2), as Llama-3 scaling uses. */
  readonly freqFactors?: Float32Array;
  /** YaRN extrapolation mix (0 = off, the default). */
  readonly extFactor?: number;
  /** Magnitude factor applied to cos/sin (default 1). */
  readonly attnFactor?: number;
  /** YaRN beta_fast (default 32) and beta_slow (default 1). */
  readonly betaFast?: number;
  readonly betaSlow?: number;
  /** YaRN original context length (`rope.scaling.original_context_length`); needed when extFactor != 0. */
  readonly nCtxOrig?: number;
}

/**
 * Fills `cache[2i], cache[2i+1]` (i < nRot/2) with cos and sin of pair i at position `pos`,
 * in f32 as ggml: theta starts at pos and is multiplied by powf(base, −2/nRot) per pair.
 */
export function ropeCache(cache: Float32Array, pos: number, o: RopeOptions): void {
  const nRot = o.nRot;
  const freqScale = fr(o.freqScale ?? 1);
  const ext = fr(o.extFactor ?? 0);
  let mscale = fr(o.attnFactor ?? 1);
  const thetaScale = fr(Math.pow(fr(o.freqBase), fr(-2 / nRot)));
  let c0 = 0, c1 = 0;
  if (ext !== 0) {
    const nCtx = o.nCtxOrig ?? 0;
    const corr = (nr: number): number => fr((nRot * fr(Math.log(fr(nCtx / fr(nr * 2 * fr(Math.PI)))))) / fr(2 * fr(Math.log(fr(o.freqBase)))));
    c0 = Math.max(0, Math.floor(corr(fr(o.betaFast ?? 32))));
    c1 = Math.min(nRot - 1, Math.ceil(corr(fr(o.betaSlow ?? 1))));
    mscale = fr(mscale * fr(1 + fr(0.1 * fr(Math.log(fr(1 / freqScale))))));
  }
  let theta = fr(pos);
  for (let i0 = 0; i0 < nRot; i0 += 2) {
    const ff = o.freqFactors ? o.freqFactors[i0 / 2]! : 1;
    const extrap = fr(theta / ff);
    let th = fr(freqScale * extrap);
    if (ext !== 0) {
      const y = fr(fr((i0 >> 1) - c0) / Math.max(fr(0.001), fr(c1 - c0)));
      const mix = fr(fr(1 - Math.min(1, Math.max(0, y))) * ext);
      th = fr(fr(th * fr(1 - mix)) + fr(extrap * mix));
    }
    cache[i0] = fr(fr(Math.cos(th)) * mscale);
    cache[i0 + 1] = fr(fr(Math.sin(th)) * mscale);
    theta = fr(theta * thetaScale);
  }
}

/**
 * Applies RoPE in place to `x: [nTokens][nHead][headDim]` (row-major), token t at position
 * `positions[t]`. Each rotated pair (a, b) becomes (a·cos − b·sin, a·sin + b·cos) in f32.
 * @throws KERNEL_BAD_SHAPE when nRot is odd or > headDim, or buffers are short.
 */
export function rope(x: Float32Array, nTokens: number, nHead: number, headDim: number, positions: ArrayLike<number>, o: RopeOptions): void {
  checkSize("nTokens", nTokens); checkSize("nHead", nHead); checkSize("headDim", headDim);
  if (o.nRot % 2 !== 0 || o.nRot > headDim || o.nRot <= 0) throw new GlassboxError("KERNEL_BAD_SHAPE", `rope nRot ${o.nRot} must be even and in (0, headDim=${headDim}]`);
  checkLen("x", x, nTokens * nHead * headDim);
  checkLen("positions", positions, nTokens);
  if (o.freqFactors) checkLen("freqFactors", o.freqFactors, o.nRot / 2);
  const cache = new Float32Array(o.nRot);
  const half = o.nRot / 2;
  for (let t = 0; t < nTokens; t++) {
    ropeCache(cache, positions[t]!, o);
    for (let h = 0; h < nHead; h++) {
      const base = (t * nHead + h) * headDim;
      for (let i = 0; i < half; i++) {
        const c = cache[2 * i]!, s = cache[2 * i + 1]!;
        const ia = o.mode === "norm" ? base + 2 * i : base + i;
        const ib = o.mode === "norm" ? ia + 1 : ia + half;
        const a = x[ia]!, b = x[ib]!;
        x[ia] = fr(fr(a * c) - fr(b * s));
        x[ib] = fr(fr(a * s) + fr(b * c));
      }
    }
  }
}

/**
 * Llama-3 style frequency factors (what convert_hf_to_gguf writes as `rope_freqs.weight` for
 * rope_type "llama3"), for models that carry the scaling parameters but not the tensor.
 * Returns nRot/2 divisors: 1 for high frequencies, `factor` for low ones, smooth in between.
 */
export function llama3RopeFreqFactors(nRot: number, freqBase: number, factor: number, lowFreqFactor: number, highFreqFactor: number, originalContext: number): Float32Array {
  const out = new Float32Array(nRot / 2);
  const lowWl = originalContext / lowFreqFactor;
  const highWl = originalContext / highFreqFactor;
  for (let i = 0; i < nRot / 2; i++) {
    const freq = 1 / Math.pow(freqBase, (2 * i) / nRot);
    const wl = (2 * Math.PI) / freq;
    if (wl < highWl) out[i] = 1;
    else if (wl > lowWl) out[i] = factor;
    else {
      const smooth = (originalContext / wl - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
      out[i] = 1 / ((1 - smooth) / factor + smooth);
    }
  }
  return out;
}

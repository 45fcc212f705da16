/**
 * AdamW (Loshchilov & Hutter 2019, decoupled weight decay) with Adam's bias correction
 * (Kingma & Ba 2015), step for step as PyTorch's torch.optim.AdamW (amsgrad off):
 *
 *   p ← p · (1 − lr·wd)                        (only for decayed parameters)
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1ᵗ)) · m / (sqrt(v) / sqrt(1 − β2ᵗ) + eps)
 *
 * By default only tensors with 2 or more dims (the matrices, embeddings included, as nanoGPT)
 * decay; norm weights and biases do not. Also global-norm gradient clipping as PyTorch's
 * clip_grad_norm_. State (m, v, step) is keyed by parameter name and can be saved and restored.
 */
import { GlassboxError } from "../errors.js";
import type { Tensor } from "../tensor/tensor.js";

/** Hyperparameters of {@link AdamW}. */
export interface AdamWOptions {
  /** Learning rate when step() gets none (default 1e-3). */
  lr?: number;
  /** β1 (default 0.9). */
  beta1?: number;
  /** β2 (default 0.999; 0.95 is common for LLM pre-training). */
  beta2?: number;
  /** eps (default 1e-8). */
  eps?: number;
  /** Decoupled weight decay (default 0.01, PyTorch's). */
  weightDecay?: number;
  /** Which parameters decay (default: shape.length >= 2). */
  decay?: (t: Tensor) => boolean;
}

/** Serializable optimizer state: moments by parameter name, and the number of steps taken. */
export interface AdamWState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export class AdamW {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private readonly decays: boolean[];
  private t = 0;

  /**
   * @param params tensors with a `grad` and a unique `name` (model.params).
   * @throws TRAIN_BAD_CONFIG for a parameter without name or grad, or a duplicate name.
   */
  constructor(readonly params: readonly Tensor[], o: AdamWOptions = {}) {
    this.lr = o.lr ?? 1e-3;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 0.01;
    const decay = o.decay ?? ((t: Tensor) => t.shape.length >= 2);
    const names = new Set<string>();
    for (const p of params) {
      if (!p.name || !p.grad) throw new GlassboxError("TRAIN_BAD_CONFIG", `AdamW: every parameter needs a name and a grad buffer (${p.name ?? "unnamed"})`);
      if (names.has(p.name)) throw new GlassboxError("TRAIN_BAD_CONFIG", `AdamW: duplicate parameter ${p.name}`);
      names.add(p.name);
    }
    this.m = params.map((p) => new Float32Array(p.size));
    this.v = params.map((p) => new Float32Array(p.size));
    this.decays = params.map(decay);
  }

  /** Steps taken so far (t in the bias corrections). */
  get stepCount(): number {
    return this.t;
  }

  /**
   * One update of every parameter from its current `grad` at learning rate `lr`. `gradScale`
   * multiplies every gradient first (how trainStep applies clipping without another pass).
   */
  step(lr = this.lr, gradScale = 1): void {
    this.t++;
    const b1 = this.beta1, b2 = this.beta2, eps = this.eps, c1 = 1 - b1, c2 = 1 - b2;
    const bc1 = 1 - Math.pow(b1, this.t), bc2 = 1 - Math.pow(b2, this.t);
    const stepSize = lr / bc1, invSqrtBc2 = 1 / Math.sqrt(bc2);
    for (let j = 0; j < this.params.length; j++) {
      const p = this.params[j]!.data, g = this.params[j]!.grad!, m = this.m[j]!, v = this.v[j]!;
      const keep = this.decays[j] ? 1 - lr * this.weightDecay : 1;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]! * gradScale;
        const mi = b1 * m[i]! + c1 * gi;
        const vi = b2 * v[i]! + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i]! * keep - (stepSize * mi) / (Math.sqrt(vi) * invSqrtBc2 + eps);
      }
    }
  }

  /** A copy of the state (moments keyed by parameter name). */
  state(): AdamWState {
    const s: AdamWState = { step: this.t, m: {}, v: {} };
    this.params.forEach((p, j) => {
      s.m[p.name!] = this.m[j]!.slice();
      s.v[p.name!] = this.v[j]!.slice();
    });
    return s;
  }

  /** Restores a state from {@link state}. @throws TRAIN_BAD_STATE for a missing or mis-sized moment. */
  loadState(s: AdamWState): void {
    this.params.forEach((p, j) => {
      const m = s.m[p.name!], v = s.v[p.name!];
      if (!m || !v || m.length !== p.size || v.length !== p.size) throw new GlassboxError("TRAIN_BAD_STATE", `optimizer state for ${p.name} is missing or has the wrong size`);
      this.m[j]!.set(m);
      this.v[j]!.set(v);
    });
    if (!Number.isInteger(s.step) || s.step < 0) throw new GlassboxError("TRAIN_BAD_STATE", `bad step ${s.step}`);
    this.t = s.step;
  }
}

/** The global L2 norm of all gradients, sqrt(Σ g²) summed in f64. */
export function gradNorm(params: readonly Tensor[]): number {
  let s = 0;
  for (const p of params) {
    const g = p.grad;
    if (!g) continue;
    for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  }
  return Math.sqrt(s);
}

/**
 * Scales all gradients by maxNorm / (norm + 1e-6) when their global norm exceeds `maxNorm`
 * (PyTorch clip_grad_norm_). Returns the norm before clipping.
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  const norm = gradNorm(params);
  if (norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);
    for (const p of params) {
      const g = p.grad;
      if (g) for (let i = 0; i < g.length; i++) g[i] = g[i]! * s;
    }
  }
  return norm;
}

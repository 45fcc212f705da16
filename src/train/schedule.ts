/**
 * Learning-rate schedule: linear warmup, then cosine decay to a floor (Loshchilov & Hutter 2017,
 * SGDR without restarts; the shape nanoGPT and most LLM pre-training use). Steps count from 0.
 *
 *   step < warmup:           lr · (step + 1) / warmup
 *   warmup ≤ step < total:   minLr + (lr − minLr) · (1 + cos(π · (step − warmup) / (total − warmup))) / 2
 *   step ≥ total:            minLr
 */
import { GlassboxError } from "../errors.js";

export interface CosineSchedule {
  /** Peak learning rate. */
  readonly lr: number;
  /** Floor reached at totalSteps (default lr / 10). */
  readonly minLr?: number;
  /** Warmup steps (default 0). */
  readonly warmupSteps?: number;
  /** Steps of the whole run (warmup included). */
  readonly totalSteps: number;
}

/** Learning rate at 0-based `step`. @throws TRAIN_BAD_CONFIG for inconsistent settings. */
export function lrAt(step: number, s: CosineSchedule): number {
  const warm = s.warmupSteps ?? 0, minLr = s.minLr ?? s.lr / 10;
  if (!(s.lr >= 0) || !(minLr >= 0) || warm < 0 || !(s.totalSteps >= warm)) {
    throw new GlassboxError("TRAIN_BAD_CONFIG", `bad schedule: lr ${s.lr}, minLr ${minLr}, warmup ${warm}, total ${s.totalSteps}`);
  }
  if (step < warm) return (s.lr * (step + 1)) / warm;
  if (step >= s.totalSteps) return minLr;
  const ratio = (step - warm) / (s.totalSteps - warm);
  return minLr + ((s.lr - minLr) * (1 + Math.cos(Math.PI * ratio))) / 2;
}

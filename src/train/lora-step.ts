/**
 * One optimizer step of LoRA fine-tuning, as train/step.ts does it for the full model:
 * zeroGrad, forward + backward per micro-batch (gradients accumulate, backward seed 1/n), clip
 * the global norm of the adapter gradients, AdamW on A and B only.
 *
 * Dropout masks come from a seed derived from (seed, step, micro-batch index), so a resumed run
 * draws exactly the masks the uninterrupted run would have: no generator state to checkpoint.
 */
import { GlassboxError } from "../errors.js";
import type { Tape } from "../tensor/tape.js";
import type { LoraLlama } from "./lora-llama.js";
import { gradNorm, type AdamW } from "./optim.js";
import type { MicroBatch, TrainStepResult } from "./step.js";

/** Options of {@link loraTrainStep}. */
export interface LoraStepOptions {
  /** Learning rate of this step. */
  lr: number;
  /** Clip the global gradient norm to this (default: none). */
  clip?: number;
  /** 0-based step index (picks the dropout masks). */
  step: number;
  /** Run seed (default 0). */
  seed?: number;
}

/** The dropout seed of micro-batch `micro` of step `step` (a 32-bit mix of the three numbers). */
export function dropoutSeed(seed: number, step: number, micro: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const v of [step, micro]) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

/**
 * zeroGrad, accumulate over `micro`, clip, AdamW (see the module comment).
 * @throws TRAIN_BAD_INPUT when `micro` is empty.
 */
export function loraTrainStep(model: LoraLlama, tape: Tape, opt: AdamW, micro: readonly MicroBatch[], o: LoraStepOptions): TrainStepResult {
  if (micro.length === 0) throw new GlassboxError("TRAIN_BAD_INPUT", "loraTrainStep needs at least one micro-batch");
  model.zeroGrad();
  let loss = 0;
  for (let i = 0; i < micro.length; i++) {
    const mb = micro[i]!;
    const { loss: l } = model.forward(tape, mb.tokens, { batch: mb.batch, targets: mb.targets, dropoutSeed: dropoutSeed(o.seed ?? 0, o.step, i) });
    loss += l!.item();
    tape.backward(l!, 1 / micro.length);
    tape.reset();
  }
  const norm = gradNorm(model.params);
  const scale = o.clip !== undefined && norm > o.clip ? o.clip / (norm + 1e-6) : 1;
  opt.step(o.lr, scale);
  return { loss: loss / micro.length, gradNorm: norm };
}

/**
 * One optimizer step of LoRA fine-tuning, as train/step.ts does it for the full model:
 * zeroGrad, forward + backward per micro-batch (gradients accumulate, backward seed 1/n), clip
 * the global norm of the adapter gradients, AdamW on A and B only.
 *
 * Dropout masks come from a seed derived from (seed, step, micro-batch index), so a resumed run
 * draws exactly the masks the uninterrupted run would have: no generator state to checkpoint.
 */
import type { Tape } from "../tensor/tape.js";
import type { LoraLlama } from "./lora-llama.js";
import type { AdamW } from "./optim.js";
import { accumulateStep, type MicroBatch, type TrainStepResult } from "./step.js";

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
 * zeroGrad, accumulate over `micro`, clip, AdamW (see the module comment and step.ts accumulateStep).
 * @throws TRAIN_BAD_INPUT when `micro` is empty.
 */
export function loraTrainStep(model: LoraLlama, tape: Tape, opt: AdamW, micro: readonly MicroBatch[], o: LoraStepOptions): TrainStepResult {
  const seed = o.seed ?? 0;
  return accumulateStep("loraTrainStep", model, tape, opt, micro, o, (mb, i) =>
    model.forward(tape, mb.tokens, { batch: mb.batch, targets: mb.targets, dropoutSeed: dropoutSeed(seed, o.step, i) }).loss!);
}

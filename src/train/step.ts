/**
 * One optimizer step with gradient accumulation: run forward + backward on each micro-batch
 * (gradients add up in the parameters' grad buffers), clip the global gradient norm, update.
 * Each micro-batch's loss is a mean over its own counted targets and the micro-batches are
 * weighted equally (backward seed 1/n), as nanoGPT's accumulation does.
 */
import { GlassboxError } from "../errors.js";
import type { Tape } from "../tensor/tape.js";
import type { Tensor } from "../tensor/tensor.js";
import type { LlamaTrainable } from "./llama.js";
import { gradNorm, type AdamW } from "./optim.js";
import type { TrainableModel } from "./trainable.js";

/** One micro-batch: `batch` sequences packed row-major in tokens/targets. */
export interface MicroBatch {
  readonly tokens: Int32Array;
  /** Next-token targets (-1 = no loss). */
  readonly targets: Int32Array;
  readonly batch: number;
}

export interface TrainStepOptions {
  /** Learning rate of this step (e.g. from lrAt). */
  lr: number;
  /** Clip the global gradient norm to this (default: no clipping). */
  clip?: number;
}

/** What a step reports: mean loss over the micro-batches and the gradient norm before clipping. */
export interface TrainStepResult {
  loss: number;
  gradNorm: number;
}

/**
 * zeroGrad, accumulate gradients over `micro`, clip, AdamW step. The tape is reset after each
 * micro-batch, so memory stays that of one micro-batch.
 * @throws TRAIN_BAD_INPUT when `micro` is empty.
 */
export function trainStep(model: LlamaTrainable, tape: Tape, opt: AdamW, micro: readonly MicroBatch[], o: TrainStepOptions): TrainStepResult {
  return accumulateStep("trainStep", model, tape, opt, micro, o, (mb) => model.forward(tape, mb.tokens, { batch: mb.batch, targets: mb.targets }).loss!);
}

/**
 * The step both trainStep and loraTrainStep (lora-step.ts) take: `model.zeroGrad()`; for each
 * micro-batch i, `lossOf(micro[i], i)` (a scalar loss recorded on `tape`), backward with seed
 * 1/micro.length, tape reset; then the global gradient norm of `model.params`, clipped as
 * clip_grad_norm_ (scale clip / (norm + 1e-6) above the limit, folded into the update), and
 * `opt.step(o.lr, scale)`. Returns the mean loss and the norm before clipping.
 * @throws TRAIN_BAD_INPUT `<name> needs at least one micro-batch` when `micro` is empty.
 */
export function accumulateStep(
  name: string,
  model: TrainableModel,
  tape: Tape,
  opt: AdamW,
  micro: readonly MicroBatch[],
  o: TrainStepOptions,
  lossOf: (mb: MicroBatch, i: number) => Tensor,
): TrainStepResult {
  if (micro.length === 0) throw new GlassboxError("TRAIN_BAD_INPUT", `${name} needs at least one micro-batch`);
  model.zeroGrad();
  let loss = 0;
  for (let i = 0; i < micro.length; i++) {
    const l = lossOf(micro[i]!, i);
    loss += l.item();
    tape.backward(l, 1 / micro.length);
    tape.reset();
  }
  const norm = gradNorm(model.params);
  const scale = o.clip !== undefined && norm > o.clip ? o.clip / (norm + 1e-6) : 1;
  opt.step(o.lr, scale);
  return { loss: loss / micro.length, gradNorm: norm };
}

/** Tensors and reverse-mode autograd for training; ops keep each backward beside its forward. */
export { Tensor, shapeSize, expectShape } from "./tensor.js";
export { Tape } from "./tape.js";
export { BufferPool } from "./pool.js";
export { embedding } from "./ops/embedding.js";
export { matmul } from "./ops/matmul.js";
export { rmsNorm } from "./ops/rmsnorm.js";
export { rope } from "./ops/rope.js";
export { attention, type AttentionShape } from "./ops/attention.js";
export { silu, swiglu } from "./ops/activations.js";
export { add, mul } from "./ops/elementwise.js";
export { crossEntropy, IGNORE_INDEX } from "./ops/cross-entropy.js";
export { transposeInto, transposeAddInto } from "./ops/transpose.js";

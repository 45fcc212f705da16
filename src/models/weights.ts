/**
 * Loading model tensors from a GGUF file for the kernels: 2-D weights stay in their stored ggml
 * type (quantized weights stay quantized) as `WeightMatrix`; 1-D tensors (norm weights, biases)
 * become f32 vectors. Shapes are checked against what the model expects, in ggml order
 * (ne[0] = row length = the matmul's input size).
 */
import { GlassboxError } from "../errors.js";
import { GgmlType, ggmlTypeInfo } from "../formats/gguf/ggml-types.js";
import type { GgufFile } from "../formats/gguf/reader.js";
import type { GgufTensorInfo } from "../formats/gguf/types.js";
import type { Kernels } from "../kernels/api.js";
import { fp16Table } from "../kernels/ref/fp16.js";
import { weightMatrix, type WeightMatrix } from "../kernels/ref/weights.js";
import { nameWeight } from "./lora.js";

/** Reads named tensors, checking presence and shape; see the module comment. */
export class WeightLoader {
  constructor(readonly gguf: GgufFile, readonly kernels: Kernels) {}

  private info(name: string, optional: boolean): GgufTensorInfo | undefined {
    const t = this.gguf.tensor(name);
    if (!t && !optional) throw new GlassboxError("MODEL_MISSING_TENSOR", `the model has no tensor '${name}'`);
    return t;
  }

  private checkShape(t: GgufTensorInfo, ne: readonly number[]): void {
    const have = t.ne.filter((d, i) => i < ne.length || d !== 1);
    if (have.length !== ne.length || ne.some((d, i) => have[i] !== d)) {
      throw new GlassboxError("MODEL_BAD_TENSOR", `tensor '${t.name}' has shape [${t.ne.join(", ")}], expected [${ne.join(", ")}] (ggml order)`);
    }
  }

  /**
   * A 2-D weight `name` with ggml shape ne = [nIn, nOut] (nOut rows of nIn), in its stored type,
   * made ready for matmul now (`kernels.prepare`). The bytes are copied once into `kernels.alloc`
   * memory, so the WebAssembly kernels use them in place (one copy of the model in memory); bytes
   * already in the kernels' memory (`kernels.owns`, a file read by load-file.ts) are used as they are.
   * @throws MODEL_MISSING_TENSOR (unless optional), MODEL_BAD_TENSOR for a wrong shape,
   *   KERNEL_UNSUPPORTED_TYPE for a type the kernels cannot multiply.
   */
  matrix(name: string, nIn: number, nOut: number): WeightMatrix;
  matrix(name: string, nIn: number, nOut: number, optional: true): WeightMatrix | undefined;
  matrix(name: string, nIn: number, nOut: number, optional = false): WeightMatrix | undefined {
    const w = optional ? this.embedding(name, nIn, nOut, true) : this.embedding(name, nIn, nOut);
    if (w) this.kernels.prepare(w);
    return w;
  }

  /**
   * Like {@link matrix} but not prepared for matmul: for tables read with getRows (token_embd,
   * position_embd). Used as a tied output head, it gets prepared on its first matmul.
   */
  embedding(name: string, nIn: number, nRows: number): WeightMatrix;
  embedding(name: string, nIn: number, nRows: number, optional: true): WeightMatrix | undefined;
  embedding(name: string, nIn: number, nRows: number, optional = false): WeightMatrix | undefined {
    const nOut = nRows;
    const t = this.info(name, optional);
    if (!t) return undefined;
    this.checkShape(t, [nIn, nOut]);
    const bytes = this.gguf.tensorBytes(t);
    let data = bytes;
    if (!this.kernels.owns?.(bytes)) {
      const buf = this.kernels.alloc(Math.ceil(bytes.byteLength / 4));
      data = new Uint8Array(buf.buffer, buf.byteOffset, bytes.byteLength);
      data.set(bytes);
    }
    try {
      const w = weightMatrix(t.type, [nIn, nOut], data);
      nameWeight(w, name); // lets LoRA adapters find it (lora-kernels.ts)
      return w;
    } catch (e) {
      if (e instanceof GlassboxError) {
        throw new GlassboxError(e.code, `tensor '${name}' (${ggmlTypeInfo(t.type)?.name ?? t.type}): ${e.message}`, { cause: e });
      }
      throw e;
    }
  }

  /**
   * A 1-D tensor of n elements (norm weight, bias) as f32 in `kernels.alloc` memory. F32 and F16
   * tensors are accepted (F16 is widened exactly).
   * @throws MODEL_MISSING_TENSOR (unless optional), MODEL_BAD_TENSOR for a wrong shape or type.
   */
  vector(name: string, n: number): Float32Array;
  vector(name: string, n: number, optional: true): Float32Array | undefined;
  vector(name: string, n: number, optional = false): Float32Array | undefined {
    const t = this.info(name, optional);
    if (!t) return undefined;
    this.checkShape(t, [n]);
    const bytes = this.gguf.tensorBytes(t);
    const out = this.kernels.alloc(n);
    if (t.type === GgmlType.F32) {
      out.set(new Float32Array(bytes.slice().buffer, 0, n));
    } else if (t.type === GgmlType.F16) {
      const tab = fp16Table();
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < n; i++) out[i] = tab[dv.getUint16(2 * i, true)]!;
    } else {
      throw new GlassboxError("MODEL_BAD_TENSOR", `tensor '${name}' has type ${ggmlTypeInfo(t.type)?.name ?? t.type}; 1-D tensors must be F32 or F16`);
    }
    return out;
  }
}

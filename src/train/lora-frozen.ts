/**
 * Frozen base weights for LoRA fine-tuning, kept in their stored ggml type (QLoRA-style,
 * Dettmers et al. 2023: the base stays quantized in memory and is dequantized on the fly, one
 * matrix at a time, for each matmul that needs it, forward and backward). An F32 base is used
 * as is. Memory: the stored bytes plus, transiently, one matrix in f32 (gemmF32 reads it
 * transposed where the product needs Wᵀ, so no transposed copy is made).
 */
import { GlassboxError } from "../errors.js";
import { GgmlType, ggmlTypeInfo } from "../formats/gguf/ggml-types.js";
import type { GgufFile } from "../formats/gguf/reader.js";
import { quantTraits } from "../quant/traits.js";

/** A frozen 2-D base weight: nOut rows of nIn values (ggml ne = [nIn, nOut]) in ggml type `type`. */
export class FrozenMatrix {
  /** Bytes of one stored row. */
  readonly rowBytes: number;
  private readonly f32: Float32Array | undefined;

  /**
   * @param bytes the stored tensor bytes (nOut · rowBytes), kept by reference.
   * @throws TRAIN_UNSUPPORTED when the type cannot be dequantized; TRAIN_BAD_MODEL when the bytes
   *   do not fit the shape.
   */
  constructor(readonly name: string, readonly type: number, readonly nIn: number, readonly nOut: number, readonly bytes: Uint8Array) {
    const info = ggmlTypeInfo(type);
    if (!info || !quantTraits(type)) throw new GlassboxError("TRAIN_UNSUPPORTED", `tensor ${name}: type ${info?.name ?? type} cannot be dequantized`);
    if (nIn % info.blockSize !== 0) throw new GlassboxError("TRAIN_BAD_MODEL", `tensor ${name}: row length ${nIn} is not a multiple of ${info.name}'s block size`);
    this.rowBytes = (nIn / info.blockSize) * info.typeSize;
    if (bytes.byteLength !== this.rowBytes * nOut) throw new GlassboxError("TRAIN_BAD_MODEL", `tensor ${name}: ${bytes.byteLength} bytes, expected ${this.rowBytes * nOut}`);
    if (type === GgmlType.F32) {
      const b = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
      this.f32 = new Float32Array(b.buffer, b.byteOffset, nIn * nOut);
    }
  }

  /** Reads tensor `name` of `g` (its bytes are copied out of the file). @throws TRAIN_BAD_MODEL when missing or not [nIn, nOut]. */
  static fromGguf(g: GgufFile, name: string, nIn: number, nOut: number): FrozenMatrix {
    const t = g.tensor(name);
    if (!t) throw new GlassboxError("TRAIN_BAD_MODEL", `tensor ${name} is missing`);
    if (t.ne[0] !== nIn || t.ne[1] !== nOut || t.ne.slice(2).some((d) => d !== 1)) {
      throw new GlassboxError("TRAIN_BAD_MODEL", `tensor ${name} has ne [${t.ne.join(", ")}], expected [${nIn}, ${nOut}]`);
    }
    return new FrozenMatrix(name, t.type, nIn, nOut, g.tensorBytes(t));
  }

  /** True when stored as F32 (no dequantization needed). */
  get isF32(): boolean {
    return this.f32 !== undefined;
  }

  /** Stored bytes. */
  get byteLength(): number {
    return this.bytes.byteLength;
  }

  /** Dequantizes rows [r0, r1) into out[0 .. (r1-r0)·nIn) (row-major). */
  dequantizeRows(r0: number, r1: number, out: Float32Array): void {
    if (this.f32) {
      out.set(this.f32.subarray(r0 * this.nIn, r1 * this.nIn));
      return;
    }
    quantTraits(this.type)!.dequantize(this.bytes.subarray(r0 * this.rowBytes, r1 * this.rowBytes), out, (r1 - r0) * this.nIn);
  }

  /**
   * The whole matrix W [nOut][nIn] in f32: the stored array itself for F32 (do not write to it),
   * else dequantized into `scratch` (length nOut·nIn), which is returned.
   */
  values(scratch: Float32Array): Float32Array {
    if (this.f32) return this.f32;
    this.dequantizeRows(0, this.nOut, scratch);
    return scratch;
  }
}

/**
 * Writing LoRA adapters as GGUF, in the layout llama.cpp's convert_lora_to_gguf.py writes and
 * src/llama-adapter.cpp reads (see src/models/lora.ts for the format), and merging an adapter
 * into its base model as llama.cpp's tools/export-lora does.
 *
 * Tensor layout: a row-major A [r][n_in] is the ggml tensor ne = [n_in, r] with unchanged bytes;
 * a row-major B [n_out][r] is ne = [r, n_out]. Both F32 (default) or F16.
 */
import { GlassboxError } from "../errors.js";
import { GgmlType } from "../formats/gguf/ggml-types.js";
import { kv } from "../formats/gguf/kv.js";
import type { GgufFile } from "../formats/gguf/reader.js";
import type { GgufKV } from "../formats/gguf/types.js";
import { ggufToWrite, type GgufTensorToWrite, type GgufToWrite } from "../formats/gguf/writer.js";
import { checkLoraAgainstBase, loraWeightScale, LORA_A_SUFFIX, LORA_B_SUFFIX, type LoraAdapter } from "../models/lora.js";
import { dequantizeTensor, quantizeTensor } from "../quant/traits.js";

/** One adapted weight in f32, row-major. */
export interface LoraTensors {
  /** Base tensor name, e.g. "blk.0.attn_q.weight". */
  readonly name: string;
  readonly rank: number;
  readonly nIn: number;
  readonly nOut: number;
  /** A [rank][nIn] row-major (ggml ne = [nIn, rank]). */
  readonly a: Float32Array;
  /** B [nOut][rank] row-major (ggml ne = [rank, nOut]). */
  readonly b: Float32Array;
}

/** Options of {@link loraAdapterToGguf}. */
export interface LoraExportOptions {
  /** general.name (default "glassbox-lora"). */
  name?: string;
  /** Storage type of A and B: "f32" (default) or "f16". */
  type?: "f32" | "f16";
  /** More KVs, written after the required ones. */
  extra?: readonly GgufKV[];
}

function bytesOf(v: Float32Array, type: "f32" | "f16"): Uint8Array {
  if (type === "f16") return quantizeTensor(GgmlType.F16, v);
  const c = v.slice();
  return new Uint8Array(c.buffer, 0, c.byteLength);
}

/**
 * The GGUF of a LoRA adapter: KVs general.architecture = `arch`, general.type = "adapter",
 * adapter.type = "lora", adapter.lora.alpha (f32), general.name, general.file_type (0 F32 /
 * 1 F16), then `extra`; tensors "<name>.lora_a" (ne [n_in, r]) and "<name>.lora_b" (ne [r, n_out])
 * per weight, in the given order. Values are copied now.
 * @throws TRAIN_BAD_CONFIG when a weight's arrays do not match its shape, or alpha is not > 0.
 */
export function loraAdapterToGguf(arch: string, alpha: number, weights: readonly LoraTensors[], o: LoraExportOptions = {}): GgufToWrite {
  if (!(alpha > 0)) throw new GlassboxError("TRAIN_BAD_CONFIG", `LoRA alpha must be > 0, got ${alpha}`);
  const type = o.type ?? "f32";
  const gt = type === "f16" ? GgmlType.F16 : GgmlType.F32;
  const kvs: GgufKV[] = [
    kv.string("general.architecture", arch),
    kv.string("general.type", "adapter"),
    kv.string("adapter.type", "lora"),
    kv.f32("adapter.lora.alpha", alpha),
    kv.string("general.name", o.name ?? "glassbox-lora"),
    kv.u32("general.file_type", type === "f16" ? 1 : 0),
    ...(o.extra ?? []),
  ];
  const tensors: GgufTensorToWrite[] = [];
  for (const w of weights) {
    if (w.a.length !== w.rank * w.nIn || w.b.length !== w.nOut * w.rank) {
      throw new GlassboxError("TRAIN_BAD_CONFIG", `LoRA '${w.name}': A has ${w.a.length} values, B ${w.b.length}; expected ${w.rank}x${w.nIn} and ${w.nOut}x${w.rank}`);
    }
    tensors.push({ name: w.name + LORA_A_SUFFIX, ne: [w.nIn, w.rank], type: gt, data: bytesOf(w.a, type) });
    tensors.push({ name: w.name + LORA_B_SUFFIX, ne: [w.rank, w.nOut], type: gt, data: bytesOf(w.b, type) });
  }
  return { kv: kvs, tensors };
}

/** An adapter's weights as f32 row-major arrays (dequantized from F16 where stored so). */
export function loraTensorsOf(adapter: LoraAdapter): LoraTensors[] {
  return [...adapter.weights.values()].map((w) => ({
    name: w.name, rank: w.rank, nIn: w.nIn, nOut: w.nOut,
    a: dequantizeTensor(w.a.type, w.a.data, w.rank * w.nIn),
    b: dequantizeTensor(w.b.type, w.b.data, w.nOut * w.rank),
  }));
}

/**
 * W' = W + scale·B·A for one weight: `w` is [nOut][nIn] f32 (changed in place), the product is
 * summed in f64 per element and added once (one f32 rounding).
 */
export function addLoraDelta(w: Float32Array, t: LoraTensors, scale: number): void {
  const { rank: r, nIn, nOut, a, b } = t;
  const acc = new Float64Array(nIn);
  for (let o = 0; o < nOut; o++) {
    acc.fill(0);
    for (let k = 0; k < r; k++) {
      const bk = b[o * r + k]!;
      if (bk === 0) continue;
      const ao = k * nIn;
      for (let i = 0; i < nIn; i++) acc[i] = acc[i]! + bk * a[ao + i]!;
    }
    const wo = o * nIn;
    for (let i = 0; i < nIn; i++) w[wo + i] = w[wo + i]! + scale * acc[i]!;
  }
}

/**
 * The base model with the adapter merged in, ready to write (tensors stream from `base`: keep it
 * open until written). As llama.cpp's export-lora: each adapted tensor becomes
 * W + scale·B·A with scale = userScale·alpha/r, stored F32 when the base tensor is F32 and F16
 * otherwise (a quantized base is dequantized first); every other tensor and KV is copied
 * unchanged (general.file_type included).
 * @throws LORA_MISMATCH / LORA_UNSUPPORTED when the adapter does not fit the base.
 */
export function mergeLoraIntoGguf(base: GgufFile, adapter: LoraAdapter, userScale = 1): GgufToWrite {
  checkLoraAgainstBase(adapter, base);
  const out = ggufToWrite(base);
  const byName = new Map(loraTensorsOf(adapter).map((t) => [t.name, t]));
  out.tensors = out.tensors.map((t) => {
    const l = byName.get(t.name);
    if (!l) return t;
    const info = base.tensor(t.name)!;
    const f32 = info.type === GgmlType.F32;
    return {
      name: t.name, ne: t.ne, type: f32 ? GgmlType.F32 : GgmlType.F16,
      data: () => {
        const w = dequantizeTensor(info.type, base.tensorBytes(info), l.nIn * l.nOut);
        addLoraDelta(w, l, loraWeightScale(adapter.alpha, l.rank, userScale));
        return f32 ? new Uint8Array(w.buffer, w.byteOffset, w.byteLength) : quantizeTensor(GgmlType.F16, w);
      },
    };
  });
  return out;
}

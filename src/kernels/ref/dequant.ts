/**
 * Dequantization of single weight rows (ggml's `dequantize_row_*` in ggml-quants.c, f32 math in
 * source order without FMA, as libggml-base is built). Used by get_rows (token embeddings) and
 * by tests; matmul never dequantizes whole matrices.
 */
import { GlassboxError } from "../../errors.js";
import { GgmlType } from "../../formats/gguf/ggml-types.js";
import { fp16Table } from "./fp16.js";
import type { WeightMatrix } from "./weights.js";

const fr = Math.fround;

/** The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block whose 12 scale bytes start at `s` (ggml's get_scale_min_k4). */
export function scaleMinK4(bytes: Uint8Array, s: number, j: number): [number, number] {
  if (j < 4) return [bytes[s + j]! & 63, bytes[s + j + 4]! & 63];
  return [
    (bytes[s + j + 4]! & 0xf) | ((bytes[s + j - 4]! >> 6) << 4),
    (bytes[s + j + 4]! >> 4) | ((bytes[s + j]! >> 6) << 4),
  ];
}

/**
 * Dequantizes row `row` of `w` into `out[outOffset .. outOffset + w.nIn)`.
 * Layouts: q8_0 {half d; i8 qs[32]}, q4_0 {half d; u8 qs[16]: elem j low nibble, j+16 high; x=d(q-8)},
 * q4_K {half d, dmin; u8 scales[12]; u8 qs[128]}, q6_K {u8 ql[128]; u8 qh[64]; i8 scales[16]; half d}.
 * @throws KERNEL_BAD_SHAPE when row is out of range or out is too short.
 */
export function dequantizeRow(w: WeightMatrix, row: number, out: Float32Array, outOffset = 0): void {
  if (!(row >= 0 && row < w.nOut && Number.isInteger(row))) throw new GlassboxError("KERNEL_BAD_SHAPE", `row ${row} out of range [0, ${w.nOut})`);
  if (out.length < outOffset + w.nIn) throw new GlassboxError("KERNEL_BAD_SHAPE", `output too short for a row of ${w.nIn}`);
  const b = w.data;
  const base = row * w.rowBytes;
  const n = w.nIn;
  const h = fp16Table();
  const half = (p: number): number => h[b[p]! | (b[p + 1]! << 8)]!;
  switch (w.type) {
    case GgmlType.F32: {
      const f = new Float32Array(b.buffer, b.byteOffset + base, n);
      out.set(f, outOffset);
      return;
    }
    case GgmlType.F16: {
      for (let i = 0; i < n; i++) out[outOffset + i] = half(base + 2 * i);
      return;
    }
    case GgmlType.Q8_0: {
      for (let blk = 0; blk < n / 32; blk++) {
        const p = base + blk * 34;
        const d = half(p);
        for (let j = 0; j < 32; j++) out[outOffset + blk * 32 + j] = fr(((b[p + 2 + j]! << 24) >> 24) * d);
      }
      return;
    }
    case GgmlType.Q4_0: {
      for (let blk = 0; blk < n / 32; blk++) {
        const p = base + blk * 18;
        const d = half(p);
        const o = outOffset + blk * 32;
        for (let j = 0; j < 16; j++) {
          const q = b[p + 2 + j]!;
          out[o + j] = fr(((q & 0xf) - 8) * d);
          out[o + j + 16] = fr(((q >> 4) - 8) * d);
        }
      }
      return;
    }
    case GgmlType.Q4_K: {
      for (let blk = 0; blk < n / 256; blk++) {
        const p = base + blk * 144;
        const d = half(p);
        const dmin = half(p + 2);
        const qs = p + 16;
        for (let c = 0; c < 4; c++) {
          const [sc1, m1] = scaleMinK4(b, p + 4, 2 * c);
          const [sc2, m2] = scaleMinK4(b, p + 4, 2 * c + 1);
          const d1 = fr(d * sc1), mm1 = fr(dmin * m1), d2 = fr(d * sc2), mm2 = fr(dmin * m2);
          const o = outOffset + blk * 256 + c * 64;
          for (let l = 0; l < 32; l++) {
            const q = b[qs + c * 32 + l]!;
            out[o + l] = fr(fr(d1 * (q & 0xf)) - mm1);
            out[o + 32 + l] = fr(fr(d2 * (q >> 4)) - mm2);
          }
        }
      }
      return;
    }
    case GgmlType.Q6_K: {
      for (let blk = 0; blk < n / 256; blk++) {
        const p = base + blk * 210;
        const d = half(p + 208);
        for (let half2 = 0; half2 < 2; half2++) {
          const ql = p + half2 * 64;
          const qh = p + 128 + half2 * 32;
          const sc = p + 192 + half2 * 8;
          const o = outOffset + blk * 256 + half2 * 128;
          for (let l = 0; l < 32; l++) {
            const is = l >> 4;
            const lo0 = b[ql + l]!, lo1 = b[ql + l + 32]!, hi = b[qh + l]!;
            const q1 = ((lo0 & 0xf) | ((hi & 3) << 4)) - 32;
            const q2 = ((lo1 & 0xf) | (((hi >> 2) & 3) << 4)) - 32;
            const q3 = ((lo0 >> 4) | (((hi >> 4) & 3) << 4)) - 32;
            const q4 = ((lo1 >> 4) | (((hi >> 6) & 3) << 4)) - 32;
            const s = (k: number): number => (b[sc + is + k]! << 24) >> 24;
            out[o + l] = fr(fr(d * s(0)) * q1);
            out[o + l + 32] = fr(fr(d * s(2)) * q2);
            out[o + l + 64] = fr(fr(d * s(4)) * q3);
            out[o + l + 96] = fr(fr(d * s(6)) * q4);
          }
        }
      }
      return;
    }
    default:
      throw new GlassboxError("KERNEL_UNSUPPORTED_TYPE", `cannot dequantize ggml type ${w.type}`);
  }
}

/**
 * get_rows: copies the dequantized rows `ids[t]` of `w` (e.g. token_embd, ne=[n_embd, n_vocab])
 * into `out: [ids.length][w.nIn]` (row-major).
 * @throws KERNEL_BAD_SHAPE for an id outside [0, w.nOut) or a short `out`.
 */
export function getRows(out: Float32Array, w: WeightMatrix, ids: ArrayLike<number>): void {
  for (let t = 0; t < ids.length; t++) dequantizeRow(w, ids[t]!, out, t * w.nIn);
}

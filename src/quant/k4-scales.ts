/**
 * The 12-byte scale/min packing shared by Q4_K and Q5_K: 8 sub-block scales and 8 mins, 6 bits each.
 * Source: ggml/src/ggml-quants.c (`get_scale_min_k4` and the packing in `quantize_row_q4_K_ref`).
 *
 * For j < 4: scale j = q[j] & 63, min j = q[j+4] & 63. For j >= 4: scale j = (q[j+4] & 15) | (q[j-4] >> 6) << 4,
 * min j = (q[j+4] >> 4) | (q[j] >> 6) << 4.
 */
import { f32, nearestInt } from "./rounding.js";

/** Scale j (0..7) of the packed scales starting at byte `s`. */
export function kScale(q: Uint8Array, s: number, j: number): number {
  return j < 4 ? q[s + j]! & 63 : (q[s + j + 4]! & 0xf) | ((q[s + j - 4]! >> 6) << 4);
}

/** Min j (0..7) of the packed scales starting at byte `s`. */
export function kMin(q: Uint8Array, s: number, j: number): number {
  return j < 4 ? q[s + j + 4]! & 63 : (q[s + j + 4]! >> 4) | ((q[s + j]! >> 6) << 4);
}

/**
 * Quantizes 8 float scales and 8 float mins to 6 bits against their maxima and packs them at byte
 * `s` of `out`, exactly as `quantize_row_q4_K_ref` / `quantize_row_q5_K_ref` do:
 * ls = min(63, (uint8)nearest_int(63/maxScale * scale)), likewise for the mins.
 * The super-block d and dmin are written by the caller.
 */
export function packScaleMinK4(
  out: Uint8Array, s: number, scales: Float32Array, mins: Float32Array, invScale: number, invMin: number,
): void {
  for (let j = 0; j < 8; j++) {
    const ls = Math.min(63, nearestInt(f32(invScale * scales[j]!)) & 0xff);
    const lm = Math.min(63, nearestInt(f32(invMin * mins[j]!)) & 0xff);
    if (j < 4) {
      out[s + j] = ls;
      out[s + j + 4] = lm;
    } else {
      out[s + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
      out[s + j - 4] = out[s + j - 4]! | ((ls >> 4) << 6);
      out[s + j] = out[s + j]! | ((lm >> 4) << 6);
    }
  }
}

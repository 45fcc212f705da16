/**
 * Ternary formats for BitNet b1.58 / TriLM weights: TQ1_0 (ggml type 34, 1.6875 bits per weight) and
 * TQ2_0 (type 35, 2.0625 bpw). Each element is -1, 0 or +1 times a per-256 fp16 scale d. Source:
 * ggml/src/ggml-common.h (`block_tq1_0`, `block_tq2_0`) and ggml-quants.c (`quantize_row_tq*_ref`,
 * `dequantize_row_tq*`).
 *
 * TQ1_0 (54 bytes): u8 qs[48] @0; u8 qh[4] @48; half d @52. Five trits t0..t4 (t = q + 1 in 0..2) are
 * packed base 3 into a byte as ceil(value * 256 / 243), where value = t0*81 + t1*27 + t2*9 + t3*3 + t4;
 * trit n is read back as ((byte * 3^n mod 256) * 3) >> 8. qs[0..32) hold elements m + 32n
 * (n = 0..4) of the first 160, qs[32..48) elements 160 + m + 16n, and qh[j] holds 4 trits of elements
 * 240 + j + 4m (with a 5th zero trit).
 * TQ2_0 (66 bytes): u8 qs[64] @0; half d @64. In each 32-byte group, element m + 32n sits in bits 2n of
 * qs[m], stored as q + 1.
 */
import { f32ToF16, readF16, writeF16Bits } from "./float16.js";
import { f32, roundAway } from "./rounding.js";

const QK_K = 256;
const POW3 = [1, 3, 9, 27, 81, 243] as const;

/** TQ1_0 dequantize: n elements (multiple of 256) from n/256 blocks of 54 bytes. */
export function dequantizeRowTQ1_0(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 54) {
    const d = readF16(src, o + 52);
    for (let nn = 0; nn < 5; nn++) {
      for (let m = 0; m < 32; m++) {
        const q = (src[o + m]! * POW3[nn]!) & 0xff;
        dst[y++] = (((q * 3) >> 8) - 1) * d;
      }
    }
    for (let nn = 0; nn < 5; nn++) {
      for (let m = 0; m < 16; m++) {
        const q = (src[o + 32 + m]! * POW3[nn]!) & 0xff;
        dst[y++] = (((q * 3) >> 8) - 1) * d;
      }
    }
    for (let nn = 0; nn < 4; nn++) {
      for (let j = 0; j < 4; j++) {
        const q = (src[o + 48 + j]! * POW3[nn]!) & 0xff;
        dst[y++] = (((q * 3) >> 8) - 1) * d;
      }
    }
  }
}

function blockAmax(src: Float32Array, x: number): number {
  let amax = 0;
  for (let j = 0; j < QK_K; j++) {
    const a = Math.abs(src[x + j]!);
    amax = amax > a ? amax : a;
  }
  return amax;
}

/** `lroundf(x * id) + 1` as in the TQ quantizers: the trit 0..2 (other values only for odd input). */
function trit(v: number, id: number): number {
  return roundAway(f32(v * id)) + 1;
}

/** Packs `count` trits (elements x + m + stride*n) into one byte, base 3, rounded up to /243. */
function packTrits(src: Float32Array, x: number, stride: number, count: number, id: number): number {
  let q = 0;
  for (let nn = 0; nn < count; nn++) q = (q * 3 + trit(src[x + nn * stride]!, id)) & 0xff;
  return q;
}

/** TQ1_0 quantize (`quantize_row_tq1_0_ref`): d = amax, q = lroundf(x / d) in {-1, 0, 1}. */
export function quantizeRowTQ1_0(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK_K, o += 54) {
    const d = blockAmax(src, x);
    const id = d !== 0 ? f32(1 / d) : 0;
    writeF16Bits(dst, o + 52, f32ToF16(d));
    for (let m = 0; m < 32; m++) {
      const q = packTrits(src, x + m, 32, 5, id);
      dst[o + m] = Math.floor((q * 256 + 242) / 243) & 0xff;
    }
    for (let m = 0; m < 16; m++) {
      const q = packTrits(src, x + 160 + m, 16, 5, id);
      dst[o + 32 + m] = Math.floor((q * 256 + 242) / 243) & 0xff;
    }
    for (let j = 0; j < 4; j++) {
      const q = (packTrits(src, x + 240 + j, 4, 4, id) * 3) & 0xff;
      dst[o + 48 + j] = Math.floor((q * 256 + 242) / 243) & 0xff;
    }
  }
}

/** TQ2_0 dequantize: n elements (multiple of 256) from n/256 blocks of 66 bytes. */
export function dequantizeRowTQ2_0(src: Uint8Array, dst: Float32Array, n: number): void {
  for (let o = 0, y = 0; y < n; o += 66) {
    const d = readF16(src, o + 64);
    for (let j = 0; j < 64; j += 32) {
      for (let l = 0; l < 4; l++) {
        for (let m = 0; m < 32; m++) dst[y++] = (((src[o + j + m]! >> (2 * l)) & 3) - 1) * d;
      }
    }
  }
}

/** TQ2_0 quantize (`quantize_row_tq2_0_ref`): d = amax, 2-bit codes q + 1 with q = lroundf(x / d). */
export function quantizeRowTQ2_0(src: Float32Array, dst: Uint8Array, n: number): void {
  for (let x = 0, o = 0; x < n; x += QK_K, o += 66) {
    const d = blockAmax(src, x);
    const id = d !== 0 ? f32(1 / d) : 0;
    writeF16Bits(dst, o + 64, f32ToF16(d));
    for (let j = 0; j < 64; j += 32) {
      const xb = x + 4 * j;
      for (let m = 0; m < 32; m++) {
        let q = 0;
        for (let nn = 0; nn < 4; nn++) q += (trit(src[xb + m + 32 * nn]!, id) & 3) << (2 * nn);
        dst[o + j + m] = q & 0xff;
      }
    }
  }
}

// Random weights in ggml block layouts for the kernel tests (finite fp16 scales, random quants).
import { GgmlType } from "../../src/formats/gguf/ggml-types.js";
import { fp32ToFp16, rowBytes, weightMatrix, type WeightMatrix } from "../../src/kernels/ref/index.js";

function putHalf(b: Uint8Array, p: number, v: number): void {
  const h = fp32ToFp16(v);
  b[p] = h & 0xff;
  b[p + 1] = h >> 8;
}

/** A random weight of ggml type `type` with ne = [nIn, nOut]. */
export function randomWeight(r: () => number, type: number, nIn: number, nOut: number): WeightMatrix {
  const rb = rowBytes(type, nIn);
  const b = new Uint8Array(rb * nOut);
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
  const blocks = (rb * nOut) / { [GgmlType.F32]: 4, [GgmlType.F16]: 2, [GgmlType.Q8_0]: 34, [GgmlType.Q4_0]: 18, [GgmlType.Q4_K]: 144, [GgmlType.Q6_K]: 210 }[type]!;
  switch (type) {
    case GgmlType.F32: {
      const f = new Float32Array(b.buffer);
      for (let i = 0; i < f.length; i++) f[i] = (r() - 0.5) * 2;
      break;
    }
    case GgmlType.F16:
      for (let i = 0; i < blocks; i++) putHalf(b, 2 * i, (r() - 0.5) * 2);
      break;
    case GgmlType.Q8_0:
      for (let i = 0; i < blocks; i++) {
        putHalf(b, i * 34, r() * 0.02);
        for (let j = 0; j < 32; j++) b[i * 34 + 2 + j] = (Math.floor(r() * 255) - 127) & 0xff; // -127..127 as the quantizer makes
      }
      break;
    case GgmlType.Q4_0:
      for (let i = 0; i < blocks; i++) putHalf(b, i * 18, r() * 0.1);
      break;
    case GgmlType.Q4_K:
      for (let i = 0; i < blocks; i++) { putHalf(b, i * 144, r() * 0.01); putHalf(b, i * 144 + 2, r() * 0.01); }
      break;
    case GgmlType.Q6_K:
      for (let i = 0; i < blocks; i++) putHalf(b, i * 210 + 208, r() * 0.01);
      break;
  }
  return weightMatrix(type, [nIn, nOut], b);
}

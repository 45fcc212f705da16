/**
 * The key/value cache: for every layer, K and V of every position seen so far, preallocated
 * once at load time. f32, as the llama.cpp reference vectors were made (type_k = type_v = F32).
 *
 * Layout per layer (row-major): `k[layer]: [n_ctx][n_head_kv][head_dim]`, same for `v`. Row p
 * holds position p, which is the layout the `attention` kernel reads (cache row j = position j).
 * The buffers come from `kernels.alloc`, so the WebAssembly kernels read them in place.
 */
import type { Kernels } from "../kernels/api.js";

export class KvCache {
  /** K per layer: [nCtx][nHeadKv][headDim] f32. */
  readonly k: Float32Array[] = [];
  /** V per layer: [nCtx][nHeadKv][headDim] f32. */
  readonly v: Float32Array[] = [];
  /** Floats per position per layer: nHeadKv * headDim (n_embd_k_gqa). */
  readonly rowSize: number;

  /**
   * Allocates 2 * nLayer * nCtx * nHeadKv * headDim floats.
   * @param kernels where to allocate (kernels.alloc).
   */
  constructor(kernels: Kernels, readonly nLayer: number, readonly nCtx: number, readonly nHeadKv: number, readonly headDim: number) {
    this.rowSize = nHeadKv * headDim;
    for (let l = 0; l < nLayer; l++) {
      this.k.push(kernels.alloc(nCtx * this.rowSize));
      this.v.push(kernels.alloc(nCtx * this.rowSize));
    }
  }

  /** Bytes held by the cache. */
  get bytes(): number {
    return 2 * this.nLayer * this.nCtx * this.rowSize * 4;
  }

  /** K rows of positions [pos0, pos0+n) of `layer`: a view into the cache, [n][nHeadKv][headDim]. */
  kRows(layer: number, pos0: number, n: number): Float32Array {
    return this.k[layer]!.subarray(pos0 * this.rowSize, (pos0 + n) * this.rowSize);
  }

  /** V rows of positions [pos0, pos0+n) of `layer`: a view into the cache. */
  vRows(layer: number, pos0: number, n: number): Float32Array {
    return this.v[layer]!.subarray(pos0 * this.rowSize, (pos0 + n) * this.rowSize);
  }
}

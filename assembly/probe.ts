// Memory-bandwidth probe for benchmarks: a streaming read of a buffer with SIMD loads and
// independent accumulators, so the loop is limited by memory, not by add latency.

/**
 * Sum of the f32 values in [p, p + bytes) as f32x4 lanes (8 accumulators, 128 bytes per step).
 * `bytes` must be a multiple of 128. The value only keeps the loads from being optimized away.
 */
export function stream_sum(p: usize, bytes: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  const end = p + <usize>bytes;
  for (let q = p; q < end; q += 128) {
    a0 = f32x4.add(a0, v128.load(q)); a1 = f32x4.add(a1, v128.load(q, 16));
    a2 = f32x4.add(a2, v128.load(q, 32)); a3 = f32x4.add(a3, v128.load(q, 48));
    a4 = f32x4.add(a4, v128.load(q, 64)); a5 = f32x4.add(a5, v128.load(q, 80));
    a6 = f32x4.add(a6, v128.load(q, 96)); a7 = f32x4.add(a7, v128.load(q, 112));
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
}

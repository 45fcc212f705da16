// Shared inline helpers for the kernels. Pointers are byte offsets into the imported shared
// memory; sizes are i32. No AssemblyScript allocation is used anywhere (no static data either),
// so every thread can instantiate the module on the same memory.

/** a*b + c on f32x4: fused (relaxed_madd) in the relaxed-SIMD build, mul+add otherwise. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/**
 * i16x8.relaxed_dot_i8x16_i7x16_s(a, b) in the relaxed-SIMD build (b must hold 0..127); never
 * reached in the plain build, whose callers take other paths (this keeps it compiling there).
 */
// @ts-ignore: decorator
@inline export function rdot_i16(a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i16x8.relaxed_dot_i8x16_i7x16_s(a, b);
  return i16x8.splat(0);
}

/** Sum of the four f32 lanes as ((l0 + l1) + (l2 + l3)). */
// @ts-ignore: decorator
@inline export function hsum_f32(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Sum of the four i32 lanes. */
// @ts-ignore: decorator
@inline export function hsum_i32(v: v128): i32 {
  const s = i32x4.add(v, v128.shuffle<i32>(v, v, 2, 3, 0, 1));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1);
}

/**
 * IEEE half bits -> f32, exact for finite values (normals and subnormals) without ever forming
 * an f32 denormal (denormal arithmetic is ~100x slower on x86). inf/NaN are not expected in weights.
 */
// @ts-ignore: decorator
@inline export function half_to_f32(h: u32): f32 {
  let f: f32;
  if ((h & 0x7c00) == 0) f = <f32>(h & 0x3ff) * reinterpret<f32>(0x33800000); // m * 2^-24
  else f = reinterpret<f32>(((h & 0x7fff) << 13) + 0x38000000);
  return (h & 0x8000) != 0 ? -f : f;
}

/** f32 -> IEEE half bits, round to nearest even, overflow to inf (ggml's F16C conversion). */
export function f32_to_half(x: f32): u32 {
  const u = reinterpret<u32>(x);
  const sign = (u >> 16) & 0x8000;
  const exp = <i32>((u >> 23) & 0xff);
  let mant = u & 0x7fffff;
  if (exp == 0xff) return sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >> 13) : 0);
  const e = exp - 112;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = <u32>(14 - e);
    const half: u32 = 1 << (shift - 1);
    const rest = mant & ((<u32>1 << shift) - 1);
    let m = mant >> shift;
    if (rest > half || (rest == half && (m & 1) != 0)) m++;
    return sign | m;
  }
  let v = (<u32>e << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (v & 1) != 0)) v++;
  return sign | v;
}

/**
 * i32x4 lanes each holding a half in the low 16 bits -> f32x4, exact for finite values, with no
 * denormal arithmetic (subnormal halves go through a normal subtraction).
 */
// @ts-ignore: decorator
@inline export function halves_to_f32x4(u: v128): v128 {
  const o = i32x4.shl(v128.and(u, i32x4.splat(0x7fff)), 13);
  const isSub = i32x4.eq(v128.and(o, i32x4.splat(0x0f800000)), i32x4.splat(0));
  const nrm = i32x4.add(o, i32x4.splat(0x38000000));
  const sub = f32x4.sub(i32x4.add(nrm, i32x4.splat(0x00800000)), f32x4.splat(reinterpret<f32>(0x38800000))); // - 2^-14
  const v = v128.bitselect(sub, nrm, isSub);
  return v128.or(v, i32x4.shl(v128.and(u, i32x4.splat(0x8000)), 16));
}

/** [hsum(a), hsum(b), hsum(c), hsum(d)] of four i32x4 vectors. */
// @ts-ignore: decorator
@inline export function reduce4_i32(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(ab, cd, 0, 1, 4, 5), v128.shuffle<i32>(ab, cd, 2, 3, 6, 7));
}

// ----- work sharing -----
// A parallel kernel's work is cut into chunks that the threads of a job claim from a shared
// counter (src/kernels/pool.ts resets it before each job), so a thread the OS does not run right
// away holds nobody up: the others take its chunks. With nth == 1 a kernel walks all chunks itself.

/** Address of the job's chunk counter (i32 in the pool's control block), per instance. */
let chunkCounter: usize = 0;

/** Sets where this instance's chunk counter lives (called once per instance by the loader/worker). */
export function set_chunk_counter(p: usize): void {
  chunkCounter = p;
}

/** The first chunk this thread works on. */
// @ts-ignore: decorator
@inline export function chunk_first(nth: i32): i32 {
  return nth == 1 ? 0 : atomic.add<i32>(chunkCounter, 1);
}

/** The chunk after `c` for this thread. */
// @ts-ignore: decorator
@inline export function chunk_next(c: i32, nth: i32): i32 {
  return nth == 1 ? c + 1 : atomic.add<i32>(chunkCounter, 1);
}


/**
 * e^x per lane in f32 (Cephes expf: x = n·ln2 + r with ln2 split in two, degree-6 polynomial in
 * r, times 2^n built in the exponent field in two halves so that n = 128 still works); within
 * about 1 ulp of the correctly rounded value. x > 88.72 gives inf; x < −87.34 gives 0 (the
 * reference's subnormal results there are below 1.2e-38; flushing them avoids the slow
 * subnormal arithmetic). NaN stays NaN.
 */
// @ts-ignore: decorator
@inline export function exp_f32x4(x: v128): v128 {
  const tiny = f32x4.lt(x, f32x4.splat(-87.33654));
  const xc = f32x4.max(f32x4.min(x, f32x4.splat(89)), f32x4.splat(-87.33654));
  const n = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504088896341)));
  let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(1.9875691500e-4), r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1));
  const ni = i32x4.trunc_sat_f32x4_s(n);
  const n1 = i32x4.shr_s(ni, 1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(i32x4.sub(ni, n1), i32x4.splat(127)), 23);
  const res = f32x4.mul(f32x4.mul(p, s1), s2);
  // NaN input: keep NaN (the clamps above would have turned it into a number)
  return v128.bitselect(x, v128.andnot(res, tiny), f32x4.ne(x, x));
}

// Shared inline helpers for the kernels. Pointers are byte offsets into the imported shared
// memory; sizes are i32. No AssemblyScript allocation is used anywhere (no static data either),
// so every thread can instantiate the module on the same memory.

/** a*b + c on f32x4: fused (relaxed_madd) in the relaxed-SIMD build, mul+add otherwise. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
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

/** IEEE half bits -> f32, exact for finite values (normals and subnormals); inf/NaN are not expected in weights. */
// @ts-ignore: decorator
@inline export function half_to_f32(h: u32): f32 {
  const f = reinterpret<f32>((h & 0x7fff) << 13) * reinterpret<f32>(0x77800000); // * 2^112
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

/** Four halves (low 64 bits of h, as u16 lanes) -> f32x4 via the exponent-rebias trick. */
// @ts-ignore: decorator
@inline export function halves_to_f32x4(u: v128): v128 {
  // u: i32x4 lanes each holding a half in the low 16 bits
  const mag = i32x4.shl(v128.and(u, i32x4.splat(0x7fff)), 13);
  const sign = i32x4.shl(v128.and(u, i32x4.splat(0x8000)), 16);
  return v128.or(f32x4.mul(mag, f32x4.splat(reinterpret<f32>(0x77800000))), sign);
}

/** The row range [r0, r1) of thread ith of nth over n rows, in multiples of `align`. */
// @ts-ignore: decorator
@inline export function split_start(n: i32, ith: i32, nth: i32, align: i32): i32 {
  const units = (n + align - 1) / align;
  const per = (units + nth - 1) / nth;
  const s = per * ith * align;
  return s < n ? s : n;
}

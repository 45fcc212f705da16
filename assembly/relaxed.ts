// The same kernels compiled with --enable relaxed-simd: f32 FMAs become f32x4.relaxed_madd.
export * from "./kernels";

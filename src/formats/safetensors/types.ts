/**
 * safetensors file model. Layout (huggingface/safetensors, README "Format"): an 8-byte
 * little-endian u64 N, then N bytes of UTF-8 JSON (the header), then the data buffer. The header
 * maps each tensor name to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the
 * start of the data buffer) and may hold `"__metadata__"`, an object whose values are strings.
 */
import type { SafetensorsDtype } from "./dtypes.js";

/** One tensor entry of the header, validated against the file. */
export interface SafetensorsTensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  /**
   * Dimensions in row-major (C) order, outermost first, as PyTorch/numpy write them: the last
   * entry is the fastest-varying one (ggml's ne[0]). `[]` is a scalar (one element).
   */
  readonly shape: readonly number[];
  /** `[begin, end)` in bytes, relative to the start of the data buffer. */
  readonly dataOffsets: readonly [number, number];
  /** Product of `shape` (1 for a scalar, 0 when a dimension is 0). */
  readonly nelements: number;
  /** `nelements` times the dtype size; equals `end - begin`. */
  readonly nbytes: number;
  /** Absolute byte offset of the tensor's first data byte in the file (`dataStart + begin`). */
  readonly offset: number;
}

/** The parsed header and where the parts of the file lie. */
export interface SafetensorsHeader {
  /** N, the JSON header's byte length as stored in the first 8 bytes (padding included). */
  readonly headerLength: number;
  /** Absolute byte offset of the data buffer (`8 + N`). */
  readonly dataStart: number;
  /** Byte length of the data buffer (file size minus `dataStart`). */
  readonly dataLength: number;
  /** `"__metadata__"` as written (string values only), or undefined when the header has none. */
  readonly metadata: Readonly<Record<string, string>> | undefined;
  /** Tensor entries in the order the header lists them. */
  readonly tensors: readonly SafetensorsTensorInfo[];
}

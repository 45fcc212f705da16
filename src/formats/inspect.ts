/**
 * `inspectFile`: identifies a model file by its first bytes (GGUF magic, or a safetensors
 * header length followed by `{`) and summarizes its header. Throws GlassboxError
 * (`UNKNOWN_FORMAT`, or the format's own codes) for anything else.
 */
import { GlassboxError } from "../errors.js";
import { GgufFile, GGUF_MAGIC } from "./gguf/reader.js";
import { FileSource } from "./gguf/source.js";
import { summarizeGguf, type ModelSummary } from "./inspect-gguf.js";
import { SafetensorsFile, summarizeSafetensors } from "./safetensors/index.js";

/** Summary of a safetensors file. */
export interface SafetensorsFileSummary {
  format: "safetensors";
  parameters: number;
  tensorCount: number;
  metadata: Record<string, string>;
  quantizationMix: { type: string; tensors: number; bytes: number; parameters: number }[];
  fileSize: number;
  /** Per-tensor rows; for safetensors `ne` holds the row-major shape (outermost first), as the file stores it. */
  tensors?: { name: string; type: string; ne: number[]; parameters: number; bytes: number; offset: number }[];
}

export type FileSummary = ModelSummary | SafetensorsFileSummary;

/**
 * Which format the file's first bytes announce. Throws GlassboxError FILE_NOT_FOUND or FILE_IO
 * (a directory, no permission), like the readers do.
 */
export function sniffFormat(path: string): "gguf" | "safetensors" | "unknown" {
  const src = FileSource.open(path);
  try {
    const n = Math.min(9, src.size);
    const head = src.readCopy(0, n);
    const dv = new DataView(head.buffer, head.byteOffset, n);
    if (n >= 4 && dv.getUint32(0, true) === GGUF_MAGIC) return "gguf";
    if (n === 9 && head[8] === 0x7b /* '{' */) return "safetensors";
    return "unknown";
  } finally {
    src.close();
  }
}

/** Summarizes a GGUF or safetensors file from its header alone. */
export function inspectFile(path: string, opts: { tensors?: boolean } = {}): FileSummary {
  const kind = sniffFormat(path);
  if (kind === "gguf") {
    const f = GgufFile.open(path);
    try {
      return summarizeGguf(f, !!opts.tensors);
    } finally {
      f.close();
    }
  }
  if (kind === "safetensors") {
    const f = SafetensorsFile.open(path);
    try {
      const s = summarizeSafetensors(f);
      return {
        format: "safetensors",
        parameters: s.parameterCount,
        tensorCount: s.tensorCount,
        metadata: { ...(s.metadata ?? {}) },
        quantizationMix: s.dtypes.map((d) => ({ type: d.dtype, tensors: d.tensors, bytes: d.bytes, parameters: d.parameters })),
        fileSize: s.fileBytes,
        ...(opts.tensors
          ? { tensors: f.tensors.map((t) => ({ name: t.name, type: t.dtype, ne: [...t.shape], parameters: t.nelements, bytes: t.nbytes, offset: t.offset })) }
          : {}),
      };
    } finally {
      f.close();
    }
  }
  throw new GlassboxError("UNKNOWN_FORMAT", `${path} is neither GGUF (magic "GGUF") nor safetensors`, { offset: 0 });
}

/**
 * A header-only summary of a safetensors file, for `glassbox inspect`: sizes, parameter count,
 * and tensor counts, elements and bytes per dtype. Reads no tensor data.
 */
import type { SafetensorsDtype } from "./dtypes.js";
import type { SafetensorsFile } from "./reader.js";

export interface SafetensorsDtypeSummary {
  readonly dtype: SafetensorsDtype;
  /** Number of tensors of this dtype. */
  readonly tensors: number;
  /** Sum of their element counts. */
  readonly parameters: number;
  /** Sum of their data bytes. */
  readonly bytes: number;
}

export interface SafetensorsSummary {
  /** File size in bytes. */
  readonly fileBytes: number;
  /** N, the JSON header's length in bytes (padding included). */
  readonly headerBytes: number;
  /** Size of the data buffer in bytes (= the sum of all tensors' bytes). */
  readonly dataBytes: number;
  readonly tensorCount: number;
  /** Total element count over all tensors (a scalar counts 1). */
  readonly parameterCount: number;
  /** One row per dtype present, most bytes first (ties: dtype name). */
  readonly dtypes: readonly SafetensorsDtypeSummary[];
  /** `"__metadata__"`, or undefined when absent. */
  readonly metadata: Readonly<Record<string, string>> | undefined;
}

/** Summarizes an opened safetensors file from its header (no tensor data is read). */
export function summarizeSafetensors(file: SafetensorsFile): SafetensorsSummary {
  const rows = new Map<SafetensorsDtype, { dtype: SafetensorsDtype; tensors: number; parameters: number; bytes: number }>();
  let parameterCount = 0;
  for (const t of file.tensors) {
    let row = rows.get(t.dtype);
    if (row === undefined) {
      row = { dtype: t.dtype, tensors: 0, parameters: 0, bytes: 0 };
      rows.set(t.dtype, row);
    }
    row.tensors++;
    row.parameters += t.nelements;
    row.bytes += t.nbytes;
    parameterCount += t.nelements;
  }
  const dtypes = [...rows.values()].sort((a, b) => b.bytes - a.bytes || (a.dtype < b.dtype ? -1 : a.dtype > b.dtype ? 1 : 0));
  return {
    fileBytes: file.size,
    headerBytes: file.header.headerLength,
    dataBytes: file.header.dataLength,
    tensorCount: file.tensors.length,
    parameterCount,
    dtypes,
    metadata: file.metadata,
  };
}

/** `openBackend`: one entry point for both backends. */
import { GlassboxError } from "../errors.js";
import { BACKEND_NAMES, type Backend, type OpenBackendOptions } from "./backend.js";
import { openLlamaCppBackend } from "./llamacpp.js";
import { openWasmBackend } from "./wasm.js";

/**
 * Opens the GGUF model at `modelPath` with the chosen backend (default "wasm").
 * @throws GlassboxError INVALID_OPTION for an unknown backend name, then whatever
 *   openWasmBackend / openLlamaCppBackend throw (e.g. BACKEND_UNAVAILABLE when node-llama-cpp is
 *   not installed, LORA_MISMATCH for an adapter made for another model, FILE_NOT_FOUND,
 *   MODEL_UNSUPPORTED_ARCH).
 */
export async function openBackend(modelPath: string, opts: OpenBackendOptions = {}): Promise<Backend> {
  const name = opts.backend ?? "wasm";
  switch (name) {
    case "wasm":
      return openWasmBackend(modelPath, opts);
    case "llamacpp":
      return openLlamaCppBackend(modelPath, opts);
    default:
      throw new GlassboxError("INVALID_OPTION", `unknown backend '${String(name)}'; choose one of: ${BACKEND_NAMES.join(", ")}`);
  }
}

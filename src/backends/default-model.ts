/** Where the default model (glassbox-tiny, shipped in the package's models/ folder) lives. */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GlassboxError } from "../errors.js";

/** Path of the default model relative to the package root. */
export const DEFAULT_MODEL_FILE = "models/glassbox-tiny.gguf";

/** Absolute path of the default model (this file compiles to <root>/<outDir>/src/backends/). */
export function defaultModelPath(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../..", DEFAULT_MODEL_FILE);
}

/**
 * `model` when given, else the default model's path.
 * @throws GlassboxError MODEL_NOT_FOUND when no model is given and the default model file is
 *   missing (the message names the file).
 */
export function resolveModelPath(model: string | undefined): string {
  if (model !== undefined) return model;
  const p = defaultModelPath();
  if (!existsSync(p)) {
    throw new GlassboxError("MODEL_NOT_FOUND", `no model given and the default model ${p} is missing; pass a .gguf file`);
  }
  return p;
}

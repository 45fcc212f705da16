/**
 * Finds the compiled kernels (build/kernels.wasm, build/relaxed.wasm). The loader compiles to
 * `<root>/<outDir>/src/kernels/wasm/`, so build/ is four levels up; we walk up from this file
 * until a `build/kernels.wasm` appears, which also works from dist-<name> folders and from an
 * installed package. `GLASSBOX_WASM_DIR` overrides the search.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GlassboxError } from "../../errors.js";

/** Absolute path of the folder holding kernels.wasm; throws KERNEL_WASM_MISSING when absent. */
export function wasmDir(): string {
  const env = process.env.GLASSBOX_WASM_DIR;
  if (env) {
    if (!existsSync(join(env, "kernels.wasm"))) throw new GlassboxError("KERNEL_WASM_MISSING", `GLASSBOX_WASM_DIR=${env} has no kernels.wasm`);
    return resolve(env);
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const cand = join(dir, "build");
    if (existsSync(join(cand, "kernels.wasm"))) return cand;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new GlassboxError("KERNEL_WASM_MISSING", "build/kernels.wasm not found; run `npm run build:wasm`");
}

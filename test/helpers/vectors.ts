// Locates ../shared/vectors (or $GLASSBOX_VECTORS). A missing vector is a loud failure, never a skip.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root: this file compiles to <root>/<outDir>/test/helpers/vectors.js. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Absolute path of the shared vectors folder; throws when it is absent. */
export function vectorsDir(): string {
  const dir = process.env.GLASSBOX_VECTORS ?? resolve(repoRoot, "../shared/vectors");
  if (!existsSync(join(dir, "README.md"))) {
    throw new Error(`shared vectors not found at ${dir} (set GLASSBOX_VECTORS or put ../shared beside the repo)`);
  }
  return dir;
}

/** Absolute path of a file under the vectors folder; throws when it is missing. */
export function vectorPath(...parts: string[]): string {
  const p = join(vectorsDir(), ...parts);
  if (!existsSync(p)) throw new Error(`missing test vector: ${p}`);
  return p;
}

/** Reads a vector file as bytes; throws when it is missing. */
export function readVector(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(vectorPath(...parts)));
}

/** Reads a little-endian f32 vector file. */
export function readF32Vector(...parts: string[]): Float32Array {
  const b = readVector(...parts);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

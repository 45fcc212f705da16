// Builds the AssemblyScript kernels into build/: kernels.wasm (SIMD128) and, when
// assembly/relaxed.ts exists, relaxed.wasm (relaxed SIMD). Runs in `prepare`, so no toolchain download.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const asc = require.resolve("assemblyscript/bin/asc.js");
mkdirSync("build", { recursive: true });
const targets = [
  ["assembly/kernels.ts", "build/kernels.wasm", []],
  ["assembly/relaxed.ts", "build/relaxed.wasm", ["--enable", "relaxed-simd"]],
];
for (const [src, out, extra] of targets) {
  if (!existsSync(src)) continue;
  execFileSync(process.execPath, [asc, src, "-o", out, ...extra], { stdio: "inherit" });
}

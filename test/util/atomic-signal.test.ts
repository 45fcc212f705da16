// Ctrl-C (SIGINT) during an atomic write removes the hidden temporary file and still ends the process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const atomicUrl = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), "../../src/util/atomic-file.js")).href;

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`${signal} during writeFileAtomic leaves no temporary file`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "gb-atomic-sig-"));
    const out = join(dir, "out.bin");
    const script = `
      import { writeFileAtomic } from ${JSON.stringify(atomicUrl)};
      setInterval(() => {}, 1000);
      writeFileAtomic(${JSON.stringify(out)}, async (sink) => {
        await sink.write(new Uint8Array(1 << 20));
        process.stdout.write("writing\\n");
        await new Promise(() => {});
      });`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => { if (d.toString().includes("writing")) resolve(); });
      child.on("exit", () => reject(new Error("child exited before writing")));
    });
    assert.equal(readdirSync(dir).length, 1, "the temporary file exists while writing");
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, sig) => resolve(sig)));
    child.kill(signal);
    assert.equal(await exited, signal, "the process still ends by the signal");
    console.log(`after ${signal}: ${readdirSync(dir).length} files left in the output folder`);
    assert.deepEqual(readdirSync(dir), []);
  });
}

// QA regression: a big-endian GGUF says so, instead of "GGUF version 50331648 is not supported".
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../helpers/cli.js";

/** Magic, a 4-byte version as given, and zero tensor and KV counts. */
const header = (version: number[]) => Uint8Array.from([0x47, 0x47, 0x55, 0x46, ...version, ...new Array(16).fill(0)]);

test("inspect names a big-endian GGUF and keeps the plain message for unknown versions", () => {
  const dir = mkdtempSync(join(tmpdir(), "gb-qa-"));
  const cases: [number[], RegExp][] = [
    [[0, 0, 0, 3], /big-endian GGUF v3 file; only little-endian GGUF is supported \(at byte 4\)$/],
    [[0, 0, 0, 2], /big-endian GGUF v2 file/],
    [[4, 0, 0, 0], /GGUF version 4 is not supported \(only 2 and 3\)/],
    [[1, 0, 0, 0], /GGUF version 1 is not supported/],
  ];
  for (const [version, message] of cases) {
    const p = join(dir, `v${version.join("")}.gguf`);
    writeFileSync(p, header(version));
    const r = runCli(["inspect", p]);
    assert.equal(r.status, 1);
    assert.match(r.stderr.trimEnd(), /^glassbox: error \[GGUF_UNSUPPORTED_VERSION\]: /);
    assert.match(r.stderr.trimEnd(), message);
  }
});

// Atomic writes: temp file in the same directory, fsync, rename; nothing left behind on failure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { tempPathFor, writeBytesAtomic, writeBytesAtomicSync, writeFileAtomic } from "../../src/util/atomic-file.js";

test("atomic writes replace the file whole and clean up after failures", async () => {
  const dir = mkdtempSync(join(tmpdir(), "glassbox-atomic-"));
  try {
    const p = join(dir, "out.bin");
    assert.equal(dirname(tempPathFor(p)), dir);
    assert.notEqual(tempPathFor(p), tempPathFor(p));
    await writeBytesAtomic(p, "first");
    assert.equal(readFileSync(p, "utf8"), "first");
    await writeFileAtomic(p, async (sink) => {
      await sink.write(new TextEncoder().encode("ab"));
      await sink.write(new Uint8Array(100_000).fill(0x63));
      assert.equal(sink.bytesWritten, 100_002);
      // while writing, the target still holds the old content and a temp file exists beside it
      assert.equal(readFileSync(p, "utf8"), "first");
      assert.equal(readdirSync(dir).length, 2);
    });
    assert.equal(readFileSync(p).length, 100_002);
    await assert.rejects(writeFileAtomic(p, async (sink) => { await sink.write(Uint8Array.of(1)); throw new Error("producer failed"); }), /producer failed/);
    assert.equal(readFileSync(p).length, 100_002);
    assert.deepEqual(readdirSync(dir), ["out.bin"]);
    writeBytesAtomicSync(p, Uint8Array.of(1, 2, 3));
    assert.deepEqual([...readFileSync(p)], [1, 2, 3]);
    assert.throws(() => writeBytesAtomicSync(join(dir, "nope", "x"), "y"), { code: "FILE_NOT_FOUND" });
    await assert.rejects(writeBytesAtomic(join(dir, "nope", "x"), "y"), { code: "FILE_NOT_FOUND" });
    writeFileSync(join(dir, "keep"), "k");
    assert.deepEqual(readdirSync(dir).sort(), ["keep", "out.bin"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Atomic file replacement: write to a temporary file in the destination's folder, fsync it, then
 * rename it over the destination, so a reader sees the old file or the whole new one, never a
 * part. (Kept inside formats/safetensors because formats import nothing of ours but errors.)
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/**
 * Writes `path` atomically. `produce` receives a `write(chunk)` function and calls it with the
 * file's bytes in order; chunks may be any size (partial writes are retried). On any error the
 * temporary file is removed and the error rethrown; the destination is left untouched.
 */
export function writeFileAtomicSync(path: string, produce: (write: (chunk: Uint8Array) => void) => void): void {
  const full = resolve(path);
  const dir = dirname(full);
  const tmp = join(dir, `.${basename(full)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx");
  let ok = false;
  try {
    produce((chunk) => {
      let done = 0;
      while (done < chunk.byteLength) done += writeSync(fd, chunk, done, chunk.byteLength - done);
    });
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) removeQuietly(tmp);
  }
  try {
    renameSync(tmp, full);
  } catch (e) {
    removeQuietly(tmp);
    throw e;
  }
  // Make the rename itself durable; some platforms cannot open or fsync a folder, and then the
  // rename is still atomic, only not yet flushed.
  try {
    const dfd = openSync(dir, "r");
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* best effort */ }
}

function removeQuietly(p: string): void {
  try { unlinkSync(p); } catch { /* already gone */ }
}

/**
 * Atomic file writes: the content goes to a temporary file in the same directory, which is
 * fsync'ed and then renamed over the target, and finally the directory is fsync'ed. Readers see
 * either the old file or the complete new one, never a partial file, even after a crash or a
 * failure half way (the temporary file is removed on failure).
 *
 * Used by the GGUF and safetensors writers and by quantize; usable for any output file.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { GlassboxError } from "../errors.js";
import { checkOutputPath } from "./output-path.js";

/**
 * Temporary files of writes in progress. While any exist, SIGINT/SIGTERM/SIGHUP remove them and
 * then re-raise the signal, so Ctrl-C during a long write leaves no hidden multi-GB temp file.
 */
const liveTemps = new Set<string>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function onSignal(signal: NodeJS.Signals): void {
  for (const t of liveTemps) {
    try { unlinkSync(t); } catch { /* already gone */ }
  }
  liveTemps.clear();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  // With our listener gone, the signal's default action (or another listener) takes over.
  process.kill(process.pid, signal);
}

function trackTemp(tmp: string): void {
  if (liveTemps.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  liveTemps.add(tmp);
}

function untrackTemp(tmp: string): void {
  liveTemps.delete(tmp);
  if (liveTemps.size === 0) for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Where the bytes of an atomic write go; write() appends. */
export interface AtomicSink {
  /** Appends `bytes` (written fully before the promise resolves). */
  write(bytes: Uint8Array): Promise<void>;
  /** Bytes appended so far. */
  readonly bytesWritten: number;
}

/** Options for atomic writes. */
export interface AtomicWriteOptions {
  /** File mode of the new file (before umask); default 0o644. */
  mode?: number;
}

/** The temporary file name used for `path`: hidden, same directory, unique per call. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

function ioError(what: string, path: string, e: unknown): GlassboxError {
  if (e instanceof GlassboxError) return e;
  const code = (e as NodeJS.ErrnoException)?.code === "ENOENT" ? "FILE_NOT_FOUND" : "FILE_IO";
  return new GlassboxError(code, `${what} ${path}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

/** fsync a directory so that a rename in it is durable; best effort (some platforms refuse). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Windows and some filesystems cannot open or fsync directories; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes `path` atomically from a producer that appends bytes to a sink (so large outputs are
 * streamed, never held in memory whole). The output path is checked first (util/output-path.ts:
 * not a directory or device, folder exists). Errors thrown by `produce` propagate unchanged after
 * the temporary file is removed; file-system failures become GlassboxError `FILE_IO` (or
 * `FILE_NOT_FOUND` when the directory does not exist), naming `path`, not the temporary file.
 */
export async function writeFileAtomic(
  path: string, produce: (sink: AtomicSink) => Promise<void> | void, options: AtomicWriteOptions = {},
): Promise<void> {
  checkOutputPath(path);
  const tmp = tempPathFor(path);
  let handle: FileHandle | undefined;
  trackTemp(tmp);
  try {
    try {
      handle = await open(tmp, "wx", options.mode ?? 0o644);
    } catch (e) {
      throw ioError("cannot create a temporary file for", path, e);
    }
    const h = handle;
    let position = 0;
    const sink: AtomicSink = {
      get bytesWritten() { return position; },
      async write(bytes: Uint8Array) {
        let done = 0;
        while (done < bytes.length) {
          let n: number;
          try {
            ({ bytesWritten: n } = await h.write(bytes, done, bytes.length - done, position));
          } catch (e) {
            throw ioError("cannot write", path, e);
          }
          if (n <= 0) throw new GlassboxError("FILE_IO", `write to ${path} made no progress`);
          done += n;
          position += n;
        }
      },
    };
    await produce(sink);
    try {
      await h.sync();
      handle = undefined;
      await h.close();
      await rename(tmp, path);
    } catch (e) {
      throw ioError("cannot finish writing", path, e);
    }
  } catch (e) {
    if (handle) await handle.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  } finally {
    untrackTemp(tmp);
  }
  syncDir(dirname(path));
}

/** Writes `data` to `path` atomically (see writeFileAtomic). */
export async function writeBytesAtomic(path: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  await writeFileAtomic(path, (sink) => sink.write(bytes), options);
}

/** Synchronous variant of writeBytesAtomic for small files (same guarantees and errors). */
export function writeBytesAtomicSync(path: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): void {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  checkOutputPath(path);
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", options.mode ?? 0o644);
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, done);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) { try { closeSync(fd); } catch { /* already failing */ } }
    try { unlinkSync(tmp); } catch { /* not created or already gone */ }
    throw ioError("cannot write", path, e);
  }
  syncDir(dirname(path));
}

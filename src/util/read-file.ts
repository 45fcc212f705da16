/**
 * Opening a file for random-access reads and reading a range of it in full, with the project's
 * error codes: FILE_NOT_FOUND when the path does not exist, FILE_IO for every other failure. The
 * model readers (GGUF, safetensors) use it, so a bad path reads the same in every command.
 */
import { closeSync, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { GlassboxError } from "../errors.js";

/** Bytes per readSync call (below the ~2 GiB a single read(2) may return on Linux). */
const CHUNK = 1 << 30;

/**
 * Why `st` cannot be read as a model file (a directory; a pipe, socket or device, whose size is
 * unknown and which cannot be read at random offsets), or null for a regular file.
 */
export function notRegularFile(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return "it is a directory, not a file";
  return "it is not a regular file (a pipe, socket or device); model files are read at random offsets";
}

/**
 * Opens `path` read-only and checks that it is a regular file: open() succeeds on a directory,
 * pipe or device, which would otherwise fail later with EISDIR or a misleading "file ends inside
 * magic" (a pipe's size is 0). Returns the descriptor (the caller closes it) and the size in bytes.
 * @throws GlassboxError FILE_NOT_FOUND when `path` does not exist; FILE_IO `cannot open <path>: ...`
 *   when it cannot be opened or is no regular file, `cannot stat <path>: ...` when fstat fails (the
 *   descriptor is closed before throwing).
 */
export function openRegularFile(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === "ENOENT" ? "FILE_NOT_FOUND" : "FILE_IO";
    throw new GlassboxError(code, `cannot open ${path}: ${(e as Error).message}`, { cause: e });
  }
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch (e) {
    closeSync(fd);
    throw new GlassboxError("FILE_IO", `cannot stat ${path}: ${(e as Error).message}`, { cause: e });
  }
  const problem = notRegularFile(st);
  if (problem !== null) {
    closeSync(fd);
    throw new GlassboxError("FILE_IO", `cannot open ${path}: ${problem}`);
  }
  return { fd, size: st.size };
}

/**
 * Fills all of `dst` with the bytes of descriptor `fd` from byte `position` on, with positional
 * reads (the descriptor's own position is untouched) of at most 1 GiB each, looping over short reads.
 * @throws GlassboxError FILE_IO `read failed: ...` when a read fails, or `the file became shorter
 *   while reading` when it ends early; `offset` is the file position of the first byte not read.
 */
export function readFully(fd: number, dst: Uint8Array, position: number): void {
  const length = dst.byteLength;
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      n = readSync(fd, dst, done, Math.min(CHUNK, length - done), position + done);
    } catch (e) {
      throw new GlassboxError("FILE_IO", `read failed: ${(e as Error).message}`, { offset: position + done, cause: e });
    }
    if (n <= 0) throw new GlassboxError("FILE_IO", "the file became shorter while reading", { offset: position + done });
    done += n;
  }
}

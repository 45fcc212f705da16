/**
 * Checks on an output path, made before any work is done. Atomic writes (util/atomic-file.ts)
 * rename a temporary file over the path at the very end; without these checks a directory there
 * fails only after the whole job, and a device such as /dev/null (writable by root) would be
 * replaced by a regular file.
 */
import { statSync, type Stats } from "node:fs";
import { dirname } from "node:path";
import { GlassboxError } from "../errors.js";

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null; // missing (or unreachable): the write itself reports what is wrong
  }
}

/**
 * Throws GlassboxError FILE_IO when `path` is empty or names something other than a regular file
 * (a directory, device, FIFO or socket; a symbolic link is judged by its target), FILE_NOT_FOUND
 * when its folder does not exist, and OUTPUT_IS_INPUT when it is the same file as one of `inputs`
 * (same device and inode), which the job still has to read. A new file in an existing folder passes.
 */
export function checkOutputPath(path: string, inputs: readonly string[] = []): void {
  if (path === "") throw new GlassboxError("FILE_IO", "the output path is empty");
  const st = statOrNull(path);
  if (st === null) {
    const dir = statOrNull(dirname(path));
    if (dir === null) throw new GlassboxError("FILE_NOT_FOUND", `cannot write ${path}: the folder ${dirname(path)} does not exist`);
    if (!dir.isDirectory()) throw new GlassboxError("FILE_IO", `cannot write ${path}: ${dirname(path)} is not a folder`);
    return;
  }
  if (st.isDirectory()) throw new GlassboxError("FILE_IO", `cannot write ${path}: it is a directory; give a file name`);
  if (!st.isFile()) {
    throw new GlassboxError("FILE_IO", `cannot write ${path}: it exists and is not a regular file (a device, pipe or socket), so it is not replaced`);
  }
  for (const input of inputs) {
    const s = statOrNull(input);
    if (s !== null && s.dev === st.dev && s.ino === st.ino) {
      throw new GlassboxError("OUTPUT_IS_INPUT", `the output ${path} is the input file ${input}; choose another output path`);
    }
  }
}

/**
 * Whether an opened path can be read as a model file. open() succeeds on directories, pipes and
 * devices, which then fail later with EISDIR or a misleading "file ends inside magic" (a pipe's
 * size is 0): the readers ask here right after opening and report the real reason.
 */
import type { Stats } from "node:fs";

/**
 * Why `st` cannot be read as a model file (a directory; a pipe, socket or device, whose size is
 * unknown and which cannot be read at random offsets), or null for a regular file.
 */
export function notRegularFile(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return "it is a directory, not a file";
  return "it is not a regular file (a pipe, socket or device); model files are read at random offsets";
}

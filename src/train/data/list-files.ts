/**
 * Expands the data paths the user gives (files and folders) into the list of files to read.
 * Folders are walked recursively; of their files, those ending in .txt, .md, .jsonl or .ndjson
 * are taken, hidden entries (name starting with ".") are left out, and each folder's entries
 * are sorted by name (UTF-16 code-unit order, not locale) so the order never depends on the
 * file system. A file named explicitly is always taken, whatever its extension. A file reached
 * twice (same real path) is read once, at its first place.
 */
import { readdir, realpath, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { GlassboxError } from "../../errors.js";

/** Extensions taken from folders (lower case, with the dot). */
export const DATA_FILE_EXTENSIONS: readonly string[] = [".txt", ".md", ".jsonl", ".ndjson"];

function ioError(path: string, e: unknown): GlassboxError {
  const code = (e as NodeJS.ErrnoException)?.code === "ENOENT" ? "FILE_NOT_FOUND" : "FILE_IO";
  return new GlassboxError(code, `cannot read ${path}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

/**
 * The files under `paths`, in order: each path in the order given, a folder's files sorted
 * (depth-first, entries by name). Throws FILE_NOT_FOUND / FILE_IO when a path cannot be read,
 * DATA_NO_FILES when nothing is found.
 */
export async function listDataFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const visiting = new Set<string>();

  const addFile = async (p: string): Promise<void> => {
    const real = await realpath(p).catch((e) => { throw ioError(p, e); });
    if (seen.has(real)) return;
    seen.add(real);
    out.push(p);
  };

  const walk = async (dir: string): Promise<void> => {
    const real = await realpath(dir).catch((e) => { throw ioError(dir, e); });
    if (visiting.has(real)) return; // a symlink loop
    visiting.add(real);
    const names = (await readdir(dir).catch((e) => { throw ioError(dir, e); }))
      .filter((n) => !n.startsWith("."))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) {
      const p = join(dir, name);
      const st = await stat(p).catch((e) => { throw ioError(p, e); });
      if (st.isDirectory()) await walk(p);
      else if (st.isFile() && DATA_FILE_EXTENSIONS.includes(extname(name).toLowerCase())) await addFile(p);
    }
    visiting.delete(real);
  };

  for (const p of paths) {
    const st = await stat(p).catch((e) => { throw ioError(p, e); });
    if (st.isDirectory()) await walk(p);
    else await addFile(p);
  }
  if (out.length === 0) {
    throw new GlassboxError("DATA_NO_FILES", `no data files (${DATA_FILE_EXTENSIONS.join(", ")}) under ${paths.join(", ")}`);
  }
  return out;
}

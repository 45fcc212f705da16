import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";

/**
 * SHA-256 of a whole file as lower-case hex, streamed in 4 MiB chunks (memory stays flat).
 * `onProgress(bytesDone, bytesTotal)` is called after each chunk. Throws the fs error on I/O failure.
 */
export async function sha256File(path: string, onProgress?: (done: number, total: number) => void): Promise<string> {
  const total = (await stat(path)).size;
  const hash = createHash("sha256");
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).byteLength;
    onProgress?.(done, total);
  }
  return hash.digest("hex");
}

/**
 * The training log: JSON lines, one object per optimizer step and one per held-out evaluation,
 * appended and flushed as they happen, so a crash loses at most the line being written. After a
 * restart from a checkpoint, the log is cut back to that checkpoint's step and continues, so the
 * loss curve has no duplicated or orphaned steps.
 *
 * Lines (field names in snake_case, as the OpenAI API and llama.cpp's JSON use):
 *   {"kind":"train","step":12,"loss":3.21,"lr":0.0006,"tokens":98304,"tokens_per_second":5120.5,"elapsed":19.2}
 *   {"kind":"eval","step":12,"loss":3.40,"elapsed":20.1,"bits_per_byte":1.62}
 * - step: optimizer steps done (1 after the first step); eval entries name the step they follow.
 * - loss: mean cross-entropy in nats per target token; lr: learning rate of the step.
 * - tokens: target tokens trained on so far, cumulative over the whole run (resumes included).
 * - tokens_per_second: this step's target tokens / this step's wall time.
 * - elapsed: seconds of training wall time since the run began, cumulative over resumes.
 * Entries may carry more fields (grad_norm, epoch, ...: numbers, strings, booleans). A number
 * that is not finite (a diverged NaN loss) is written as null; every null is read back as NaN.
 */
import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { GlassboxError } from "../errors.js";
import { writeBytesAtomicSync } from "../util/atomic-file.js";

/** Extra fields an entry may carry. */
export type TrainLogExtra = Record<string, number | string | boolean | null | undefined>;

/** One optimizer step. */
export interface TrainLogStep extends TrainLogExtra {
  kind: "train";
  step: number;
  loss: number;
  lr: number;
  tokens: number;
  tokens_per_second: number;
  elapsed: number;
}

/** One held-out evaluation, after step `step`. */
export interface TrainLogEval extends TrainLogExtra {
  kind: "eval";
  step: number;
  /** Mean held-out loss (nats per target token). */
  loss: number;
  elapsed: number;
  /** Held-out bits per UTF-8 byte, when known. */
  bits_per_byte?: number;
}

export type TrainLogEntry = TrainLogStep | TrainLogEval;

/** What readTrainLog found. */
export interface TrainLogContents {
  readonly entries: TrainLogEntry[];
  /** True when the file ended in an incomplete line (a write cut short by a crash), which was left out. */
  readonly tornTail: boolean;
}

const REQUIRED: Record<TrainLogEntry["kind"], readonly string[]> = {
  train: ["step", "loss", "lr", "tokens", "tokens_per_second", "elapsed"],
  eval: ["step", "loss", "elapsed"],
};

function checkEntry(e: unknown, where: string): TrainLogEntry {
  if (e === null || typeof e !== "object" || Array.isArray(e)) throw new GlassboxError("TRAIN_LOG_BAD", `${where}: not a JSON object`);
  const r = e as Record<string, unknown>;
  if (r.kind !== "train" && r.kind !== "eval") throw new GlassboxError("TRAIN_LOG_BAD", `${where}: kind must be "train" or "eval"`);
  for (const [k, v] of Object.entries(r)) if (v === null) r[k] = Number.NaN;
  for (const f of REQUIRED[r.kind]) {
    if (typeof r[f] !== "number") throw new GlassboxError("TRAIN_LOG_BAD", `${where}: ${f} must be a number`);
  }
  if (!Number.isSafeInteger(r.step) || (r.step as number) < 0) throw new GlassboxError("TRAIN_LOG_BAD", `${where}: step must be an integer >= 0`);
  return r as TrainLogEntry;
}

/** The JSON line of an entry ("kind" first, non-finite numbers as null), with its newline. */
export function formatTrainLogEntry(entry: TrainLogEntry): string {
  const out: Record<string, unknown> = { kind: entry.kind, step: entry.step };
  for (const [k, v] of Object.entries(entry)) {
    if (k === "kind" || k === "step" || v === undefined) continue;
    out[k] = typeof v === "number" && !Number.isFinite(v) ? null : v;
  }
  return JSON.stringify(out) + "\n";
}

/**
 * Reads a training log. An incomplete last line (no newline, not valid JSON) is left out and
 * flagged; any other malformed line throws TRAIN_LOG_BAD naming `path:line`. A missing file
 * throws FILE_NOT_FOUND.
 */
export function readTrainLog(path: string): TrainLogContents {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code === "ENOENT" ? "FILE_NOT_FOUND" : "FILE_IO";
    throw new GlassboxError(code, `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  const lines = text.split("\n");
  const last = lines.pop()!; // "" when the file ends with a newline
  const entries: TrainLogEntry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new GlassboxError("TRAIN_LOG_BAD", `${path}:${i + 1}: invalid JSON: ${(e as Error).message}`);
    }
    entries.push(checkEntry(v, `${path}:${i + 1}`));
  });
  let tornTail = false;
  if (last.trim() !== "") {
    try {
      entries.push(checkEntry(JSON.parse(last), `${path}:${lines.length + 1}`));
    } catch {
      tornTail = true;
    }
  }
  return { entries, tornTail };
}

/** Options of TrainLog.open. */
export interface TrainLogOpenOptions {
  /**
   * Resume after this step: entries with a larger step are removed (atomically) and new entries
   * are appended after the rest; a missing file is created. Default: start a new log (an
   * existing file is replaced by an empty one).
   */
  resumeStep?: number;
  /** fdatasync after every entry (default true): the line is on disk when append returns. */
  fsync?: boolean;
}

/** An open training log: append entries one line at a time. */
export class TrainLog {
  private fd: number | undefined;

  private constructor(readonly path: string, fd: number, private readonly fsync: boolean, readonly kept: TrainLogEntry[]) {
    this.fd = fd;
  }

  /**
   * Opens `path` for appending (see TrainLogOpenOptions). `kept` holds the entries kept on
   * resume (to redraw the loss curve). Errors: TRAIN_LOG_BAD (malformed existing log, or a bad
   * resumeStep), FILE_IO.
   */
  static open(path: string, o: TrainLogOpenOptions = {}): TrainLog {
    let kept: TrainLogEntry[] = [];
    if (o.resumeStep !== undefined) {
      if (!Number.isSafeInteger(o.resumeStep) || o.resumeStep < 0) {
        throw new GlassboxError("TRAIN_LOG_BAD", `resumeStep must be an integer >= 0, got ${o.resumeStep}`);
      }
      if (existsSync(path)) {
        const { entries, tornTail } = readTrainLog(path);
        kept = entries.filter((e) => e.step <= o.resumeStep!);
        if (kept.length !== entries.length || tornTail) writeBytesAtomicSync(path, kept.map(formatTrainLogEntry).join(""));
      } else writeBytesAtomicSync(path, "");
    } else {
      writeBytesAtomicSync(path, "");
    }
    let fd: number;
    try {
      fd = openSync(path, "a");
    } catch (e) {
      throw new GlassboxError("FILE_IO", `cannot open ${path}: ${(e as Error).message}`, { cause: e });
    }
    return new TrainLog(path, fd, o.fsync ?? true, kept);
  }

  /**
   * Appends one entry as a JSON line, written with one write call and (by default) synced.
   * Throws TRAIN_LOG_BAD for a malformed entry, TRAIN_LOG_CLOSED after close(), FILE_IO.
   */
  append(entry: TrainLogEntry): void {
    if (this.fd === undefined) throw new GlassboxError("TRAIN_LOG_CLOSED", `the training log ${this.path} is closed`);
    checkEntry({ ...entry }, "entry");
    const bytes = Buffer.from(formatTrainLogEntry(entry), "utf8");
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
      if (this.fsync) fdatasyncSync(this.fd);
    } catch (e) {
      throw new GlassboxError("FILE_IO", `cannot write ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Closes the file (idempotent). */
  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

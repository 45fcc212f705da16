/**
 * Errors are values: every failure Glassbox reports carries a stable machine-readable `code`
 * (e.g. `GGUF_TRUNCATED`) and a human message. File-format errors also carry the byte
 * `offset` where the problem was found. The CLI prints one line and exits non-zero; the
 * server maps these to 4xx responses with OpenAI's error body.
 */
export class GlassboxError extends Error {
  /** Stable upper-snake-case code, e.g. `GGUF_BAD_MAGIC`. */
  readonly code: string;
  /** Byte offset in the input where the problem was detected, when it concerns a file. */
  readonly offset: number | undefined;

  constructor(code: string, message: string, options: { offset?: number | bigint; cause?: unknown } = {}) {
    const off = options.offset === undefined ? undefined : Number(options.offset);
    super(off === undefined ? message : `${message} (at byte ${off})`, { cause: options.cause });
    this.name = "GlassboxError";
    this.code = code;
    this.offset = off;
  }
}

/** True when `e` is a GlassboxError, optionally with the given code. */
export function isGlassboxError(e: unknown, code?: string): e is GlassboxError {
  return e instanceof GlassboxError && (code === undefined || e.code === code);
}

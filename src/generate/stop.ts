/**
 * Streaming stop strings. Text arrives in pieces (one per token, from the stream decoder);
 * the matcher passes text through, holds back any tail that could be the start of a stop
 * string, and when a stop string completes, cuts the output exactly before it.
 *
 * Which stop wins: the one that completes first in the text (smallest end offset); among
 * those ending at the same offset, the longest (it starts earliest). This is what a reader of
 * the text one character at a time would decide, so the result does not depend on how the
 * text was split into pieces. (llama.cpp's server picks the earliest start among complete
 * matches in its buffer; the two differ only when one stop string contains another.)
 */
import { GlassboxError } from "../errors.js";

/** Result of pushing one piece of text. */
export interface StopPush {
  /** Text that is now safe to emit (may be ""). */
  text: string;
  /** True when a stop string completed; nothing more should be emitted. */
  stopped: boolean;
  /** The stop string that matched, when stopped. */
  stop?: string;
}

export class StopMatcher {
  readonly stops: readonly string[];
  private readonly maxHold: number;
  private held = "";
  private done = false;

  /** @param stops stop strings (each non-empty; throws GlassboxError INVALID_OPTION otherwise). */
  constructor(stops: readonly string[]) {
    for (const s of stops) {
      if (typeof s !== "string" || s.length === 0) {
        throw new GlassboxError("INVALID_OPTION", "stop strings must be non-empty strings");
      }
    }
    this.stops = [...stops];
    this.maxHold = stops.reduce((m, s) => Math.max(m, s.length - 1), 0);
  }

  /** True once a stop string has matched. */
  get stopped(): boolean {
    return this.done;
  }

  /** Text currently held back (a possible stop-string prefix). */
  get pending(): string {
    return this.held;
  }

  /**
   * Feed the next piece. Returns the text safe to emit now. After a stop has matched,
   * further pushes return "" (and stopped: true).
   */
  push(piece: string): StopPush {
    if (this.done) return { text: "", stopped: true };
    const buf = this.held + piece;
    let bestEnd = Infinity;
    let bestStart = 0;
    let best: string | undefined;
    for (const s of this.stops) {
      const at = buf.indexOf(s);
      if (at < 0) continue;
      const end = at + s.length;
      if (end < bestEnd || (end === bestEnd && at < bestStart)) {
        bestEnd = end;
        bestStart = at;
        best = s;
      }
    }
    if (best !== undefined) {
      this.done = true;
      this.held = "";
      return { text: buf.slice(0, bestStart), stopped: true, stop: best };
    }
    const hold = this.holdLength(buf);
    this.held = buf.slice(buf.length - hold);
    return { text: buf.slice(0, buf.length - hold), stopped: false };
  }

  /** End of text: release what was held back (it cannot complete a stop string any more). */
  flush(): string {
    const t = this.done ? "" : this.held;
    this.held = "";
    return t;
  }

  /** Length of the longest suffix of buf that is a proper prefix of some stop string. */
  private holdLength(buf: string): number {
    for (let len = Math.min(this.maxHold, buf.length); len > 0; len--) {
      const tail = buf.slice(buf.length - len);
      for (const s of this.stops) if (s.length > len && s.startsWith(tail)) return len;
    }
    return 0;
  }
}

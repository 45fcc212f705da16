/**
 * Collects bad records (invalid JSON, missing or mistyped fields, empty text, unknown roles,
 * records over a length limit, chat templates that fail) with file and line, and applies the
 * policy: "skip" keeps a count and the list, "error" throws at the first one.
 */
import { GlassboxError } from "../../errors.js";
import type { BadRecord, BadRecordPolicy } from "./types.js";

/** Most bad records kept in the list (the count is always exact). */
export const MAX_LISTED_BAD_RECORDS = 1000;

/** The bad-record list of one data load. */
export class BadRecordLog {
  /** The first MAX_LISTED_BAD_RECORDS bad records, in the order found. */
  readonly list: BadRecord[] = [];
  /** Every bad record found. */
  count = 0;

  constructor(readonly policy: BadRecordPolicy = "skip") {
    if (policy !== "skip" && policy !== "error") {
      throw new GlassboxError("INVALID_OPTION", `onBadRecord must be "skip" or "error", got ${String(policy)}`);
    }
  }

  /**
   * Reports one bad record. Policy "error": throws GlassboxError DATA_BAD_RECORD with message
   * "<file>:<line>: <reason>". Policy "skip": records it and returns.
   */
  report(file: string, line: number, reason: string): void {
    if (this.policy === "error") {
      throw new GlassboxError("DATA_BAD_RECORD", `${file}:${line}: ${reason}`);
    }
    this.count++;
    if (this.list.length < MAX_LISTED_BAD_RECORDS) this.list.push({ file, line, reason });
  }
}

/** "file:line: reason", one per line, for printing a skip list. */
export function formatBadRecords(list: readonly BadRecord[]): string {
  return list.map((b) => `${b.file}:${b.line}: ${b.reason}`).join("\n");
}

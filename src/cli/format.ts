// Small formatting helpers shared by CLI commands (human-readable sizes, aligned tables, safe text).

/**
 * Characters that must not reach a terminal raw from untrusted text (file metadata, paths, error
 * messages): C0 controls (newline and tab included), DEL, C1 controls, the Unicode line and
 * paragraph separators, and the bidirectional embedding/override/isolate controls.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text as one printable line: every character in UNSAFE becomes a visible escape (`\n`, `\r`,
 * `\t`, `\x1B`, `\u202E`), so a file cannot move the cursor, recolour the terminal or add lines.
 */
export function printableText(s: string): string {
  return s.replace(UNSAFE, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    const u = c.charCodeAt(0);
    return u < 0x100 ? `\\x${u.toString(16).toUpperCase().padStart(2, "0")}` : `\\u${u.toString(16).toUpperCase().padStart(4, "0")}`;
  });
}

/** 1234567 -> "1.23 M"; counts of parameters, tokens. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)} K`;
  return String(n);
}

/** Bytes with binary units: 1536 -> "1.50 KiB". */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${n} B` : `${v.toFixed(2)} ${units[i]}`;
}

/** Prints rows as a left-aligned table with a header line to stdout; cells go through printableText. */
export function printTable(header: string[], cells: string[][]): void {
  const rows = cells.map((r) => r.map(printableText));
  // Column widths with a loop: spreading every row into Math.max overflows the stack on big tables.
  const w = header.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < w.length; i++) w[i] = Math.max(w[i]!, (r[i] ?? "").length);
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join("  ").trimEnd() + "\n";
  process.stdout.write(line(header));
  for (const r of rows) process.stdout.write(line(r));
}

/**
 * Prints `[key, value]` rows to stdout as "key  value" lines, the keys padded to the longest.
 * Values are printed as given (unlike printTable, no printableText).
 */
export function printKeyValues(rows: readonly (readonly [string, string])[]): void {
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
}

/**
 * Progress bars for long CLI work (cli-progress on stderr). Bars draw only when stderr is a
 * terminal, so piped output and --json stay clean.
 */
import cliProgress from "cli-progress";

export interface Progress {
  /** Sets the absolute progress; `extra` fills {extra} in the format (e.g. loss, tok/s). */
  update(value: number, extra?: string): void;
  stop(): void;
}

/** Starts a bar for `total` units; `unit` "bytes" shows MB figures. Returns a no-op bar when disabled. */
export function startProgress(label: string, total: number, opts: { unit?: "bytes" | "items"; enabled?: boolean } = {}): Progress {
  const enabled = (opts.enabled ?? true) && process.stderr.isTTY === true;
  if (!enabled) return { update() {}, stop() {} };
  const bytes = opts.unit === "bytes";
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | ${bytes ? "{doneMB}/{totalMB} MB" : "{value}/{total}"} | ETA {eta_formatted} {extra}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const mb = (n: number) => (n / 1e6).toFixed(1);
  bar.start(total, 0, { doneMB: mb(0), totalMB: mb(total), extra: "" });
  return {
    update(value, extra = "") { bar.update(value, { doneMB: mb(value), totalMB: mb(total), extra }); },
    stop() { bar.stop(); },
  };
}

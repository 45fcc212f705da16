/**
 * A loss-curve chart as a standalone SVG file, with no dependencies: training loss (and the
 * held-out loss, when there is one) against the step, with axes, "nice" tick values (1, 2, 5
 * times a power of ten), grid lines, axis labels, a legend and a title. Opens in any browser.
 *
 * ```ts
 * const { entries } = readTrainLog("run/train-log.jsonl");
 * const { train, heldOut } = lossSeriesFromLog(entries);
 * await writeLossChart("run/loss.svg", train, heldOut, { title: "glassbox-tiny" });
 * ```
 * Long runs are thinned to at most `maxPoints` points per series by keeping the lowest and the
 * highest point of each bucket of steps, so spikes stay visible. Points whose loss is not finite
 * (NaN after a divergence) break the line.
 */
import { writeBytesAtomic } from "../util/atomic-file.js";
import type { TrainLogEntry } from "./log.js";

/** A series of points: x (step) and y (loss), same length, x ascending. */
export interface ChartSeries {
  readonly x: Float64Array;
  readonly y: Float64Array;
}

/** Options of lossChartSvg. */
export interface LossChartOptions {
  /** Title above the plot (default "Loss"). */
  title?: string;
  /** Picture size in pixels (default 800 x 450). */
  width?: number;
  height?: number;
  /** Axis labels (default "step" and "loss (nats/token)"). */
  xLabel?: string;
  yLabel?: string;
  /** Most points drawn per series (default 2000). */
  maxPoints?: number;
}

/** Train and held-out loss series from a training log's entries (kinds "train" and "eval"). */
export function lossSeriesFromLog(entries: readonly TrainLogEntry[]): { train: ChartSeries; heldOut: ChartSeries } {
  const pick = (kind: TrainLogEntry["kind"]): ChartSeries => {
    const es = entries.filter((e) => e.kind === kind);
    return { x: Float64Array.from(es, (e) => e.step), y: Float64Array.from(es, (e) => e.loss) };
  };
  return { train: pick("train"), heldOut: pick("eval") };
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/**
 * Tick values for [lo, hi]: multiples of a step of 1, 2 or 5 times a power of ten, about
 * `target` of them (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990). With
 * `integer`, the step is at least 1. Returns the ticks inside [lo, hi] and the step.
 */
export function niceTicks(lo: number, hi: number, target = 6, integer = false): { ticks: number[]; step: number } {
  const range = hi - lo;
  const raw = range > 0 ? range / Math.max(1, target) : 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  let step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  if (integer) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  const eps = step * 1e-9;
  for (let v = Math.ceil((lo - eps) / step) * step; v <= hi + eps; v += step) ticks.push(Math.abs(v) < eps ? 0 : v);
  return { ticks, step };
}

/** A tick label: no more decimals than the step needs, no exponent for everyday values. */
function tickLabel(v: number, step: number): string {
  const decimals = Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e7 || a < 1e-4)) return v.toExponential(1);
  return v.toFixed(decimals);
}

/** Thins a series to about `max` points: lowest and highest point of each bucket, in x order. */
function thin(s: ChartSeries, max: number): ChartSeries {
  const n = s.x.length;
  if (n <= max) return s;
  const buckets = Math.max(1, Math.floor(max / 2));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor((b * n) / buckets);
    const to = Math.floor(((b + 1) * n) / buckets);
    let lo = -1;
    let hi = -1;
    let broken = -1;
    for (let i = from; i < to; i++) {
      const y = s.y[i]!;
      if (!Number.isFinite(y)) { if (broken < 0) broken = i; continue; }
      if (lo < 0 || y < s.y[lo]!) lo = i;
      if (hi < 0 || y > s.y[hi]!) hi = i;
    }
    const keep = [lo, hi, broken].filter((i) => i >= 0).sort((a, b2) => a - b2);
    for (let k = 0; k < keep.length; k++) {
      if (k > 0 && keep[k] === keep[k - 1]) continue;
      xs.push(s.x[keep[k]!]!);
      ys.push(s.y[keep[k]!]!);
    }
  }
  return { x: Float64Array.from(xs), y: Float64Array.from(ys) };
}

const fmt = (v: number): string => (Math.round(v * 100) / 100).toString();

/**
 * The SVG text of the loss chart (UTF-8, standalone, well-formed XML). `heldOut` is optional;
 * empty series draw empty axes with "no data". Never throws for odd data (NaN, one point, equal
 * values).
 */
export function lossChartSvg(train: ChartSeries, heldOut?: ChartSeries, o: LossChartOptions = {}): string {
  const W = o.width ?? 800;
  const H = o.height ?? 450;
  const maxPoints = o.maxPoints ?? 2000;
  const left = 72;
  const right = 24;
  const top = 48;
  const bottom = 56;
  const pw = W - left - right;
  const ph = H - top - bottom;
  const series = [
    { s: thin(train, maxPoints), name: "train", color: "#1f77b4" },
    ...(heldOut && heldOut.x.length > 0 ? [{ s: thin(heldOut, maxPoints), name: "held-out", color: "#ff7f0e" }] : []),
  ];

  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const { s } of series) {
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x);
      y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  const empty = !(x0 <= x1);
  if (empty) { x0 = 0; x1 = 1; y0 = 0; y1 = 1; }
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { const d = Math.abs(y0) * 0.1 || 1; y0 -= d; y1 += d; }
  const yPad = (y1 - y0) * 0.05;
  y0 -= yPad; y1 += yPad;
  if (y0 < 0 && y0 + yPad >= 0) y0 = 0; // losses are >= 0: do not dip below zero for padding
  const X = (x: number): number => left + ((x - x0) / (x1 - x0)) * pw;
  const Y = (y: number): number => top + ph - ((y - y0) / (y1 - y0)) * ph;

  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${fmt(W / 2)}" y="28" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(o.title ?? "Loss")}</text>`);

  const xt = niceTicks(x0, x1, 8, true);
  const yt = niceTicks(y0, y1, 6);
  out.push('<g class="grid" stroke="#e5e5e5" stroke-width="1">');
  for (const v of xt.ticks) out.push(`<line x1="${fmt(X(v))}" y1="${top}" x2="${fmt(X(v))}" y2="${top + ph}"/>`);
  for (const v of yt.ticks) out.push(`<line x1="${left}" y1="${fmt(Y(v))}" x2="${left + pw}" y2="${fmt(Y(v))}"/>`);
  out.push("</g>");
  out.push(`<g class="axes" stroke="#333333" stroke-width="1"><line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}"/><line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}"/></g>`);
  out.push('<g class="x-ticks" text-anchor="middle" fill="#333333">');
  for (const v of xt.ticks) {
    out.push(`<line x1="${fmt(X(v))}" y1="${top + ph}" x2="${fmt(X(v))}" y2="${top + ph + 5}" stroke="#333333"/><text x="${fmt(X(v))}" y="${top + ph + 19}">${escapeXml(tickLabel(v, xt.step))}</text>`);
  }
  out.push("</g>");
  out.push('<g class="y-ticks" text-anchor="end" fill="#333333">');
  for (const v of yt.ticks) {
    out.push(`<line x1="${left - 5}" y1="${fmt(Y(v))}" x2="${left}" y2="${fmt(Y(v))}" stroke="#333333"/><text x="${left - 8}" y="${fmt(Y(v) + 4)}">${escapeXml(tickLabel(v, yt.step))}</text>`);
  }
  out.push("</g>");
  out.push(`<text x="${fmt(left + pw / 2)}" y="${H - 14}" text-anchor="middle">${escapeXml(o.xLabel ?? "step")}</text>`);
  out.push(`<text x="18" y="${fmt(top + ph / 2)}" text-anchor="middle" transform="rotate(-90 18 ${fmt(top + ph / 2)})">${escapeXml(o.yLabel ?? "loss (nats/token)")}</text>`);

  if (empty) {
    out.push(`<text x="${fmt(left + pw / 2)}" y="${fmt(top + ph / 2)}" text-anchor="middle" fill="#888888">no data</text>`);
  }
  for (const { s, name, color } of series) {
    let d = "";
    let pen = false;
    let points = 0;
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) { pen = false; continue; }
      d += `${pen ? "L" : "M"}${fmt(X(x))} ${fmt(Y(y))}`;
      pen = true;
      points++;
    }
    if (d !== "") out.push(`<path class="${name}" d="${d}" fill="none" stroke="${color}" stroke-width="1.5" stroke-linejoin="round"/>`);
    if (points > 0 && points <= 60) {
      out.push(`<g class="${name}-points" fill="${color}">`);
      for (let i = 0; i < s.x.length; i++) {
        if (Number.isFinite(s.x[i]!) && Number.isFinite(s.y[i]!)) out.push(`<circle cx="${fmt(X(s.x[i]!))}" cy="${fmt(Y(s.y[i]!))}" r="2.5"/>`);
      }
      out.push("</g>");
    }
  }
  // Legend, top right inside the plot.
  out.push('<g class="legend">');
  series.forEach(({ name, color }, i) => {
    const ly = top + 14 + i * 18;
    const lx = left + pw - 110;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${color}" stroke-width="2.5"/><text x="${lx + 28}" y="${ly + 4}">${escapeXml(name)}</text>`);
  });
  out.push("</g>");
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** Writes lossChartSvg(...) to `path` atomically (the file appears whole or not at all). Errors: FILE_IO, FILE_NOT_FOUND. */
export async function writeLossChart(path: string, train: ChartSeries, heldOut?: ChartSeries, o: LossChartOptions = {}): Promise<void> {
  await writeBytesAtomic(path, lossChartSvg(train, heldOut, o));
}

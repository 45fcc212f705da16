/**
 * The loss chart SVG: well-formed XML (checked by a small parser here), the expected parts
 * (title escaped, both series, ticks and labels, legend), odd data (NaN breaks the line, one
 * point, flat values, empty), thinning of long runs that keeps spikes, nice tick values, and the
 * atomic write.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { lossChartSvg, lossSeriesFromLog, niceTicks, writeLossChart, type ChartSeries } from "../../src/train/chart.js";
import { tempDir } from "./data-fixtures.js";

interface XmlElement { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string }

/**
 * Minimal XML well-formedness check: one root element, balanced and properly nested tags,
 * quoted unique attributes, only the five predefined or numeric entities, no stray "<" or "&".
 * Returns the element tree; throws on the first problem.
 */
function parseXml(src: string): XmlElement {
  let i = 0;
  const entity = /^&(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;
  const checkText = (t: string): string => {
    for (let k = t.indexOf("&"); k >= 0; k = t.indexOf("&", k + 1)) {
      if (!entity.test(t.slice(k))) throw new Error(`bad entity at ${t.slice(k, k + 10)}`);
    }
    if (t.includes("<")) throw new Error("stray <");
    return t.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
  };
  if (src.startsWith("<?xml")) i = src.indexOf("?>") + 2;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < src.length) {
    const lt = src.indexOf("<", i);
    const text = src.slice(i, lt < 0 ? src.length : lt);
    if (stack.length === 0 && text.trim() !== "") throw new Error("text outside the root");
    if (stack.length > 0) stack.at(-1)!.text += checkText(text);
    if (lt < 0) break;
    const gt = src.indexOf(">", lt);
    if (gt < 0) throw new Error("unclosed tag");
    const tag = src.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith("/")) {
      const open = stack.pop();
      if (!open || open.name !== tag.slice(1)) throw new Error(`mismatched </${tag.slice(1)}>`);
      continue;
    }
    const selfClose = tag.endsWith("/");
    const body = selfClose ? tag.slice(0, -1) : tag;
    const m = /^([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*="[^"<]*")*)\s*$/.exec(body);
    if (!m) throw new Error(`malformed tag <${tag}>`);
    const attrs: Record<string, string> = {};
    for (const a of m[2]!.matchAll(/([A-Za-z_][\w.:-]*)="([^"]*)"/g)) {
      if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]}`);
      attrs[a[1]!] = checkText(a[2]!);
    }
    const el: XmlElement = { name: m[1]!, attrs, children: [], text: "" };
    if (stack.length > 0) stack.at(-1)!.children.push(el);
    else if (root) throw new Error("two roots");
    else root = el;
    if (!selfClose) stack.push(el);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  if (!root) throw new Error("no root");
  return root;
}

function all(el: XmlElement, pred: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  if (pred(el)) out.push(el);
  for (const c of el.children) all(c, pred, out);
  return out;
}

function series(n: number, f: (i: number) => number, step = 1): ChartSeries {
  return { x: Float64Array.from({ length: n }, (_, i) => (i + 1) * step), y: Float64Array.from({ length: n }, (_, i) => f(i)) };
}

test("the checker itself rejects malformed XML", () => {
  for (const bad of ["<a><b></a></b>", "<a x=1/>", "<a>&nbsp;</a>", "<a>1 < 2</a>", "<a/><b/>", "<a>", 'x<a y="1" y="2"/>']) {
    assert.throws(() => parseXml(bad), Error, bad);
  }
  assert.equal(parseXml('<a k="&amp;"><b/>t&lt;</a>').text, "t<");
});

test("chart: well-formed SVG with title, both series, ticks, labels and legend", () => {
  const train = series(300, (i) => 8 * Math.exp(-i / 60) + 1.2 + 0.1 * Math.sin(i));
  const held = series(10, (i) => 8 * Math.exp(-(i * 30) / 60) + 1.5, 30);
  const svg = lossChartSvg(train, held, { title: 'run <"tiny"> & co' });
  const root = parseXml(svg);
  assert.equal(root.name, "svg");
  assert.equal(root.attrs.xmlns, "http://www.w3.org/2000/svg");
  const texts = all(root, (e) => e.name === "text").map((e) => e.text);
  assert.ok(texts.includes('run <"tiny"> & co'), "title, escaped in the file");
  assert.ok(svg.includes("run &lt;&quot;tiny&quot;&gt; &amp; co"));
  assert.ok(texts.includes("step") && texts.includes("loss (nats/token)"));
  assert.ok(texts.includes("train") && texts.includes("held-out"));
  const paths = all(root, (e) => e.name === "path");
  assert.deepEqual(paths.map((p) => p.attrs.class), ["train", "held-out"]);
  assert.equal((paths[0]!.attrs.d!.match(/[ML]/g) ?? []).length, 300);
  assert.equal(all(root, (e) => e.attrs.class === "held-out-points")[0]!.children.length, 10);
  // Tick labels: x ticks are integer steps; y labels rise as the screen y falls.
  const xt = all(root, (e) => e.attrs.class === "x-ticks")[0]!.children.filter((e) => e.name === "text");
  assert.ok(xt.length >= 4 && xt.every((t) => /^\d+$/.test(t.text)));
  const yt = all(root, (e) => e.attrs.class === "y-ticks")[0]!.children.filter((e) => e.name === "text");
  assert.ok(yt.length >= 4);
  for (let k = 1; k < yt.length; k++) {
    assert.ok(Number(yt[k]!.text) > Number(yt[k - 1]!.text));
    assert.ok(Number(yt[k]!.attrs.y) < Number(yt[k - 1]!.attrs.y));
  }
  // The first train point (highest loss) is near the top of the plot, the last near the bottom.
  const coords = [...paths[0]!.attrs.d!.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  assert.ok(coords[0]![1] < coords.at(-1)![1]);
  assert.ok(coords[0]![0] < coords.at(-1)![0]);
});

test("chart: NaN breaks the line; one point, flat values and no data stay well-formed", () => {
  const withNaN = series(20, (i) => (i === 10 ? Number.NaN : 3 - i * 0.1));
  const d = parseXml(lossChartSvg(withNaN)).children.find((e) => e.name === "path")!.attrs.d!;
  assert.equal((d.match(/M/g) ?? []).length, 2);
  assert.equal((d.match(/[ML]/g) ?? []).length, 19);
  for (const s of [series(1, () => 2.5), series(5, () => 4), { x: new Float64Array(0), y: new Float64Array(0) }]) {
    const svg = lossChartSvg(s, { x: new Float64Array(0), y: new Float64Array(0) });
    const root = parseXml(svg);
    assert.ok(!svg.includes("NaN") && !svg.includes("Infinity"), svg);
    if (s.x.length === 0) assert.ok(all(root, (e) => e.name === "text").some((t) => t.text === "no data"));
    else assert.equal(all(root, (e) => e.name === "path").length, 1);
  }
});

test("chart: a long run is thinned but keeps its spike; series from a log; atomic write", async () => {
  const n = 100_000;
  const long = series(n, (i) => (i === 54_321 ? 50 : 3 + Math.cos(i / 1000)));
  const svg = lossChartSvg(long, undefined, { maxPoints: 1000 });
  const d = parseXml(svg).children.find((e) => e.name === "path")!.attrs.d!;
  const pts = [...d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => Number(m[2]));
  assert.ok(pts.length <= 1000 && pts.length >= 500, `${pts.length}`);
  const top = Math.min(...pts);
  assert.ok(top < 70, `the spike (loss 50) reaches the top of the plot: y = ${top}`);

  const { train, heldOut } = lossSeriesFromLog([
    { kind: "train", step: 1, loss: 4, lr: 0, tokens: 1, tokens_per_second: 1, elapsed: 1 },
    { kind: "eval", step: 1, loss: 4.5, elapsed: 1 },
    { kind: "train", step: 2, loss: 3, lr: 0, tokens: 2, tokens_per_second: 1, elapsed: 2 },
  ]);
  assert.deepEqual(Array.from(train.x), [1, 2]);
  assert.deepEqual(Array.from(train.y), [4, 3]);
  assert.deepEqual(Array.from(heldOut.y), [4.5]);

  const dir = tempDir();
  const path = join(dir, "loss.svg");
  await writeLossChart(path, train, heldOut, { title: "t" });
  assert.equal(readFileSync(path, "utf8"), lossChartSvg(train, heldOut, { title: "t" }));
  assert.deepEqual(readdirSync(dir), ["loss.svg"], "no temporary file left behind");
});

test("nice ticks: 1-2-5 steps covering the range", () => {
  assert.deepEqual(niceTicks(0, 10, 5), { ticks: [0, 2, 4, 6, 8, 10], step: 2 });
  const t = niceTicks(0.83, 3.7, 6);
  assert.equal(t.step, 0.5);
  assert.deepEqual(t.ticks, [1, 1.5, 2, 2.5, 3, 3.5]);
  assert.equal(niceTicks(1, 3, 8, true).step, 1);
  assert.deepEqual(niceTicks(0, 20000, 4).ticks, [0, 5000, 10000, 15000, 20000]);
});

// Streaming stop strings: exact cuts, held-back prefixes, and split-invariance.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { StopMatcher } from "../../src/generate/index.js";

/** Feed pieces; return [emitted pieces, stopped, stop, flushed]. */
function feed(stops: string[], pieces: string[]) {
  const m = new StopMatcher(stops);
  const out: string[] = [];
  let stop: string | undefined;
  for (const p of pieces) {
    const r = m.push(p);
    out.push(r.text);
    if (r.stopped) {
      stop = r.stop;
      break;
    }
  }
  const flushed = m.flush();
  return { out, text: out.join("") + flushed, stopped: m.stopped, stop };
}

/** Whole-text reference: the stop that completes first (ties: the longest). */
function reference(stops: string[], text: string): { text: string; stop?: string } {
  let bestEnd = Infinity;
  let bestStart = 0;
  let best: string | undefined;
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at < 0) continue;
    const end = at + s.length;
    if (end < bestEnd || (end === bestEnd && at < bestStart)) [bestEnd, bestStart, best] = [end, at, s];
  }
  return best === undefined ? { text } : { text: text.slice(0, bestStart), stop: best };
}

test("a stop string spanning pieces cuts exactly before it", () => {
  const r = feed(["\n\nUser:"], ["Hello", " there\n", "\nUs", "er: more"]);
  assert.deepEqual(r.out, ["Hello", " there", "", ""]);
  assert.equal(r.text, "Hello there");
  assert.equal(r.stop, "\n\nUser:");
  assert.equal(r.stopped, true);
});

test("held-back text is released when the stop does not complete", () => {
  const r = feed(["</s>"], ["a<", "/x", "y"]);
  assert.deepEqual(r.out, ["a", "</x", "y"]);
  assert.equal(r.text, "a</xy");
  assert.equal(r.stopped, false);
  const f = feed(["END"], ["x E", "N"]); // ends while holding "EN"
  assert.deepEqual(f.out, ["x ", ""]);
  assert.equal(f.text, "x EN");
});

test("multiple stop strings: the first to complete wins", () => {
  assert.deepEqual(reference(["abc", "b"], "xabc"), { text: "xa", stop: "b" });
  assert.equal(feed(["abc", "b"], ["xa", "bc"]).text, "xa");
  assert.equal(feed(["world", "wor"], ["hello wo", "rld"]).stop, "wor");
  assert.equal(feed(["lo", "hello"], ["hel", "lo"]).stop, "hello"); // same end: the longest
  assert.equal(feed(["lo", "hello"], ["hel", "lo"]).text, "");
  assert.equal(feed(["x", "y"], ["ab", "cy"]).text, "abc");
});

test("pushes after a stop return nothing; empty stop strings are rejected", () => {
  const m = new StopMatcher(["!"]);
  assert.deepEqual(m.push("hi! there"), { text: "hi", stopped: true, stop: "!" });
  assert.deepEqual(m.push("more"), { text: "", stopped: true });
  assert.equal(m.flush(), "");
  assert.throws(() => new StopMatcher([""]), { code: "INVALID_OPTION" });
  assert.equal(feed([], ["a", "b"]).text, "ab");
});

test("non-ASCII stop strings (surrogate pairs) work across pieces", () => {
  const r = feed(["😀!"], ["ok 😀", "!x"]);
  assert.equal(r.text, "ok ");
  assert.equal(r.stop, "😀!");
});

/** Split `text` at the given cut points (any order, duplicates allowed). */
function split(text: string, cuts: number[]): string[] {
  const pts = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let prev = 0;
  for (const p of pts) {
    pieces.push(text.slice(prev, p));
    prev = p;
  }
  pieces.push(text.slice(prev));
  return pieces;
}

test("property: any split gives the whole-text answer; output + stop never loses or duplicates text", () => {
  const alpha = fc.constantFrom("a", "b", "\n", "c");
  const str = (min: number, max: number) => fc.array(alpha, { minLength: min, maxLength: max }).map((a) => a.join(""));
  fc.assert(
    fc.property(
      str(0, 40),
      fc.array(str(1, 4), { minLength: 0, maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (text, stops, cuts) => {
        const ref = reference(stops, text);
        const r = feed(stops, split(text, cuts));
        assert.equal(r.text, ref.text);
        assert.equal(r.stop, ref.stop);
        if (r.stop !== undefined) assert.ok(text.startsWith(r.text + r.stop));
        else assert.equal(r.text, text);
        // one character at a time gives the same
        assert.equal(feed(stops, [...text]).text, ref.text);
      },
    ),
    { numRuns: 500, seed: 11 },
  );
});

// A deterministic, generated training corpus for the tokenizer-trainer tests: Zipf-like English-ish
// words with punctuation, numbers, contractions, accented and CJK words, emoji and odd whitespace.
import { mulberry32 } from "../../src/util/mulberry32.js";

const WORDS = (
  "the of and to a in that is was he for it with as his on be at by i this had not are but from or have an they " +
  "which one you were her all she there would their we him been has when who will more no if out so said what up " +
  "its about into than them can only other new some could time these two may then do first any my now such like " +
  "our over man me even most made after also did many before must through back years where much your way well down " +
  "should because each just those people how too little state good very make world still own see men work long get " +
  "here between both life being under never day same another know while last might us great old year off come since " +
  "against go came right used take three whale ship captain sea boat water nation congress government people america"
).split(" ");
const RARE = ["café", "naïve", "Größe", "東京", "Ελλάδα", "😀", "🚢", "año", "ünïcödé", "Zürich"];

/** A seeded uniform [0,1) generator (mulberry32). */
export const rng: (seed: number) => () => number = mulberry32;

/** About `chars` characters of text from `seed`. */
export function generateCorpus(chars: number, seed = 1): string {
  const r = rng(seed);
  const parts: string[] = [];
  let n = 0;
  while (n < chars) {
    const len = 4 + Math.floor(r() * 14);
    const words: string[] = [];
    for (let i = 0; i < len; i++) {
      const x = r();
      let w: string;
      if (x < 0.02) w = RARE[Math.floor(r() * RARE.length)]!;
      else if (x < 0.05) w = String(Math.floor(r() * 100000));
      else w = WORDS[Math.floor(WORDS.length * r() ** 2.2)]!;
      if (i === 0) w = w.charAt(0).toUpperCase() + w.slice(1);
      const y = r();
      if (y < 0.04) w += "'s";
      else if (y < 0.06) w += "n't";
      else if (y < 0.1) w += ",";
      else if (y < 0.11) w = `"${w}"`;
      words.push(w);
    }
    const end = [".", ".", ".", "?", "!", ";", " --"][Math.floor(r() * 7)]!;
    const ws = r();
    const sep = ws < 0.7 ? " " : ws < 0.85 ? "\n" : ws < 0.93 ? "\n\n" : ws < 0.97 ? "  " : "\t\u00a0 ";
    const s = words.join(" ") + end + sep;
    parts.push(s);
    n += s.length;
  }
  return parts.join("");
}

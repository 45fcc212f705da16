/**
 * GPT-2 pre-tokenization as llama.cpp runs it for `tokenizer.ggml.pre = "gpt-2"`
 * (llama-vocab.cpp: the regex `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`,
 * executed by unicode.cpp `unicode_regex_split_custom_gpt2`). Whitespace is llama.cpp's set
 * (U+0009..U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000), not JavaScript's `\s`; letters and numbers are Unicode L and N.
 */

const WS = "\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
const GPT2_SOURCE = `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`;

/** A fresh global regex that yields GPT-2 pre-tokens from a string, in order, covering all of it. */
export function gpt2PretokenRegex(): RegExp {
  return new RegExp(GPT2_SOURCE, "gu");
}

/** Splits `text` into GPT-2 pre-tokens (strings; their concatenation is `text`). */
export function gpt2Pretokenize(text: string): string[] {
  return text.match(gpt2PretokenRegex()) ?? [];
}

/**
 * Splits `text` around occurrences of the `special` strings (longest match first at each position).
 * Returns alternating pieces: ordinary text (possibly empty) at even indices, a special string at
 * odd indices. With no specials, returns [text].
 */
export function splitOnSpecials(text: string, special: readonly string[]): string[] {
  const list = special.filter((s) => s.length > 0);
  if (list.length === 0) return [text];
  const sorted = [...list].sort((a, b) => b.length - a.length);
  const escaped = sorted.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return text.split(new RegExp(`(${escaped.join("|")})`, "u"));
}

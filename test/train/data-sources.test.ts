/**
 * Training data sources: folder walking (sorted, recursive), plain text, JSONL {"text"}, chat
 * JSONL {"messages"}, format auto-detection and override, and bad records reported by file and
 * line in both policies ("skip": listed and counted; "error": DATA_BAD_RECORD naming file:line).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { isGlassboxError } from "../../src/errors.js";
import { BadRecordLog } from "../../src/train/data/bad-records.js";
import { loadTrainingData } from "../../src/train/data/dataset.js";
import { listDataFiles } from "../../src/train/data/list-files.js";
import { cutText, readDataFile } from "../../src/train/data/read-records.js";
import { tempDataDir, tinyTokenizer } from "./data-fixtures.js";

test("folders are walked recursively in sorted order; hidden and other files are left out", async () => {
  const dir = tempDataDir({
    "b.txt": "b", "a.md": "a", "Z.jsonl": "{}", "sub/c.txt": "c", "sub/deeper/d.ndjson": "{}",
    ".hidden.txt": "h", ".git/e.txt": "e", "image.png": "x", "notes.TXT": "upper",
  });
  const files = await listDataFiles([dir]);
  assert.deepEqual(files.map((f) => f.slice(dir.length + 1)), [
    "Z.jsonl", "a.md", "b.txt", "notes.TXT", "sub/c.txt", "sub/deeper/d.ndjson",
  ]);
  // An explicit file is taken whatever its extension, and a file named twice is read once.
  const again = await listDataFiles([join(dir, "image.png"), dir, join(dir, "b.txt")]);
  assert.equal(again[0], join(dir, "image.png"));
  assert.equal(again.length, 7);
  await assert.rejects(listDataFiles([join(dir, "missing")]), (e) => isGlassboxError(e, "FILE_NOT_FOUND"));
  await assert.rejects(listDataFiles([tempDataDir({ "x.bin": "1" })]), (e) => isGlassboxError(e, "DATA_NO_FILES"));
});

test("plain text: one document per file, or pieces cut at blank lines with their line numbers", async () => {
  const text = "para one line 1\npara one line 2\n\npara two\n\n\npara three is a bit longer than the others\n";
  const dir = tempDataDir({ "t.txt": text });
  const bad = new BadRecordLog();
  const whole = await readDataFile(join(dir, "t.txt"), 0, bad);
  assert.equal(whole.format, "text");
  assert.equal(whole.records.length, 1);
  assert.deepEqual(whole.records[0], { kind: "text", text, file: join(dir, "t.txt"), line: 1, part: -1, fileIndex: 0 });

  const cut = await readDataFile(join(dir, "t.txt"), 3, bad, { splitTextChars: 36 });
  assert.equal(cut.read, cut.records.length);
  assert.equal(cut.records.map((r) => (r.kind === "text" ? r.text : "")).join(""), text, "pieces rejoin to the file");
  // The last paragraph (43 characters) has no line break inside: it is cut at 36 characters.
  assert.deepEqual(cut.records.map((r) => [r.line, r.kind === "text" ? r.part : -2]), [[1, 0], [4, 1], [7, 2], [7, 3]]);
  assert.deepEqual(cut.records.map((r) => (r.kind === "text" ? r.text.length : 0)), [33, 11, 36, 7]);
  assert.equal(bad.count, 0);

  for (const max of [1, 2, 3, 5, 7, 40, 1000]) {
    const s = "ab\ncd\n\nef 😀 gh\n\n\nij kl mn op qr st uv wx yz";
    const pieces = cutText(s, max);
    assert.equal(pieces.map(([a, b]) => s.slice(a, b)).join(""), s, `max ${max}`);
    for (const [a, b] of pieces) assert.ok(b > a);
  }
});

test("JSONL text records, chat records (system folded in), auto-detection and override", async () => {
  const dir = tempDataDir({
    "t.jsonl": '\ufeff{"text": "first", "id": 1}\r\n\r\n{"text": "second"}\n',
    "c.jsonl": '{"system": "Be brief.", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}]}\n',
    "plain.txt": '{"text": "this is just text"}',
  });
  const bad = new BadRecordLog("error");
  const t = await readDataFile(join(dir, "t.jsonl"), 0, bad);
  assert.equal(t.format, "jsonl");
  assert.deepEqual(t.records.map((r) => [r.kind === "text" && r.text, r.line]), [["first", 1], ["second", 3]]);
  assert.equal(t.blankLines, 1);

  const c = await readDataFile(join(dir, "c.jsonl"), 1, bad);
  assert.equal(c.format, "chat");
  const r = c.records[0]!;
  assert.equal(r.kind, "chat");
  assert.deepEqual(r.kind === "chat" && r.messages, [
    { role: "system", content: "Be brief." }, { role: "user", content: "Hi" }, { role: "assistant", content: "Hello." },
  ]);

  const p = await readDataFile(join(dir, "plain.txt"), 2, bad);
  assert.equal(p.format, "text", "a .txt file is text even when it looks like JSON");
  const forced = await readDataFile(join(dir, "plain.txt"), 2, bad, { format: "jsonl" });
  assert.deepEqual(forced.records.map((x) => x.kind === "text" && x.text), ["this is just text"]);
  const asText = await readDataFile(join(dir, "t.jsonl"), 0, bad, { format: "text" });
  assert.equal(asText.records.length, 1);
});

const BAD_TEXT_JSONL = [
  '{"text": "good one"}',          // 1
  '{"text": ""}',                  // 2 empty
  "{not json",                     // 3
  "[1, 2]",                        // 4 not an object
  '{"txt": "typo"}',               // 5 missing text
  '{"text": 42}',                  // 6 wrong type
  "",                              // 7 blank: not a record
  '{"text": "   \\n "}',           // 8 whitespace only
  '{"text": "good two"}',          // 9
  '{"text": "' + "x".repeat(300) + '"}', // 10 over maxRecordChars
].join("\n");

const BAD_CHAT_JSONL = [
  '{"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}]}', // 1 good
  '{"messages": []}',                                                                          // 2 empty
  '{"messages": [{"role": "robot", "content": "beep"}]}',                                      // 3 role
  '{"messages": [{"role": "user", "content": "Q"}]}',                                          // 4 no assistant
  '{"messages": [{"role": "user", "content": 7}, {"role": "assistant", "content": "A"}]}',      // 5 content
  '{"messages": [{"role": "user", "content": "Q"}, {"role": "system", "content": "S"}, {"role": "assistant", "content": "A"}]}', // 6
  '{"system": "S", "messages": [{"role": "system", "content": "S2"}, {"role": "assistant", "content": "A"}]}', // 7
  '{"messages": "hello"}',                                                                     // 8
  '{"text": "not a chat"}',                                                                    // 9
  '{"messages": [{"role": "user", "content": "Q"}, {"role": "assistant", "content": ""}]}',    // 10 empty answer
].join("\n") + "\n";

test("bad records are skipped with file, line and reason, and counted (read = used + skipped)", async () => {
  const dir = tempDataDir({
    "a.jsonl": BAD_TEXT_JSONL,
    "b.jsonl": BAD_CHAT_JSONL,
    "c.txt": "ok text\nline 2\nbad byte here: \xff?",
    "d.txt": " \n\n",
  });
  // Write real invalid UTF-8 (the string above would be encoded as valid UTF-8).
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(dir, "c.txt"), Buffer.concat([Buffer.from("ok text\nline 2\nbad byte: "), Buffer.from([0xc3, 0x28]), Buffer.from("\n")]));
  const data = await loadTrainingData([dir], { tokenizer: tinyTokenizer(), nCtx: 8, maxRecordChars: 200, chatTemplateName: "chatml" });
  const s = data.summary;
  const got = s.badRecords.map((b) => `${b.file.slice(dir.length + 1)}:${b.line}`);
  assert.deepEqual(got, [
    "a.jsonl:2", "a.jsonl:3", "a.jsonl:4", "a.jsonl:5", "a.jsonl:6", "a.jsonl:8", "a.jsonl:10",
    "b.jsonl:2", "b.jsonl:3", "b.jsonl:4", "b.jsonl:5", "b.jsonl:6", "b.jsonl:7", "b.jsonl:8", "b.jsonl:9", "b.jsonl:10",
    "c.txt:3", "d.txt:1",
  ]);
  const reason = (f: string, line: number): string => s.badRecords.find((b) => b.file.endsWith(f) && b.line === line)!.reason;
  assert.match(reason("a.jsonl", 2), /empty text/);
  assert.match(reason("a.jsonl", 3), /invalid JSON/);
  assert.match(reason("a.jsonl", 5), /missing "text"/);
  assert.match(reason("a.jsonl", 6), /"text" must be a string/);
  assert.match(reason("a.jsonl", 10), /longer than the limit of 200/);
  assert.match(reason("b.jsonl", 3), /role "robot"/);
  assert.match(reason("b.jsonl", 4), /no assistant message/);
  assert.match(reason("b.jsonl", 6), /system message after the first/);
  assert.match(reason("b.jsonl", 7), /both a "system" field and a system message/);
  assert.match(reason("b.jsonl", 9), /missing "messages"/);
  assert.match(reason("c.txt", 3), /not valid UTF-8/);
  assert.equal(s.recordsRead, 9 + 10 + 1 + 1);
  assert.equal(s.recordsSkipped, 18);
  assert.equal(s.recordsUsed, 3);
  assert.equal(s.recordsRead, s.recordsUsed + s.recordsSkipped);
  assert.equal(s.blankLines, 1);
  assert.deepEqual(s.formats, { text: 2, jsonl: 1, chat: 1 });
  assert.ok(data.train.nSeq > 0);
});

test('onBadRecord "error" throws DATA_BAD_RECORD naming file:line', async () => {
  const dir = tempDataDir({ "a.jsonl": '{"text": "fine"}\n{"text": "fine"}\n{"text": 3}\n' });
  await assert.rejects(
    loadTrainingData([dir], { tokenizer: tinyTokenizer(), nCtx: 8, onBadRecord: "error" }),
    (e) => isGlassboxError(e, "DATA_BAD_RECORD") && e.message.startsWith(`${join(dir, "a.jsonl")}:3: `),
  );
  // Too long after tokenization (maxRecordTokens) is a bad record too.
  const dir2 = tempDataDir({ "a.jsonl": '{"text": "fine"}\n{"text": "the whale swam in the sea and the ship sailed on"}\n' });
  await assert.rejects(
    loadTrainingData([dir2], { tokenizer: tinyTokenizer(), nCtx: 8, onBadRecord: "error", maxRecordTokens: 4 }),
    (e) => isGlassboxError(e, "DATA_BAD_RECORD") && /a\.jsonl:2: \d+ tokens is longer than the limit of 4/.test(e.message),
  );
  await assert.rejects(
    loadTrainingData([dir], { tokenizer: tinyTokenizer(), nCtx: 8, onBadRecord: "ignore" as "skip" }),
    (e) => isGlassboxError(e, "INVALID_OPTION"),
  );
});

test("no usable record at all is DATA_EMPTY, with the first reason", async () => {
  const dir = tempDataDir({ "a.jsonl": '{"text": ""}\n' });
  await assert.rejects(
    loadTrainingData([dir], { tokenizer: tinyTokenizer(), nCtx: 8 }),
    (e) => isGlassboxError(e, "DATA_EMPTY") && /a\.jsonl:1: empty text/.test(e.message),
  );
});

// Opening a multi-GB GGUF reads only its header: a valid header followed by ftruncate to ~5 GB
// (a sparse file, llama-7B shapes in Q5_0) opens in milliseconds, touching kilobytes of the file and little memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GgmlType, GgufFile, kv, planGgufLayout, type GgufByteSource, type GgufTensorToWrite } from "../../src/formats/gguf/index.js";
import { FileSource } from "../../src/formats/gguf/source.js";

test("a 5 GB sparse GGUF opens reading only its header", () => {
  const dir = mkdtempSync(join(tmpdir(), "glassbox-gguf-big-"));
  try {
    const never = (): Uint8Array => { throw new Error("tensor data must not be read"); };
    const tokens = Array.from({ length: 32000 }, (_, i) => `tok${i}`);
    const tensors: GgufTensorToWrite[] = [{ name: "token_embd.weight", ne: [4096, 32000], type: GgmlType.F16, data: never }];
    for (let l = 0; l < 32; l++) {
      for (const [n, ne] of [["attn_q", [4096, 4096]], ["attn_k", [4096, 4096]], ["attn_v", [4096, 4096]], ["attn_output", [4096, 4096]],
        ["ffn_gate", [4096, 11008]], ["ffn_up", [4096, 11008]], ["ffn_down", [11008, 4096]]] as const) {
        tensors.push({ name: `blk.${l}.${n}.weight`, ne, type: GgmlType.Q5_0, data: never });
      }
      tensors.push({ name: `blk.${l}.attn_norm.weight`, ne: [4096], type: GgmlType.F32, data: never });
    }
    tensors.push({ name: "output.weight", ne: [4096, 32000], type: GgmlType.F16, data: never });
    const layout = planGgufLayout({
      kv: [kv.string("general.architecture", "llama"), kv.u32("llama.block_count", 32), kv.arrayString("tokenizer.ggml.tokens", tokens),
        kv.arrayF32("tokenizer.ggml.scores", new Float32Array(32000))],
      tensors,
    });
    assert.ok(layout.totalSize > 4.5e9, `planned ${layout.totalSize} bytes`);
    const path = join(dir, "big.gguf");
    writeFileSync(path, layout.header);
    truncateSync(path, layout.totalSize);
    assert.equal(statSync(path).size, layout.totalSize);

    let bytesRead = 0, reads = 0;
    const src = FileSource.open(path);
    const counting: GgufByteSource = {
      size: src.size,
      read: (o, l) => { bytesRead += l; reads++; return src.read(o, l); },
      readCopy: (o, l) => { bytesRead += l; reads++; return src.readCopy(o, l); },
      close: () => src.close(),
    };
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const f = GgufFile.fromSource(counting);
    const ms = performance.now() - t0;
    const heapMb = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
    try {
      console.log(`sparse ${(layout.totalSize / 1e9).toFixed(2)} GB GGUF (${f.tensors.length} tensors, ${f.kv.size} KVs, ` +
        `${layout.header.length} header bytes): opened in ${ms.toFixed(1)} ms, read ${bytesRead} bytes in ${reads} reads, heap +${heapMb.toFixed(1)} MiB`);
      assert.equal(f.tensors.length, tensors.length);
      assert.equal(f.header.fileSize, layout.totalSize);
      assert.ok(bytesRead <= layout.header.length + 2 * 65536, `read ${bytesRead} bytes for a ${layout.header.length}-byte header`);
      assert.ok(ms < 10_000, "opening must not scan the file");
      const last = f.tensor("blk.31.attn_norm.weight")!;
      assert.ok(f.header.dataOffset + last.offset > 4e9);
      const v = f.tensorData(last); // beyond 4 GiB, sparse zeros
      assert.ok(v instanceof Float32Array && v.length === 4096 && v.every((x) => x === 0));
      assert.equal(f.tensor("output.weight")!.offset + f.tensor("output.weight")!.nbytes + f.header.dataOffset, layout.totalSize);
    } finally {
      f.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The two data structures both merge-based tokenizers (SPM and BPE) need:
 *
 * - `PairTable`: an open-addressing hash map from a pair of symbol ids (a, b) to two int32
 *   values (for BPE: merge rank and result id; for SPM: merged token id). Keys are packed into
 *   typed arrays, so a lookup allocates nothing.
 * - `BigramQueue`: a binary min-heap of candidate merges ordered by (key, left position), the
 *   order llama.cpp's priority queues pop them in (llm_bigram_spm / llm_bigram_bpe comparators:
 *   best score or lowest rank first, then the leftmost pair).
 */

/** Hash map (int32 a, int32 b) -> (int32 v0, int32 v1). First insertion of a key wins. */
export class PairTable {
  private keyA: Int32Array;
  private keyB: Int32Array;
  private val0: Int32Array;
  private val1: Int32Array;
  private mask: number;
  private count = 0;

  constructor(expected: number) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.keyA = new Int32Array(cap).fill(-1);
    this.keyB = new Int32Array(cap);
    this.val0 = new Int32Array(cap);
    this.val1 = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  private slot(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    return h & this.mask;
  }

  /** Inserts (a, b) -> (v0, v1) unless the key is present. a, b >= 0. */
  insert(a: number, b: number, v0: number, v1: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    let s = this.slot(a, b);
    for (;;) {
      const ka = this.keyA[s]!;
      if (ka === -1) break;
      if (ka === a && this.keyB[s] === b) return;
      s = (s + 1) & this.mask;
    }
    this.keyA[s] = a;
    this.keyB[s] = b;
    this.val0[s] = v0;
    this.val1[s] = v1;
    this.count++;
  }

  /** Slot index of (a, b), or -1. Read the values with `v0(slot)` / `v1(slot)`. */
  find(a: number, b: number): number {
    let s = this.slot(a, b);
    for (;;) {
      const ka = this.keyA[s]!;
      if (ka === -1) return -1;
      if (ka === a && this.keyB[s] === b) return s;
      s = (s + 1) & this.mask;
    }
  }

  v0(slot: number): number {
    return this.val0[slot]!;
  }

  v1(slot: number): number {
    return this.val1[slot]!;
  }

  private grow(): void {
    const { keyA, keyB, val0, val1 } = this;
    const cap = (this.mask + 1) * 2;
    this.keyA = new Int32Array(cap).fill(-1);
    this.keyB = new Int32Array(cap);
    this.val0 = new Int32Array(cap);
    this.val1 = new Int32Array(cap);
    this.mask = cap - 1;
    this.count = 0;
    for (let s = 0; s < keyA.length; s++) if (keyA[s] !== -1) this.insert(keyA[s]!, keyB[s]!, val0[s]!, val1[s]!);
  }
}

/**
 * Min-heap of bigrams (key, left, right, size, value). Pops the smallest key; among equal keys
 * the smallest `left`. Reuse one queue across calls with `clear()`.
 */
export class BigramQueue {
  private key = new Float64Array(64);
  private left = new Int32Array(64);
  private right = new Int32Array(64);
  private size = new Int32Array(64);
  private value = new Int32Array(64);
  private n = 0;

  // fields of the last popped entry
  popKey = 0;
  popLeft = 0;
  popRight = 0;
  popSize = 0;
  popValue = 0;

  get length(): number {
    return this.n;
  }

  clear(): void {
    this.n = 0;
  }

  private less(i: number, j: number): boolean {
    const ki = this.key[i]!;
    const kj = this.key[j]!;
    return ki < kj || (ki === kj && this.left[i]! < this.left[j]!);
  }

  private swap(i: number, j: number): void {
    const k = this.key[i]!; this.key[i] = this.key[j]!; this.key[j] = k;
    const l = this.left[i]!; this.left[i] = this.left[j]!; this.left[j] = l;
    const r = this.right[i]!; this.right[i] = this.right[j]!; this.right[j] = r;
    const s = this.size[i]!; this.size[i] = this.size[j]!; this.size[j] = s;
    const v = this.value[i]!; this.value[i] = this.value[j]!; this.value[j] = v;
  }

  push(key: number, left: number, right: number, size: number, value: number): void {
    if (this.n === this.key.length) this.grow();
    let i = this.n++;
    this.key[i] = key;
    this.left[i] = left;
    this.right[i] = right;
    this.size[i] = size;
    this.value[i] = value;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** Removes the top entry into the pop* fields. The queue must not be empty. */
  pop(): void {
    this.popKey = this.key[0]!;
    this.popLeft = this.left[0]!;
    this.popRight = this.right[0]!;
    this.popSize = this.size[0]!;
    this.popValue = this.value[0]!;
    const last = --this.n;
    if (last > 0) {
      this.key[0] = this.key[last]!;
      this.left[0] = this.left[last]!;
      this.right[0] = this.right[last]!;
      this.size[0] = this.size[last]!;
      this.value[0] = this.value[last]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= last) break;
        const r = l + 1;
        const m = r < last && this.less(r, l) ? r : l;
        if (!this.less(m, i)) break;
        this.swap(m, i);
        i = m;
      }
    }
  }

  private grow(): void {
    const cap = this.key.length * 2;
    const k = new Float64Array(cap); k.set(this.key); this.key = k;
    const l = new Int32Array(cap); l.set(this.left); this.left = l;
    const r = new Int32Array(cap); r.set(this.right); this.right = r;
    const s = new Int32Array(cap); s.set(this.size); this.size = s;
    const v = new Int32Array(cap); v.set(this.value); this.value = v;
  }
}

/** A growable int32 output buffer for token ids. */
export class IdBuffer {
  data = new Int32Array(256);
  length = 0;

  push(id: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = id;
  }

  pushAll(ids: Int32Array): void {
    if (this.length + ids.length > this.data.length) {
      let cap = this.data.length * 2;
      while (cap < this.length + ids.length) cap *= 2;
      const d = new Int32Array(cap);
      d.set(this.data.subarray(0, this.length));
      this.data = d;
    }
    this.data.set(ids, this.length);
    this.length += ids.length;
  }

  /** A copy of the ids pushed so far. */
  toInt32Array(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

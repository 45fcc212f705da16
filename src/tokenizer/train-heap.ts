/**
 * Max-priority queue of symbol pairs for BPE training: entries are (count, pair key), ordered by
 * count (higher first), then by a caller-given tie-break (lower first). Entries are never updated
 * in place: the trainer pushes a fresh entry when a count grows and drops stale ones when popped
 * (lazy deletion, as in Hugging Face tokenizers' BPE trainer). Storage: two growable Float64Arrays.
 */
export class PairHeap {
  private counts = new Float64Array(1024);
  private keys = new Float64Array(1024);
  private n = 0;

  /** `tieLess(a, b)`: true when pair key `a` should come before `b` at equal counts. */
  constructor(private readonly tieLess: (a: number, b: number) => boolean) {}

  get size(): number {
    return this.n;
  }

  private before(i: number, j: number): boolean {
    const ci = this.counts[i]!, cj = this.counts[j]!;
    if (ci !== cj) return ci > cj;
    return this.tieLess(this.keys[i]!, this.keys[j]!);
  }

  private swap(i: number, j: number): void {
    const c = this.counts[i]!, k = this.keys[i]!;
    this.counts[i] = this.counts[j]!;
    this.keys[i] = this.keys[j]!;
    this.counts[j] = c;
    this.keys[j] = k;
  }

  /** Adds an entry. */
  push(count: number, key: number): void {
    if (this.n === this.counts.length) {
      const c = new Float64Array(this.n * 2), k = new Float64Array(this.n * 2);
      c.set(this.counts);
      k.set(this.keys);
      this.counts = c;
      this.keys = k;
    }
    let i = this.n++;
    this.counts[i] = count;
    this.keys[i] = key;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** The best entry's count and key, without removing it; undefined when empty. */
  peek(): { count: number; key: number } | undefined {
    return this.n === 0 ? undefined : { count: this.counts[0]!, key: this.keys[0]! };
  }

  /** Removes the best entry. */
  pop(): void {
    if (this.n === 0) return;
    this.n--;
    if (this.n === 0) return;
    this.counts[0] = this.counts[this.n]!;
    this.keys[0] = this.keys[this.n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let best = i;
      if (l < this.n && this.before(l, best)) best = l;
      if (r < this.n && this.before(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
  }
}

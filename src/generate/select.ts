/**
 * Partial selection and sorting of token ids by a per-token key (a logit), in place, without
 * allocating. The order is total and deterministic: higher key first, and on equal keys the
 * lower token id first. This gives "lowest id wins ties" everywhere in the sampler.
 *
 * Used so that top-k on a 150k vocabulary costs O(n_vocab + k log k), not a full sort
 * (quickselect, Hoare 1961, with median-of-three pivots, then quicksort of the first k).
 */

/** True when token `a` ranks before token `b`: key[a] > key[b], or equal keys and a < b. */
export function ranksBefore(key: Float32Array, a: number, b: number): boolean {
  const ka = key[a]!;
  const kb = key[b]!;
  return ka > kb || (ka === kb && a < b);
}

const SMALL = 16;

/** Insertion sort of ids[lo, hi) by rank (for short ranges). */
export function insertionSort(ids: Int32Array, lo: number, hi: number, key: Float32Array): void {
  for (let i = lo + 1; i < hi; i++) {
    const v = ids[i]!;
    let j = i - 1;
    while (j >= lo && ranksBefore(key, v, ids[j]!)) {
      ids[j + 1] = ids[j]!;
      j--;
    }
    ids[j + 1] = v;
  }
}

/**
 * Hoare partition of ids[lo, hi) (needs hi - lo >= 3) around the median of three. Returns p with
 * lo <= p < hi - 1 such that every id in [lo, p] ranks before-or-equal every id in [p+1, hi).
 * The order is strict (ids are distinct), so the median pivot is neither the first nor the last
 * element in rank, which guarantees both sides are non-empty.
 */
export function partition(ids: Int32Array, lo: number, hi: number, key: Float32Array): number {
  const a = ids[lo]!;
  const b = ids[(lo + hi) >>> 1]!;
  const c = ids[hi - 1]!;
  let pivot: number;
  if (ranksBefore(key, a, b)) {
    pivot = ranksBefore(key, b, c) ? b : ranksBefore(key, a, c) ? c : a;
  } else {
    pivot = ranksBefore(key, a, c) ? a : ranksBefore(key, b, c) ? c : b;
  }
  let i = lo - 1;
  let j = hi;
  for (;;) {
    do i++; while (ranksBefore(key, ids[i]!, pivot));
    do j--; while (ranksBefore(key, pivot, ids[j]!));
    if (i >= j) return j;
    const t = ids[i]!;
    ids[i] = ids[j]!;
    ids[j] = t;
  }
}

/** Sort ids[lo, hi) by rank (quicksort, smaller side first, insertion sort below 16). */
export function sortByKey(ids: Int32Array, lo: number, hi: number, key: Float32Array): void {
  while (hi - lo > SMALL) {
    const p = partition(ids, lo, hi, key);
    if (p + 1 - lo < hi - (p + 1)) {
      sortByKey(ids, lo, p + 1, key);
      lo = p + 1;
    } else {
      sortByKey(ids, p + 1, hi, key);
      hi = p + 1;
    }
  }
  insertionSort(ids, lo, hi, key);
}

/**
 * Rearrange ids[lo, hi) so that ids[lo, k) are the (k - lo) best-ranked of the range, in any
 * order, and every id in [k, hi) ranks after them (quickselect / nth_element).
 */
export function selectTop(ids: Int32Array, lo: number, hi: number, k: number, key: Float32Array): void {
  while (hi - lo > SMALL) {
    const p = partition(ids, lo, hi, key);
    if (k <= p + 1) hi = p + 1;
    else lo = p + 1;
    if (k === lo || k === hi) return;
  }
  insertionSort(ids, lo, hi, key);
}

/**
 * Partial sort: afterwards ids[0, k) hold the k best-ranked of ids[0, size) in rank order
 * (highest key first, lowest id on ties); ids[k, size) hold the rest in unspecified order.
 * `key` is indexed by token id. O(size + k log k) expected time, no allocation.
 */
export function partialSortByKey(ids: Int32Array, size: number, key: Float32Array, k: number): void {
  if (k <= 0 || size <= 1) return;
  if (k > size) k = size;
  if (k < size) selectTop(ids, 0, size, k, key);
  sortByKey(ids, 0, k, key);
}

/** Move heap[i] down a min-heap (root = worst-ranked) of `n` ids. */
function siftDown(heap: Int32Array, n: number, i: number, key: Float32Array): void {
  const v = heap[i]!;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && ranksBefore(key, heap[child]!, heap[child + 1]!)) child++;
    if (!ranksBefore(key, v, heap[child]!)) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = v;
}

/**
 * Write the k best-ranked ids of a set into out[0, k), in rank order, and return k
 * (min(k, size)). The set is ids[0, size), or the ids 0..size-1 when `ids` is null.
 * A bounded heap: one comparison per element for most inputs, O(size log k) at worst, and it
 * does not reorder `ids`. `out` must hold at least k ints and must not alias `ids`.
 */
export function selectTopInto(ids: Int32Array | null, size: number, key: Float32Array, k: number, out: Int32Array): number {
  if (k > size) k = size;
  if (k <= 0) return 0;
  let n = 0;
  for (let i = 0; i < size; i++) {
    const id = ids === null ? i : ids[i]!;
    if (n < k) {
      // sift up
      let j = n++;
      while (j > 0) {
        const parent = (j - 1) >> 1;
        if (!ranksBefore(key, out[parent]!, id)) break;
        out[j] = out[parent]!;
        j = parent;
      }
      out[j] = id;
    } else if (ranksBefore(key, id, out[0]!)) {
      out[0] = id;
      siftDown(out, k, 0, key);
    }
  }
  sortByKey(out, 0, k, key);
  return k;
}

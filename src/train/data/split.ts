/**
 * Held-out split by document, before packing, deterministic. Each split unit (a record: a text
 * document or piece, or a whole conversation with all its examples) gets a key
 * sha256(seed as u64 LE || the token ids of its documents as i32 LE); the units with the k
 * smallest keys are held out, plus any unit whose key ties with the last one (identical
 * content), so the held-out count can exceed k by such duplicates. So the choice depends only
 * on the seed and the content, not on file order; identical documents always land on the same
 * side (no duplicate leaks from train into held-out); both sides keep their original order.
 */
import { createHash } from "node:crypto";
import { GlassboxError } from "../../errors.js";
import type { TokenizedDocument } from "./types.js";

/** How much to hold out: a fraction of the units, or a count. */
export interface HeldOutOptions {
  /** Fraction of the units in [0, 1); rounded, at least one unit when > 0. */
  fraction?: number;
  /** Number of units. */
  count?: number;
  /** Seed of the choice (default 0). */
  seed?: number;
}

/** Documents of each side, each in the original order. */
export interface HeldOutSplit<D extends TokenizedDocument = TokenizedDocument> {
  readonly train: D[];
  readonly heldOut: D[];
  /** Units (records) on each side. */
  readonly trainUnits: number;
  readonly heldOutUnits: number;
}

/** How many of `n` units to hold out. Throws INVALID_OPTION on bad values, DATA_TOO_SMALL when no training unit would remain. */
export function heldOutCount(n: number, o: HeldOutOptions): number {
  if (o.fraction !== undefined && o.count !== undefined) {
    throw new GlassboxError("INVALID_OPTION", "give a held-out fraction or a count, not both");
  }
  let k = 0;
  if (o.fraction !== undefined) {
    if (!(o.fraction >= 0 && o.fraction < 1)) throw new GlassboxError("INVALID_OPTION", `held-out fraction must be in [0, 1), got ${o.fraction}`);
    k = o.fraction > 0 ? Math.max(1, Math.round(o.fraction * n)) : 0;
  } else if (o.count !== undefined) {
    if (!Number.isSafeInteger(o.count) || o.count < 0) throw new GlassboxError("INVALID_OPTION", `held-out count must be an integer >= 0, got ${o.count}`);
    k = o.count;
  }
  if (k > 0 && k >= n) {
    throw new GlassboxError("DATA_TOO_SMALL", `cannot hold out ${k} of ${n} documents: nothing would be left to train on`);
  }
  return k;
}

/**
 * Splits documents into train and held-out by unit (see the file comment). Errors: those of
 * heldOutCount; INVALID_OPTION for a seed that is not an integer in [0, 2^53).
 */
export function splitHeldOut<D extends TokenizedDocument>(docs: readonly D[], o: HeldOutOptions = {}): HeldOutSplit<D> {
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new GlassboxError("INVALID_OPTION", `seed must be an integer in [0, 2^53), got ${seed}`);
  const unitIds: number[] = [];
  const hashes = new Map<number, ReturnType<typeof createHash>>();
  const seedBytes = new Uint8Array(8);
  new DataView(seedBytes.buffer).setBigUint64(0, BigInt(seed), true);
  for (const d of docs) {
    let h = hashes.get(d.unit);
    if (!h) {
      h = createHash("sha256").update(seedBytes);
      hashes.set(d.unit, h);
      unitIds.push(d.unit);
    }
    h.update(new Uint8Array(d.ids.buffer, d.ids.byteOffset, d.ids.byteLength));
  }
  const n = unitIds.length;
  const k = heldOutCount(n, o);
  if (k === 0) return { train: docs.slice(), heldOut: [], trainUnits: n, heldOutUnits: 0 };
  const keys = unitIds.map((u, order) => ({ u, order, key: hashes.get(u)!.digest("hex") }));
  keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.order - b.order));
  // Identical content has identical keys: a tie at the boundary is held out whole.
  let m = k;
  while (m < n && keys[m]!.key === keys[k - 1]!.key) m++;
  if (m === n) throw new GlassboxError("DATA_TOO_SMALL", `holding out ${k} of ${n} documents takes all of them: the rest are duplicates of held-out ones (deduplicate the data or train without a held-out split)`);
  const held = new Set<number>();
  for (let i = 0; i < m; i++) held.add(keys[i]!.u);
  const train: D[] = [];
  const heldOut: D[] = [];
  for (const d of docs) (held.has(d.unit) ? heldOut : train).push(d);
  return { train, heldOut, trainUnits: n - m, heldOutUnits: m };
}

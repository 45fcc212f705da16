/**
 * Layout of the pool's control block in shared memory (Int32 slots, then f64 job arguments),
 * shared by ../pool.ts (main thread) and worker.ts.
 */
export const CTRL = {
  /** Job generation: bumped (and notified) by the main thread for every job. */
  GEN: 0,
  /** Workers that finished the current job. */
  DONE: 1,
  /** Non-zero: workers leave their loop. */
  SHUTDOWN: 2,
  /** Index of the kernel in the pool's name list. */
  FN: 3,
  /** Number of f64 arguments. */
  NARGS: 4,
  /** Set to 1 by a worker whose kernel threw. */
  ERROR: 5,
  /** Workers that joined the current job (low bits) | CLOSED once the main thread has finished its part. */
  STATE: 6,
  /** The job's chunk counter: kernels claim chunks with an atomic add (assembly/common.ts). */
  CHUNK: 7,
  /** Int32 slots. */
  INTS: 16,
  /** STATE bit set when the job is closed: workers that arrive later skip it. */
  CLOSED: 1 << 30,
  /** Byte offset of the f64 arguments inside the block. */
  ARGS_BYTE: 64,
  MAX_ARGS: 24,
  /** Total bytes of the block. */
  BYTES: 64 + 24 * 8,
} as const;

/**
 * Atomics.load polls before a thread falls back to Atomics.wait (Node 20: 15-30 ns a poll, so
 * some tens of microseconds): a worker that just finished catches the next job of a decode step
 * without a wake-up, an idle pool sleeps instead of burning CPU, and on a machine with more
 * runnable threads than cores the spinning does not take much time from the thread doing work.
 */
export const SPIN_ITERATIONS = 2000;

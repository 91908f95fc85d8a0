/**
 * One clock for every thread of a run. `performance.now()` counts from `performance.timeOrigin`, and each
 * worker thread has its own origin (Node 24 happens to give workers the process's, older releases the
 * thread's start), so a worker reads `now() + (its origin − the main thread's origin)`: the main thread's
 * `performance.now()` at the same instant, both on the same monotonic clock. Checked by a test that
 * brackets a worker's reading between two main-thread readings. The run's clock may be `performance.now`
 * plus a constant (the bench's hrtime clock): that constant is added too.
 */
export function mainThreadClock(mainOrigin: number, clockOffsetMs: number): () => number {
  const shift = performance.timeOrigin - mainOrigin + clockOffsetMs;
  return () => performance.now() + shift;
}

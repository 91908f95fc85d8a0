import { DeadlineExceededError } from '../errors/errors.js';

/** Longest wait for one store call; a store slower than this is treated as broken. */
export const STORE_TIMEOUT_MS = 10_000;

/**
 * Longest wait for each of the run's last store writes (pending samples, the final result) once the run was
 * cancelled, so `runBenchSuite` settles within about twice this after an abort, whatever the store does.
 */
export const FINAL_WRITE_AFTER_ABORT_MS = 2_000;

/**
 * Settle with what `call` settles with, or reject with the signal's reason as soon as it aborts, or with a
 * DeadlineExceededError after `ms`: whatever a plug-in (store, transport) does, the engine never waits on it
 * longer than that. `call` gets a signal that aborts in both cases, so a well-behaved plug-in stops its work
 * too; one that settles later anyway is ignored. A synchronous throw becomes a rejection.
 */
export function withDeadline<T>(
  name: string,
  ms: number,
  signal: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<T> | T,
): Promise<T> {
  if (signal?.aborted) return Promise.reject(signal.reason as unknown);
  const own = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = () => {
      own.abort(signal?.reason);
      finish(() => reject(signal?.reason as unknown));
    };
    const timer = setTimeout(() => {
      const error = new DeadlineExceededError(name, ms);
      own.abort(error);
      finish(() => reject(error));
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    let pending: Promise<T>;
    try {
      pending = Promise.resolve(call(own.signal));
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (value) => finish(() => resolve(value)),
      (err: unknown) => finish(() => reject(err)),
    );
  });
}

/**
 * A system error from the disk (EACCES, ENOSPC, EROFS, EIO, ...) leaves the store as a StoreUnavailableError
 * naming the store, with Node's message (which names the file) and the original as `cause`. The store's own
 * errors and abort reasons pass through unchanged.
 */
import { StoreUnavailableError, SwapbenchError } from '../../errors/errors.js';
import type { Store } from '../store.js';

export function guardIo(store: Store, uri: string): Store {
  const wrap = (err: unknown): unknown =>
    !SwapbenchError.is(err) && err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string'
      ? new StoreUnavailableError(uri, err.message, { cause: err })
      : err;
  const group = <T extends object>(methods: T): T => {
    const out: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(methods)) {
      if (typeof fn !== 'function') continue;
      out[name] = (...args: unknown[]) => {
        const result: unknown = fn.apply(methods, args);
        if (result instanceof Promise) return result.catch((err: unknown) => Promise.reject(wrap(err)));
        if (typeof result === 'object' && result !== null && Symbol.asyncIterator in result) {
          return (async function* () {
            try {
              yield* result as AsyncIterable<unknown>;
            } catch (err) {
              throw wrap(err);
            }
          })();
        }
        return result;
      };
    }
    return out as T;
  };
  const guarded: Store = {
    runs: group(store.runs),
    suites: group(store.suites),
    baselines: group(store.baselines),
    hosts: group(store.hosts),
    leases: group(store.leases),
    close: () => store.close(),
    [Symbol.asyncDispose]: () => store.close(),
  };
  return guarded;
}

/**
 * A clock whose time only moves when every task is waiting on it: `sleep(ms)` schedules a wake-up, and once
 * the process has nothing else to do (a `setImmediate` later), time jumps to the earliest wake-up. Timing
 * tests become exact: a fake server that "waits 5 ms" is measured as exactly 5 ms.
 */
export interface VirtualClock {
  /** Current virtual time, ms. Pass as `clock` to the engine and the fake transport. */
  now(): number;
  /** Resolve after `ms` of virtual time; rejects with the signal's reason on abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

interface Timer {
  at: number;
  order: number;
  resolve: () => void;
  cancelled: boolean;
}

export function createVirtualClock(start = 0): VirtualClock {
  let now = start;
  let order = 0;
  const timers: Timer[] = [];
  let scheduled = false;

  const tick = (): void => {
    scheduled = false;
    const live = timers.filter((t) => !t.cancelled);
    timers.length = 0;
    timers.push(...live);
    if (timers.length === 0) return;
    timers.sort((a, b) => a.at - b.at || a.order - b.order);
    const due = timers[0]!.at;
    now = Math.max(now, due);
    // Wake every timer due at this instant, in the order they were set.
    while (timers.length > 0 && timers[0]!.at === due) timers.shift()!.resolve();
    schedule();
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(tick);
  };

  return {
    now: () => now,
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        const timer: Timer = {
          at: now + Math.max(0, ms),
          order: order++,
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          cancelled: false,
        };
        const onAbort = (): void => {
          timer.cancelled = true;
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.push(timer);
        schedule();
      });
    },
  };
}

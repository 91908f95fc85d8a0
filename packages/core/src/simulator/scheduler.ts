/**
 * One timer for every stream: a min-heap of due times served by a single setTimeout (or setImmediate for work
 * due within a millisecond). Thousands of concurrent streams cost one pending timer, not thousands.
 */

/** A scheduled callback; `cancel` drops it (lazily, when it reaches the top of the heap). */
export interface Scheduled {
  cancel(): void;
}

interface Entry extends Scheduled {
  due: number;
  seq: number;
  run: (() => void) | undefined;
}

/** A timer fires up to this early relative to performance.now(); entries are served from then. */
const EARLY_MS = 0.05;
/** Entries served per tick at most, so a burst cannot starve the sockets. */
const PER_TICK = 4096;

export class Scheduler {
  private heap: Entry[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private stopped = false;

  /** Run `run` at `due` (performance.now() ms) or as soon after as possible. */
  at(due: number, run: () => void): Scheduled {
    const entry: Entry = {
      due,
      seq: this.seq++,
      run,
      cancel: () => {
        entry.run = undefined;
      },
    };
    if (this.stopped) return entry;
    this.push(entry);
    this.arm();
    return entry;
  }

  /** Drop everything and never run again. */
  stop(): void {
    this.stopped = true;
    this.heap = [];
    this.disarm();
  }

  private disarm(): void {
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  private arm(): void {
    while (this.heap.length > 0 && this.heap[0]!.run === undefined) this.pop();
    const first = this.heap[0];
    if (!first) {
      this.disarm();
      return;
    }
    if (first.due >= this.armedFor) return;
    this.disarm();
    this.armedFor = first.due;
    const wait = first.due - performance.now();
    // setTimeout cannot wait less than ~1 ms; below that, yield to I/O once and look again.
    if (wait < 1) this.immediate = setImmediate(this.tick);
    else this.timer = setTimeout(this.tick, Math.floor(wait));
  }

  private tick = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = performance.now();
    // Entries scheduled during this tick wait for the next one: a stream writes at most one token per tick.
    const limit = this.seq;
    for (let served = 0; served < PER_TICK && this.heap.length > 0; served++) {
      const top = this.heap[0]!;
      if (top.due > now + EARLY_MS || top.seq >= limit) break;
      this.pop();
      const run = top.run;
      top.run = undefined;
      run?.();
      if (this.stopped) return;
    }
    this.arm();
  };

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let best = last;
        if (l < h.length && before(h[l]!, best)) {
          m = l;
          best = h[l]!;
        }
        if (r < h.length && before(h[r]!, best)) m = r;
        if (m === i) break;
        h[i] = h[m]!;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}

/** Earlier due first; equal due in scheduling order, so equal-time work stays FIFO. */
function before(a: Entry, b: Entry): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/** A promise that resolves after `ms` on the scheduler, or rejects with the signal's reason when it aborts. */
export function sleep(scheduler: Scheduler, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      task.cancel();
      reject(signal!.reason);
    };
    const task = scheduler.at(performance.now() + ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

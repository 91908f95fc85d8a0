/**
 * One timer for every stream: a min-heap of due times, served by a single setTimeout (or setImmediate for
 * work due within a millisecond). Thousands of concurrent streams cost one pending timer, not thousands.
 */
interface Entry {
  due: number;
  run: () => void;
}

export class Scheduler {
  private heap: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private stopped = false;

  /** Run `run` at `due` (performance.now() ms) or as soon after as possible. */
  at(due: number, run: () => void): void {
    if (this.stopped) return;
    this.push({ due, run });
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.heap = [];
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
  }

  private arm(): void {
    const first = this.heap[0];
    if (!first || first.due >= this.armedFor) return;
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.armedFor = first.due;
    const wait = first.due - performance.now();
    // setTimeout cannot wait less than ~1 ms; below that, yield to I/O once and check again.
    if (wait < 1) this.immediate = setImmediate(this.tick);
    else this.timer = setTimeout(this.tick, Math.floor(wait));
  }

  private tick = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = performance.now();
    // Tolerance of 0.2 ms: a timer that fired a hair early still serves its entry.
    while (this.heap.length > 0 && this.heap[0]!.due <= now + 0.2) this.pop().run();
    this.arm();
  };

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.due <= entry.due) break;
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
        let mDue = last.due;
        if (l < h.length && h[l]!.due < mDue) {
          m = l;
          mDue = h[l]!.due;
        }
        if (r < h.length && h[r]!.due < mDue) m = r;
        if (m === i) break;
        h[i] = h[m]!;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}

/** A promise that resolves after `ms` on the scheduler, or rejects when `signal` aborts. */
export function sleep(scheduler: Scheduler, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    scheduler.at(performance.now() + ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/**
 * llama-swap's scheduling, one model at a time: requests are served FIFO; a request for the loaded model goes
 * straight through, one for another model waits until the loaded model's in-flight requests finish, then that
 * model is stopped and the new one loaded (requests for it that arrive meanwhile join the load).
 */
import type { Scheduler } from './scheduler.js';

/** Permission to use a model; `release` when the response is done. */
export interface SwapGrant {
  /** This request started the load. */
  swapped: boolean;
  /** How long it waited for a load (its own or one it joined), ms; 0 if it did not. */
  loadMs: number;
  release(): void;
}

type Ticket =
  | { kind: 'use'; model: string; enqueuedAt: number; epoch: number; trigger: boolean; cancelled: boolean; resolve: (g: SwapGrant) => void }
  | { kind: 'unload'; model: string | undefined; cancelled: boolean; resolve: () => void };

export interface SwapModel {
  loadMs: number;
  /** Called when the model is (re)started: a fresh process has empty caches. */
  onLoad(): void;
}

export class SwapManager {
  private loaded: string | null;
  private loading: string | null = null;
  private loadStartedAt = 0;
  /** Counts loads, so a request can tell whether one happened while it waited. */
  private epoch = 0;
  private queue: Ticket[] = [];
  private inflight = new Map<string, number>();

  constructor(
    private readonly models: Map<string, SwapModel>,
    private readonly scheduler: Scheduler,
    initial: string | null,
  ) {
    this.loaded = initial;
  }

  loadedModel(): string | null {
    return this.loaded;
  }

  /** Requests waiting in llama-swap for their model. */
  waiting(): number {
    return this.queue.filter((t) => t.kind === 'use' && !t.cancelled).length;
  }

  /** `/running`: the loaded model (ready) and the one being loaded (starting). */
  running(): { model: string; state: 'ready' | 'starting' }[] {
    if (this.loading) return [{ model: this.loading, state: 'starting' }];
    return this.loaded ? [{ model: this.loaded, state: 'ready' }] : [];
  }

  /** Wait until `model` is loaded and this request may use it. Rejects with the signal's reason on abort. */
  acquire(model: string, signal: AbortSignal): Promise<SwapGrant> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.queue.length === 0 && this.loading === null && this.loaded === model) return Promise.resolve(this.grant(model, false, 0));
    return new Promise((resolve, reject) => {
      const ticket: Ticket = {
        kind: 'use',
        model,
        enqueuedAt: performance.now(),
        epoch: this.loading ? this.epoch - 1 : this.epoch,
        trigger: false,
        cancelled: false,
        resolve,
      };
      this.queue.push(ticket);
      signal.addEventListener(
        'abort',
        () => {
          if (ticket.cancelled) return;
          ticket.cancelled = true;
          reject(signal.reason);
          this.process();
        },
        { once: true },
      );
      this.process();
    });
  }

  /** Stop `model` (or whichever is loaded), after its in-flight requests finish. */
  unload(model?: string): Promise<void> {
    return new Promise((resolve) => {
      this.queue.push({ kind: 'unload', model, cancelled: false, resolve });
      this.process();
    });
  }

  private grant(model: string, swapped: boolean, loadMs: number): SwapGrant {
    this.inflight.set(model, (this.inflight.get(model) ?? 0) + 1);
    let released = false;
    return {
      swapped,
      loadMs,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.inflight.get(model) ?? 1) - 1;
        this.inflight.set(model, left);
        if (left === 0) this.process();
      },
    };
  }

  private process(): void {
    while (this.queue.length > 0) {
      const t = this.queue[0]!;
      if (t.cancelled) {
        this.queue.shift();
        continue;
      }
      if (this.loading !== null) return;
      if (t.kind === 'unload') {
        if (this.loaded !== null && (t.model === undefined || t.model === this.loaded)) {
          if ((this.inflight.get(this.loaded) ?? 0) > 0) return;
          this.loaded = null;
        }
        this.queue.shift();
        t.resolve();
        continue;
      }
      if (this.loaded === t.model) {
        this.queue.shift();
        t.cancelled = true;
        const waitedForLoad = t.epoch !== this.epoch;
        t.resolve(this.grant(t.model, t.trigger, waitedForLoad ? performance.now() - t.enqueuedAt : 0));
        continue;
      }
      // Another model is loaded: it must drain before llama-swap stops it.
      if (this.loaded !== null && (this.inflight.get(this.loaded) ?? 0) > 0) return;
      this.startLoad(t.model);
      t.trigger = true;
      return;
    }
  }

  private startLoad(model: string): void {
    this.loaded = null;
    this.loading = model;
    this.loadStartedAt = performance.now();
    this.epoch++;
    const spec = this.models.get(model)!;
    this.scheduler.at(this.loadStartedAt + spec.loadMs, () => {
      spec.onLoad();
      this.loading = null;
      this.loaded = model;
      this.process();
    });
  }
}

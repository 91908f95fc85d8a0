/**
 * Foreign traffic: requests from somebody else (a person chatting, an agent) that hold slots of a model, so
 * `/slots` shows them processing and `/metrics` counts them in `requests_processing`. They generate nothing
 * the client sees; they only occupy slots until stopped. Set with the `foreignTraffic` option, the
 * simulator's `setForeignTraffic`, or `POST /sim/foreign {"requests": N, "model"?: name}` (0 stops them).
 */
import type { ModelRuntime } from './model-runtime.js';
import type { Slot } from './model-runtime.js';

/** Foreign requests to hold: how many, on which model (default: the loaded one, else the first). */
export interface ForeignTraffic {
  requests: number;
  model?: string | undefined;
}

/** Holds foreign requests in slots; replaced as a whole on every change. */
export class ForeignTrafficHolder {
  private held: { runtime: ModelRuntime; slot: Slot }[] = [];
  private pending = new AbortController();
  private current: ForeignTraffic = { requests: 0 };

  constructor(
    private readonly runtimes: Map<string, ModelRuntime>,
    private readonly defaultModel: () => string,
  ) {}

  /** What is held now. */
  get state(): ForeignTraffic & { holding: number } {
    return { ...this.current, holding: this.held.length };
  }

  /** Replace the foreign requests. Slots are taken at once when free, or as soon as they become free. */
  set(traffic: ForeignTraffic): void {
    const n = traffic.requests;
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`simulator: foreign requests must be an integer ≥ 0, got ${String(n)}`);
    const model = traffic.model ?? this.defaultModel();
    const runtime = this.runtimes.get(model);
    if (!runtime) throw new RangeError(`simulator: foreign traffic for unknown model "${model}"`);
    this.stop();
    this.current = n === 0 ? { requests: 0 } : { requests: n, model };
    const signal = this.pending.signal;
    for (let i = 0; i < n; i++) {
      runtime.acquire(undefined, signal).then(
        (slot) => {
          // Stopped while it waited: give the slot straight back.
          if (signal.aborted) runtime.release(slot, slot.tokens);
          else this.held.push({ runtime, slot });
        },
        () => {},
      );
    }
  }

  /** End every foreign request. */
  stop(): void {
    this.pending.abort(new Error('foreign traffic stopped'));
    this.pending = new AbortController();
    for (const { runtime, slot } of this.held) runtime.release(slot, slot.tokens);
    this.held = [];
    this.current = { requests: 0 };
  }
}

/**
 * One simulated llama-server model: its slots (busy flag and last tokens, for prompt-cache reuse), the FIFO
 * queue of requests waiting for a slot, in-flight accounting for llama-swap, and `/metrics` counters.
 */
import type { ModelProfile } from './types.js';

interface Slot {
  id: number;
  busy: boolean;
  /** Prompt + generated tokens of the slot's last task: what `cache_prompt` can reuse. */
  tokens: number[];
  idTask?: number;
  nPromptTokens?: number;
}

export interface MetricCounters {
  promptTokens: number;
  cachedTokens: number;
  promptSeconds: number;
  predictedTokens: number;
  predictedSeconds: number;
  decodes: number;
  maxTokens: number;
}

export class ModelRuntime {
  readonly slots: Slot[];
  private waiting: { tokens: number[] | undefined; grant: (slot: Slot) => void; signal: AbortSignal }[] = [];
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  private taskIds = 0;
  readonly metrics: MetricCounters = { promptTokens: 0, cachedTokens: 0, promptSeconds: 0, predictedTokens: 0, predictedSeconds: 0, decodes: 0, maxTokens: 0 };

  constructor(
    readonly name: string,
    readonly profile: ModelProfile,
    private onActiveChange: (delta: number) => void,
  ) {
    this.slots = Array.from({ length: profile.slots }, (_, id) => ({ id, busy: false, tokens: [] }));
  }

  get busySlots(): number {
    return this.slots.filter((s) => s.busy).length;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Wait for an idle slot. With `tokens` (cache_prompt on), prefer the idle slot holding the longest common
   * prefix, as llama-server does by prompt similarity; otherwise the first idle slot.
   */
  acquire(tokens: number[] | undefined, signal: AbortSignal): Promise<Slot> {
    const slot = this.pick(tokens);
    if (slot && this.waiting.length === 0) return Promise.resolve(this.take(slot));
    return new Promise((resolve, reject) => {
      const entry = { tokens, grant: (s: Slot) => resolve(this.take(s)), signal };
      this.waiting.push(entry);
      signal.addEventListener(
        'abort',
        () => {
          const i = this.waiting.indexOf(entry);
          if (i >= 0) {
            this.waiting.splice(i, 1);
            reject(signal.reason);
          }
        },
        { once: true },
      );
    });
  }

  release(slot: Slot, tokens: number[]): void {
    slot.busy = false;
    slot.tokens = tokens;
    this.onActiveChange(-1);
    const next = this.waiting.shift();
    if (next) next.grant(this.pick(next.tokens) ?? slot);
  }

  /** Prompt tokens a request may reuse from `slot`: the common prefix, leaving at least one to evaluate. */
  cached(slot: Slot, tokens: number[]): number {
    let n = 0;
    const max = Math.min(slot.tokens.length, tokens.length - 1);
    while (n < max && slot.tokens[n] === tokens[n]) n++;
    return n;
  }

  nextTaskId(): number {
    return this.taskIds++;
  }

  /** llama-swap counts requests from routing to response end, to know when a model may be evicted. */
  enter(): void {
    this.inflight++;
  }

  leave(): void {
    this.inflight--;
    if (this.inflight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  whenIdle(): Promise<void> {
    return this.inflight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pick(tokens: number[] | undefined): Slot | undefined {
    let best: Slot | undefined;
    let bestLen = -1;
    for (const s of this.slots) {
      if (s.busy) continue;
      if (!tokens) return s;
      const len = this.cached(s, tokens);
      if (len > bestLen) {
        best = s;
        bestLen = len;
      }
    }
    return best;
  }

  private take(slot: Slot): Slot {
    slot.busy = true;
    this.onActiveChange(1);
    return slot;
  }
}

/**
 * One simulated llama-server model: its slots (busy flag and KV tokens, for prompt-cache reuse), the FIFO queue
 * of requests waiting for a slot, and the `/metrics` counters.
 */
import type { ModelProfile } from './types.js';

/** What `/slots` shows of a slot's current or last task. */
export interface SlotTask {
  id: number;
  nPromptTokens: number;
  processed: number;
  cached: number;
  params: Record<string, unknown>;
  decoded: number;
  /** Tokens left to the limit, -1 when unlimited. */
  remain: number;
  hasNewLine: boolean;
}

export interface Slot {
  id: number;
  busy: boolean;
  /** The slot's KV cache after its last task: prompt + generated tokens. */
  tokens: number[];
  /** For least-recently-used choice among idle slots. */
  lastUsed: number;
  task?: SlotTask;
}

export interface MetricCounters {
  promptTokens: number;
  cachedTokens: number;
  promptSeconds: number;
  predictedTokens: number;
  predictedSeconds: number;
  /** Batched decodes: each token adds 1/busy slots, as one llama_decode serves every busy slot. */
  decodes: number;
  maxTokens: number;
}

/** llama-server `--slot-prompt-similarity` default: reuse an idle slot whose cache covers this much of the prompt. */
const SLOT_SIMILARITY = 0.1;

interface Waiter {
  tokens: number[] | undefined;
  grant: (slot: Slot) => void;
  cancelled: boolean;
}

export class ModelRuntime {
  slots: Slot[];
  metrics: MetricCounters = emptyMetrics();
  /** The part of the metrics since the last `/metrics` scrape (llama-server resets its throughput gauges then). */
  window = { promptTokens: 0, promptSeconds: 0, predictedTokens: 0, predictedSeconds: 0, decodes: 0, busyWeighted: 0 };
  private waiting: Waiter[] = [];
  private waitingHead = 0;
  private waitingCount = 0;
  private busy = 0;
  private taskIds = 0;
  private useClock = 0;

  constructor(
    readonly name: string,
    readonly profile: ModelProfile,
    private readonly onActiveChange: (delta: number) => void,
  ) {
    this.slots = this.freshSlots();
  }

  /** Slots generating now. */
  get busySlots(): number {
    return this.busy;
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waitingCount;
  }

  /** A restarted process (llama-swap loaded it again): empty caches, counters from zero. */
  reset(): void {
    this.slots = this.freshSlots();
    this.metrics = emptyMetrics();
    this.taskIds = 0;
  }

  /** Wait for an idle slot, FIFO. `tokens` (with cache_prompt) lets the choice prefer a slot holding the prefix. */
  acquire(tokens: number[] | undefined, signal: AbortSignal): Promise<Slot> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.waitingCount === 0) {
      const slot = this.pick(tokens);
      if (slot) return Promise.resolve(this.take(slot));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { tokens, grant: (s) => resolve(this.take(s)), cancelled: false };
      this.waiting.push(waiter);
      this.waitingCount++;
      signal.addEventListener(
        'abort',
        () => {
          if (waiter.cancelled) return;
          waiter.cancelled = true;
          this.waitingCount--;
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  release(slot: Slot, tokens: number[]): void {
    slot.busy = false;
    slot.tokens = tokens;
    slot.lastUsed = ++this.useClock;
    this.busy--;
    this.onActiveChange(-1);
    while (this.waitingHead < this.waiting.length) {
      const next = this.waiting[this.waitingHead++]!;
      if (next.cancelled) continue;
      next.cancelled = true;
      this.waitingCount--;
      next.grant(this.pick(next.tokens) ?? slot);
      break;
    }
    // Compact the queue once its consumed head is large, so shifting stays O(1) amortized.
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
  }

  /** Prompt tokens a request may reuse from `slot`: the common prefix, leaving at least one to evaluate. */
  cachedPrefix(slot: Slot, tokens: number[]): number {
    let n = 0;
    const max = Math.min(slot.tokens.length, tokens.length - 1);
    while (n < max && slot.tokens[n] === tokens[n]) n++;
    return n;
  }

  nextTaskId(): number {
    return this.taskIds++;
  }

  /** Like llama-server: the idle slot whose cache covers enough of the prompt, else the least recently used. */
  private pick(tokens: number[] | undefined): Slot | undefined {
    let best: Slot | undefined;
    let bestLen = 0;
    let lru: Slot | undefined;
    for (const s of this.slots) {
      if (s.busy) continue;
      if (!lru || s.lastUsed < lru.lastUsed) lru = s;
      if (!tokens || tokens.length === 0) continue;
      const len = this.cachedPrefix(s, tokens);
      if (len > bestLen && len / tokens.length > SLOT_SIMILARITY) {
        best = s;
        bestLen = len;
      }
    }
    return best ?? lru;
  }

  private take(slot: Slot): Slot {
    slot.busy = true;
    this.busy++;
    this.onActiveChange(1);
    return slot;
  }

  private freshSlots(): Slot[] {
    return Array.from({ length: this.profile.slots }, (_, id) => ({ id, busy: false, tokens: [], lastUsed: 0 }));
  }
}

function emptyMetrics(): MetricCounters {
  return { promptTokens: 0, cachedTokens: 0, promptSeconds: 0, predictedTokens: 0, predictedSeconds: 0, decodes: 0, maxTokens: 0 };
}

import type { Sample } from '../result/types.js';
import { errorMessage } from '../util/error-message.js';

/** Where measured samples go on their way to the store. */
export interface SampleSink {
  push(sample: Sample): void;
  /** Resolves when every pushed sample has been handed to the store. */
  flush(): Promise<void>;
}

/**
 * Appends samples to the store off the hot path (through `append`, which bounds each write), in completion
 * order, one batch at a time: while one batch is being written, the next one collects. A batch is written
 * after the event loop's current round of network reads (setImmediate), not in between them: streams that
 * end together (a wave at high concurrency) would otherwise delay the stamps of the tokens read in the same
 * round. A store that fails is reported once through `onError`; the run goes on and keeps its samples in
 * the result's aggregates.
 */
export function createSampleSink(append: (batch: Sample[]) => Promise<void>, onError: (message: string) => void): SampleSink {
  let pending: Sample[] = [];
  let chain: Promise<void> = Promise.resolve();
  let scheduled = false;
  let failed = false;
  return {
    push(sample) {
      pending.push(sample);
      if (scheduled) return;
      scheduled = true;
      chain = chain.then(afterReads).then(async () => {
        scheduled = false;
        const batch = pending;
        pending = [];
        await append(batch).catch((err: unknown) => {
          if (!failed) onError(`could not store samples: ${errorMessage(err)}`);
          failed = true;
        });
      });
    },
    flush: () => chain,
  };
}

/** Resolves once the network reads of this round of the event loop have run. */
function afterReads(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

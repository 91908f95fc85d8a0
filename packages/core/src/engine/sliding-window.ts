/**
 * Run `total` tasks with exactly `concurrency` in flight: C workers each take the next index as soon as
 * their previous task ends, so there is no barrier between "batches". Stops taking new work once `signal`
 * aborts; tasks already started finish (or abort) on their own. Tasks must not reject.
 */
export async function runSlidingWindow(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total && !signal?.aborted) {
      const index = next++;
      await task(index);
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(concurrency, total); i++) workers.push(worker());
  await Promise.all(workers);
}

/** How long the closing store calls may take before the CLI gives up on them and says so. */
export const STORE_CHECK_MS = 5_000;

/** `promise`, or undefined once `ms` have passed (the timer does not keep the process alive). */
export function within<T>(ms: number, promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

import type { BaselineStore, HostStore, LeaseStore, RunStore, Store, SuiteStore } from './store.js';

/** A durable store's parts, before they are one `Store`. */
export interface StoreParts {
  runs: RunStore;
  suites: SuiteStore;
  baselines: BaselineStore;
  hosts: HostStore;
  leases: LeaseStore;
}

/**
 * Put a durable store together and make it ready: runs a dead writer left `running` are marked
 * `interrupted` before anyone reads them. If that fails, the connection is closed and the error thrown:
 * a caller never gets a half-open store.
 */
export async function openDurableStore(parts: StoreParts, close: () => Promise<void>): Promise<Store> {
  const store: Store = {
    ...parts,
    close,
    async [Symbol.asyncDispose]() {
      await store.close();
    },
  };
  try {
    await store.runs.recoverInterrupted();
  } catch (err) {
    await close();
    throw err;
  }
  return store;
}

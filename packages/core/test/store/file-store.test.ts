import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileStore } from '../../src/store/file/index.js';
import { describeStoreContract } from '../contracts/store.contract.js';

/** A wall clock the test moves by hand. */
function manualClock(start = '2026-11-24T12:00:00.000Z') {
  let t = Date.parse(start);
  return {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
}

// A temp folder per test; reopen and connect open the same folder again, as another process would.
describeStoreContract('file (injected clock)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'swapbench-file-store-'));
  const clock = manualClock();
  const open = () => openFileStore(dir, { now: clock.now });
  return {
    store: await open(),
    reopen: open,
    connect: open,
    advanceClock: clock.advance,
    tracksWriters: true,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describeStoreContract('file (wall clock)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'swapbench-file-store-'));
  const open = () => openFileStore(dir);
  return {
    store: await open(),
    reopen: open,
    connect: open,
    tracksWriters: true,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

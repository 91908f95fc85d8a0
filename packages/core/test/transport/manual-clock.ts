/**
 * A clock the test sets by hand, for exact arrival stamps without sleeps: the transport reads it once per
 * network read (and at the response's start and end), and the test waits for that read before moving on.
 */
import { expect } from 'vitest';
import type { ControlledBody } from './msw-loopback.js';

export interface ManualClock {
  /** What the clock reads now. */
  now: number;
  /** How many times the transport has read it. */
  reads: number;
  /** The function to pass as the transport's `clock`. */
  read: () => number;
}

export function manualClock(): ManualClock {
  const clock: ManualClock = {
    now: 0,
    reads: 0,
    read: () => {
      clock.reads++;
      return clock.now;
    },
  };
  return clock;
}

/** Set the clock to `at`, send `piece`, and wait until the transport has read it (one read per piece on loopback). */
export async function sendAt(clock: ManualClock, body: ControlledBody, piece: string, at: number): Promise<void> {
  clock.now = at;
  const before = clock.reads;
  body.push(piece);
  await expect.poll(() => clock.reads, { interval: 2, timeout: 5000 }).toBeGreaterThan(before);
}

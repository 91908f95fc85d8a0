/**
 * Each machine's offset to the database's clock, the one clock a coordinator and its runners share. Only a
 * start time crosses machines this way; every duration is measured on one machine's monotonic clock.
 */
import type pg from 'pg';

/** This process's wall clock, epoch ms, read through the monotonic clock (no NTP step moves it mid-run). */
export function localEpochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** (database clock − this machine's clock), ms, and the round trip it was read in: its error is at most half that. */
export interface DbOffset {
  offsetMs: number;
  rttMs: number;
}

/**
 * Read the database's clock `rounds` times; each reading is taken as sent halfway through its round trip
 * (Cristian's algorithm), and the reading with the shortest round trip wins: it bounds the error best.
 */
export async function measureDbOffset(pool: pg.Pool, rounds = 7): Promise<DbOffset> {
  const client = await pool.connect();
  try {
    // One connection for all rounds, warmed first: a connect or a first plan would only lengthen the trips.
    await client.query('SELECT clock_timestamp()');
    let best: DbOffset = { offsetMs: 0, rttMs: Number.POSITIVE_INFINITY };
    for (let i = 0; i < rounds; i++) {
      const before = localEpochMs();
      const { rows } = await client.query<{ ms: number }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms');
      const after = localEpochMs();
      if (after - before < best.rttMs) best = { offsetMs: rows[0]!.ms - (before + after) / 2, rttMs: after - before };
    }
    return best;
  } finally {
    client.release();
  }
}

/** Wait until `atDbMs` on the database's clock, read through `offset`; resolves at once when it has passed. */
export function waitUntilDb(atDbMs: number, offset: DbOffset, signal: AbortSignal): Promise<void> {
  const target = atDbMs - offset.offsetMs;
  return new Promise((resolve) => {
    const check = () => {
      const left = target - localEpochMs();
      if (left <= 0 || signal.aborted) return resolve();
      // Timers fire late by up to a ms or so: the last stretch in short hops.
      setTimeout(check, left > 20 ? left - 10 : 1);
    };
    check();
  });
}

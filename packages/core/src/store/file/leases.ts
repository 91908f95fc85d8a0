/**
 * Host leases shared by every process using the folder, without a lock: `leases/<hostId>/` holds numbered
 * generations (`000000000001.json`, ...) and the highest one is the host's lease (or `null`: released).
 * Every change (acquire, renew, release) creates the next generation with an exclusive create (a fully
 * written temp file linked to the name; EEXIST if the name is taken). So each change is a compare-and-set on
 * the generation it read: of two processes that read generation 7, one creates 8 and the other gets EEXIST,
 * reads 8 and decides again. No process can die holding a lock, and an expired lease needs no cleanup: the
 * next acquire simply writes over it, one generation up. Old generations are deleted as new ones appear.
 */
import { makeDirs } from '../make-dirs.js';
import { randomUUID } from 'node:crypto';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, CorruptRecordError } from '../../errors/errors.js';
import type { LeaseAcquireResult, LeaseRecord, LeaseStore, StoreCallOptions } from '../store.js';
import { createExclusive, docText, errno, readDoc } from './fs-atomic.js';
import type { Layout } from './layout.js';

const GEN = /^(\d{12})\.json$/;

interface Current {
  gen: number;
  lease: LeaseRecord | null;
}

/** The lease store of a folder; `enter` guards every call (abort, closed), `now` is the shared clock. */
export function fileLeases(layout: Layout, now: () => Date, enter: (o?: StoreCallOptions) => void): LeaseStore {
  const live = (c: Current, at: number): c is Current & { lease: LeaseRecord } => c.lease !== null && Date.parse(c.lease.expiresAt) > at;

  /** Read the newest generation, then write the next one as `decide` says; again if another process won. */
  type Decision<T> = { write: LeaseRecord | null; result: T } | { result: T };
  const change = async <T>(hostId: string, decide: (c: Current, at: number) => Decision<T>): Promise<T> => {
    const dir = layout.leaseDir(hostId);
    for (;;) {
      const current = await readCurrent(dir);
      const at = now().getTime();
      const decision = decide(current, at);
      if (!('write' in decision)) return decision.result;
      await makeDirs(dir);
      const next = current.gen + 1;
      const created = await createExclusive(genFile(dir, next), docText({ lease: decision.write }));
      if (!created) continue;
      // A reader that stalled can create a generation number that was pruned long ago: if a newer one exists,
      // its decision was made on a stale lease. Readers go by the newest, so its file is dropped and it asks again.
      if (((await generations(dir))[0] ?? next) > next) {
        await unlink(genFile(dir, next)).catch(() => undefined);
        continue;
      }
      await prune(dir, next);
      return decision.result;
    }
  };

  return {
    async acquire({ hostId, holder, purpose, ttlMs }, o) {
      enter(o);
      checkTtl(ttlMs);
      return change<LeaseAcquireResult>(hostId, (c, at) => {
        if (live(c, at)) return { result: { acquired: false, current: c.lease } };
        const lease: LeaseRecord = { hostId, holder, purpose, token: randomUUID(), expiresAt: new Date(at + ttlMs).toISOString() };
        return { write: lease, result: { acquired: true, lease } };
      });
    },
    async renew(hostId, token, ttlMs, o) {
      enter(o);
      checkTtl(ttlMs);
      return change<boolean>(hostId, (c, at) => {
        if (!live(c, at) || c.lease.token !== token) return { result: false };
        return { write: { ...c.lease, expiresAt: new Date(at + ttlMs).toISOString() }, result: true };
      });
    },
    async release(hostId, token, o) {
      enter(o);
      return change<boolean>(hostId, (c, at) =>
        !live(c, at) || c.lease.token !== token ? { result: false } : { write: null, result: true },
      );
    },
    async get(hostId, o) {
      enter(o);
      const current = await readCurrent(layout.leaseDir(hostId));
      return live(current, now().getTime()) ? current.lease : undefined;
    },
  };
}

function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new ConfigError([{ path: 'ttlMs', message: `must be a positive number of ms, got ${String(ttlMs)}` }]);
}

function genFile(dir: string, gen: number): string {
  return join(dir, `${String(gen).padStart(12, '0')}.json`);
}

async function generations(dir: string): Promise<number[]> {
  try {
    return (await readdir(dir))
      .map((n) => GEN.exec(n)?.[1])
      .filter((g): g is string => g !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
  } catch (err) {
    if (errno(err) === 'ENOENT') return [];
    throw err;
  }
}

async function readCurrent(dir: string): Promise<Current> {
  for (;;) {
    const gen = (await generations(dir))[0];
    if (gen === undefined) return { gen: 0, lease: null };
    const path = genFile(dir, gen);
    const doc = await readDoc(path);
    // Pruned between the listing and the read: a newer generation exists, look again.
    if (!doc) continue;
    const lease = doc.lease as LeaseRecord | null | undefined;
    const ok =
      lease === null || (typeof lease?.token === 'string' && typeof lease.expiresAt === 'string' && typeof lease.holder === 'string');
    if (!ok) throw new CorruptRecordError(path, undefined, 'not a lease record; delete the file to free the host');
    return { gen, lease };
  }
}

/** Delete generations older than the one before `gen`: readers that listed a moment ago still find theirs. */
async function prune(dir: string, gen: number): Promise<void> {
  for (const old of await generations(dir)) {
    if (old < gen - 1) await unlink(genFile(dir, old)).catch(() => undefined);
  }
}

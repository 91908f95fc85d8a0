/**
 * Host leases in SQLite: compare-and-set, each inside BEGIN IMMEDIATE, so the read of the current lease and
 * the write that replaces it hold the database's write lock together and two processes cannot both win.
 * Expiry is read on the store's clock; a lease is live until exactly its `expiresAt`.
 */
import { randomUUID } from 'node:crypto';
import { ConfigError } from '../../errors/errors.js';
import type { LeaseRecord, LeaseStore } from '../store.js';
import type { SqliteContext } from './context.js';

export function createLeaseStore(ctx: SqliteContext): LeaseStore {
  const sql = ctx.statement.bind(ctx);
  /** The host's lease if it is still live at `at`. */
  const liveLease = (hostId: string, at: number): LeaseRecord | undefined => {
    const row = sql('SELECT host_id, holder, purpose, token, expires_at FROM leases WHERE host_id = ?').get(hostId) as
      | { host_id: string; holder: string; purpose: string; token: string; expires_at: string }
      | undefined;
    if (!row || !(Date.parse(row.expires_at) > at)) return undefined;
    return { hostId: row.host_id, holder: row.holder, purpose: row.purpose, token: row.token, expiresAt: row.expires_at };
  };
  return {
    async acquire({ hostId, holder, purpose, ttlMs }, o) {
      return ctx.write(o, () => {
        const at = ctx.now().getTime();
        const expiresAt = expiry(at, ttlMs);
        const current = liveLease(hostId, at);
        if (current) return { acquired: false, current };
        const lease: LeaseRecord = { hostId, holder, purpose, token: randomUUID(), expiresAt };
        sql('INSERT OR REPLACE INTO leases (host_id, holder, purpose, token, expires_at) VALUES (?, ?, ?, ?, ?)').run(
          hostId,
          holder,
          purpose,
          lease.token,
          expiresAt,
        );
        return { acquired: true, lease };
      });
    },
    async renew(hostId, token, ttlMs, o) {
      return ctx.write(o, () => {
        const at = ctx.now().getTime();
        const expiresAt = expiry(at, ttlMs);
        if (liveLease(hostId, at)?.token !== token) return false;
        sql('UPDATE leases SET expires_at = ? WHERE host_id = ?').run(expiresAt, hostId);
        return true;
      });
    },
    async release(hostId, token, o) {
      return ctx.write(o, () => {
        if (liveLease(hostId, ctx.now().getTime())?.token !== token) return false;
        sql('DELETE FROM leases WHERE host_id = ?').run(hostId);
        return true;
      });
    },
    async get(hostId, o) {
      return ctx.call(o, () => liveLease(hostId, ctx.now().getTime()));
    },
  };
}

function expiry(at: number, ttlMs: number): string {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new ConfigError([{ path: 'ttlMs', message: `must be a positive number of ms, got ${String(ttlMs)}` }]);
  return new Date(at + ttlMs).toISOString();
}

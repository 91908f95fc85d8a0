/**
 * Host leases in Postgres: a row per leased host with an expiry, changed only by compare-and-set statements
 * whose "is it still live?" reads the database's clock (`now()`), never a machine's own. Two runners on
 * machines whose clocks disagree by minutes still agree on who holds a host and until when.
 *
 * Rows rather than advisory locks: an advisory lock lives exactly as long as one connection, so a runner
 * would have to hold a connection open for a whole benchmark (a pooler or a network blip that drops it hands
 * the host to someone else without a word), the lock carries no holder or purpose to show the one refused,
 * and it cannot outlive its process the way the Store's leases do (a TTL the holder renews). A row is the
 * contract as written: token, holder, purpose, expiry, renewable, visible to `swapbench hosts`.
 *
 * A lease is live until exactly its `expiresAt`; expiry is truncated to the millisecond, as ISO times are.
 */
import { randomUUID } from 'node:crypto';
import { ConfigError } from '../../errors/errors.js';
import type { LeaseAcquireResult, LeaseRecord, LeaseStore } from '../store.js';
import type { PostgresContext } from './context.js';

interface LeaseRow {
  host_id: string;
  holder: string;
  purpose: string;
  token: string;
  expires_ms: number;
}

const LEASE_COLUMNS = 'host_id, holder, purpose, token, (extract(epoch FROM expires_at) * 1000)::float8 AS expires_ms';
const EXPIRY = "date_trunc('milliseconds', now()) + make_interval(secs => $2::float8 / 1000)";

function record(row: LeaseRow): LeaseRecord {
  return {
    hostId: row.host_id,
    holder: row.holder,
    purpose: row.purpose,
    token: row.token,
    expiresAt: new Date(row.expires_ms).toISOString(),
  };
}

export function createLeaseStore(ctx: PostgresContext): LeaseStore {
  return {
    async acquire({ hostId, holder, purpose, ttlMs }, o) {
      checkTtl(ttlMs);
      const attempt = () =>
        ctx.transaction(o, async (db): Promise<LeaseAcquireResult | undefined> => {
          // One statement takes a free or expired host: the conflict's WHERE is evaluated with the existing row
          // locked, so of two runners only one can find it expired and replace it.
          const taken = await db.query<LeaseRow>(
            `INSERT INTO leases AS l (host_id, holder, purpose, token, expires_at) VALUES ($1, $3, $4, $5, ${EXPIRY})
          ON CONFLICT (host_id) DO UPDATE SET holder = excluded.holder, purpose = excluded.purpose, token = excluded.token,
            expires_at = excluded.expires_at
          WHERE l.expires_at <= now()
          RETURNING ${LEASE_COLUMNS}`,
            [hostId, ttlMs, holder, purpose, randomUUID()],
          );
          if (taken.rows[0]) return { acquired: true, lease: record(taken.rows[0]) };
          // Not taken: the statement above locked the live row until commit, so it is still the one.
          const current = await db.query<LeaseRow>(`SELECT ${LEASE_COLUMNS} FROM leases WHERE host_id = $1`, [hostId]);
          return current.rows[0] && { acquired: false, current: record(current.rows[0]) };
        });
      // Should the row be gone anyway (released between the two statements), ask again.
      for (;;) {
        const result = await attempt();
        if (result) return result;
      }
    },
    async renew(hostId, token, ttlMs, o) {
      return ctx.call(o, async (db) => {
        checkTtl(ttlMs);
        const renewed = await db.query(
          `UPDATE leases SET expires_at = ${EXPIRY} WHERE host_id = $1 AND token = $3 AND expires_at > now()`,
          [hostId, ttlMs, token],
        );
        return renewed.rowCount === 1;
      });
    },
    async release(hostId, token, o) {
      return ctx.call(o, async (db) => {
        const released = await db.query('DELETE FROM leases WHERE host_id = $1 AND token = $2 AND expires_at > now()', [hostId, token]);
        return released.rowCount === 1;
      });
    },
    async get(hostId, o) {
      return ctx.call(o, async (db) => {
        const { rows } = await db.query<LeaseRow>(`SELECT ${LEASE_COLUMNS} FROM leases WHERE host_id = $1 AND expires_at > now()`, [
          hostId,
        ]);
        return rows[0] && record(rows[0]);
      });
    },
  };
}

function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new ConfigError([{ path: 'ttlMs', message: `must be a positive number of ms, got ${String(ttlMs)}` }]);
}

/**
 * A lease held by a process killed with SIGKILL: its heartbeat stops, and the host is free once the lease's
 * ttl has passed, not before. The holder runs `fixtures/lease-holder.ts` from the sources on a SQLite file.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { LeaseHeldError } from '../../src/errors/index.js';
import { createHostAccess } from '../../src/host-access/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

const HOLDER = fileURLToPath(new URL('./fixtures/lease-holder.ts', import.meta.url));
const HOOKS = fileURLToPath(new URL('../store/fixtures/file-ts-hooks.mjs', import.meta.url));
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('frees the host of a killed process after the lease ttl, and only then', async () => {
  dir = await mkdtemp(join(tmpdir(), 'swapbench-lease-'));
  const file = join(dir, 'swapbench.db');
  const ttlMs = 1_500;
  const child = spawn(process.execPath, ['--no-warnings', '--import', HOOKS, HOLDER, file, 'box', String(ttlMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The holder says `held`, or dies (then the test fails here, not at its timeout).
  const first = await Promise.race([once(child.stdout!, 'data').then(([b]) => String(b)), once(child, 'exit').then(() => 'exited')]);
  expect(first).toBe('held\n');
  const store = await openSqliteStore(file);
  const idle = { probeActivity: async () => ({ busy: false, evidence: [] }) };
  const access = createHostAccess({ leases: store.leases, activity: idle, pollMs: 100 });
  // Alive: held past its ttl by the heartbeat.
  await new Promise((r) => setTimeout(r, ttlMs + 300));
  const refusal = await access({ hostId: 'box', purpose: 'bench' }).catch((e: unknown) => e);
  expect(refusal).toBeInstanceOf(LeaseHeldError);
  expect((refusal as LeaseHeldError).holder).toMatch(new RegExp(`^lease-holder pid ${child.pid} since `));
  child.kill('SIGKILL');
  await once(child, 'exit');
  const killedAt = Date.now();
  const lease = await access({ hostId: 'box', purpose: 'bench', waitMs: ttlMs * 3 });
  const freedAfter = Date.now() - killedAt;
  expect(freedAfter).toBeGreaterThan(0);
  expect(freedAfter).toBeLessThanOrEqual(ttlMs + 500);
  await lease.release();
  await store.close();
});

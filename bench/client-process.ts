/**
 * One bench client in its own process, so no client runs on the JIT feedback, compiled code or garbage of
 * another. In one process the clients shared undici (swapbench, bare undici and fetch all call its handlers,
 * each with their own handler class: its call sites turn polymorphic for all three), Node's stream code, and
 * one heap, whose collections land on whichever client runs next. The parent asks for a run; the child runs
 * it and sends back the records, its wall time and its own CPU (`process.cpuUsage`, every thread).
 */
import { runFloorClient } from './clients/floor.ts';
import { runNaiveClient } from './clients/naive.ts';
import { runSwapbenchClient } from './clients/swapbench.ts';
import { runUndiciClient } from './clients/undici.ts';
import type { ClientRun, ClientRunOptions } from './clients/types.ts';

export const CLIENTS = { floor: runFloorClient, undici: runUndiciClient, naive: runNaiveClient, swapbench: runSwapbenchClient } as const;
export type ClientName = keyof typeof CLIENTS;

/** What the child sends back for one run. */
export interface ClientProcessRun {
  type: 'ran';
  run: ClientRun;
  wallMs: number;
  cpuMicros: number;
}

type Message = { type: 'run'; client: ClientName; options: ClientRunOptions } | { type: 'stop' };

// Only when forked: the parent imports this file for CLIENTS too.
if (process.send) {
  process.on('message', async (message: Message) => {
    if (message.type === 'stop') process.exit(0);
    try {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const run = await CLIENTS[message.client](message.options);
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      process.send!({ type: 'ran', run, wallMs, cpuMicros: cpu.user + cpu.system } satisfies ClientProcessRun);
    } catch (err) {
      process.send!({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
}

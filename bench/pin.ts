/**
 * Keep the client's and the simulator's main threads on different CPUs (Linux `taskset`, two CPUs or more).
 *
 * On loopback the kernel wakes a reader on the writer's CPU when it expects the writer to sleep next
 * (wake-affine). The simulator does not always sleep at once, so the client then waits for its turn: on this
 * 2-vCPU VM about 1 ms, for some share of reads after an idle spell. Measured with the simulator at 20 ms TTFT,
 * first token at C=1 (stamp − write, p10/p50/p90): floor −0.04/0.04/0.93 ms and swapbench 0.18/1.04/1.13 ms
 * unpinned; floor 0.01/0.02/0.07 and swapbench 0.11/0.14/0.34 pinned. That wait is the scheduler's, the same
 * for every client in kind but not in how often, so the bench pins both processes and says so in its results.
 * A server on its own machine or cores never shares the client's CPU.
 *
 * Every thread of each process, not only the main threads: with the main threads alone pinned, the other
 * process's V8 helper threads (GC, JIT) still ran on the client's CPU and took it from the client's main
 * thread. Measured at C=64 (swapbench, 6 runs): the client's main thread waited 18–135 ms per 0.6 s run
 * on the run queue with main threads pinned, and its TTFT-skew p99 ranged 3.0–11 ms; with whole processes
 * pinned, 18–104 ms (falling as its own JIT settles) and 0.07–8.1 ms.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';

export interface Pinning {
  /** Whether both processes (every thread) were pinned. */
  pinned: boolean;
  /** Why not, when they were not. */
  reason?: string;
  clientCpu?: number;
  simulatorCpu?: number;
}

/** Pin this process (all its threads) to CPU 0 and `simulatorPid`'s to CPU 1; `--no-pin` or a platform without `taskset` leaves both free. */
export function pinApart(simulatorPid: number | undefined, wanted: boolean): Pinning {
  if (!wanted) return { pinned: false, reason: 'not asked (--no-pin)' };
  if (process.platform !== 'linux') return { pinned: false, reason: `taskset is Linux only (this is ${process.platform})` };
  if (cpus().length < 2) return { pinned: false, reason: 'one CPU' };
  if (simulatorPid === undefined) return { pinned: false, reason: 'the simulator has no pid' };
  for (const [cpu, pid] of [
    [0, process.pid],
    [1, simulatorPid],
  ] as const) {
    // -a: every thread the process has now; threads it starts later inherit the mask.
    const r = spawnSync('taskset', ['-a', '-pc', String(cpu), String(pid)], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return { pinned: false, reason: `taskset -a -pc ${cpu} ${pid}: ${r.error?.message ?? r.stderr.trim()}` };
  }
  return { pinned: true, clientCpu: 0, simulatorCpu: 1 };
}

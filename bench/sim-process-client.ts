/** The bench scripts' side of `sim-process.ts`: fork the simulator process, and ask it things by message. */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface SimulatorProcess {
  sim: ChildProcess;
  /** Send `message` and resolve with the first message back of type `reply`. */
  ask<T>(message: object, reply: string): Promise<T>;
}

export function forkSimulator(): SimulatorProcess {
  const sim = fork(fileURLToPath(new URL('./sim-process.ts', import.meta.url)), { serialization: 'advanced', stdio: 'inherit' });
  return {
    sim,
    async ask<T>(message: object, reply: string): Promise<T> {
      sim.send(message);
      for (;;) {
        const [m] = (await once(sim, 'message')) as [{ type: string } & T];
        if (m.type === reply) return m;
      }
    },
  };
}

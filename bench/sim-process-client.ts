/** The bench scripts' side of their child processes (`sim-process.ts`, `client-process.ts`): fork one, ask it things by message. */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface ChildProcessAsk {
  /** The child process, to pin, kill, or wait for. */
  sim: ChildProcess;
  /** Send `message` and resolve with the first message back of type `reply`; a `failed` message rejects. */
  ask<T>(message: object, reply: string): Promise<T>;
}

/** A bench script's child process, `file` beside this one, talking structured-clone messages. */
export function forkChild(file: string): ChildProcessAsk {
  const sim = fork(fileURLToPath(new URL(file, import.meta.url)), { serialization: 'advanced', stdio: 'inherit' });
  return {
    sim,
    async ask<T>(message: object, reply: string): Promise<T> {
      sim.send(message);
      for (;;) {
        const [m] = (await once(sim, 'message')) as [{ type: string; message?: string } & T];
        if (m.type === reply) return m;
        if (m.type === 'failed') throw new Error(`${file}: ${m.message}`);
      }
    },
  };
}

/** The simulator in its own process (`sim-process.ts`). */
export const forkSimulator = (): ChildProcessAsk => forkChild('./sim-process.ts');

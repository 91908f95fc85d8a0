import { fork, execSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { runSwapbenchClient } from '../../bench/clients/swapbench.ts';
const sim = fork(fileURLToPath(new URL('../../bench/sim-process.ts', import.meta.url)), { serialization: 'advanced', stdio: 'inherit' });
sim.send({
  type: 'start',
  options: {
    mode: 'llama-swap',
    seed: 1,
    models: [{ name: 'bench-model', ttftMs: 5, genTps: 1000, promptTps: 1e9, jitter: 0, slots: 1024, batchSlowdown: 0, loadMs: 0 }],
  },
});
const [m] = (await once(sim, 'message')) as [{ url: string }];
execSync(`taskset -pc 1 ${sim.pid}`);
execSync(`taskset -pc 0 ${process.pid}`);
await runSwapbenchClient({ url: m.url, model: 'bench-model', maxTokens: 16, concurrency: 1, requests: 4 });
const c0 = process.cpuUsage();
await runSwapbenchClient({ url: m.url, model: 'bench-model', maxTokens: 256, concurrency: 64, requests: 512 });
const c = process.cpuUsage(c0);
console.log('µs/token', ((c.user + c.system) / (512 * 256)).toFixed(1));
sim.kill();

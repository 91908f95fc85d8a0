/**
 * The simulator in its own process, so its CPU is not the client's: the parent sends a config, gets the URL;
 * before each client run it resets the ground truth, after it collects ground truth and the simulator's CPU.
 * Stamps are `process.hrtime.bigint()`, one monotonic clock for both processes on this machine.
 */
import { startSimulator, type SimulatorOptions } from '@swapbench/core/simulator';

type Message = { type: 'start'; options: SimulatorOptions } | { type: 'reset' } | { type: 'collect' } | { type: 'stop' };

let sim: Awaited<ReturnType<typeof startSimulator>> | undefined;
let cpu = process.cpuUsage();

process.on('message', async (message: Message) => {
  switch (message.type) {
    case 'start':
      await sim?.close();
      sim = await startSimulator(message.options);
      process.send!({ type: 'started', url: sim.url });
      break;
    case 'reset':
      sim!.groundTruth.length = 0;
      cpu = process.cpuUsage();
      process.send!({ type: 'reset' });
      break;
    case 'collect': {
      const used = process.cpuUsage(cpu);
      const groundTruth = sim!.groundTruth.map((r) => ({ id: r.id, arrivedAt: r.arrivedAt, tokenWrites: r.tokenWrites, fault: r.fault }));
      process.send!({ type: 'collected', groundTruth, cpuMicros: used.user + used.system, stats: sim!.stats() });
      break;
    }
    case 'stop':
      await sim?.close();
      process.exit(0);
  }
});

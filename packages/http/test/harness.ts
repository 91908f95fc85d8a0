/** A Fastify app with the plugin on a memory store, and a simulator registered as host `sim`. */
import { createMemoryStore, type Store } from '@swapbench/core';
import { type Simulator, type SimulatorOptions, startSimulator } from '@swapbench/core/simulator';
import Fastify, { type FastifyInstance } from 'fastify';
import { type SwapbenchPluginOptions, swapbench } from '../src/index.js';

export interface Harness {
  app: FastifyInstance;
  store: Store;
  sim: Simulator;
  close(): Promise<void>;
}

/** A small suite that takes about a second against a simulator at 200 tok/s. */
export const SMALL_SUITE = {
  name: 'small',
  models: ['sim-model'],
  promptTokens: [32],
  maxTokens: [16],
  concurrency: [1],
  repetitions: 2,
  warmup: 0,
};

export async function harness(
  options: Partial<SwapbenchPluginOptions> = {},
  sim: SimulatorOptions = { mode: 'llama-server', models: [{ name: 'sim-model', genTps: 200, ttftMs: 5, slots: 4 }] },
): Promise<Harness> {
  const store = createMemoryStore();
  const simulator = await startSimulator(sim);
  await store.hosts.put({ id: 'sim', baseUrl: simulator.url, kind: sim.mode ?? 'llama-swap' });
  const app = Fastify();
  await app.register(swapbench, { store, ...options });
  await app.ready();
  return {
    app,
    store,
    sim: simulator,
    close: async () => {
      await app.close();
      await simulator.close();
      await store.close();
    },
  };
}

/** SSE events as a client sees them: each event's fields, in order. */
export interface ParsedEvent {
  id?: string;
  event?: string;
  data: string;
}

/** Parse a whole event-stream text (what a test read to the end). */
export function parseSse(text: string): ParsedEvent[] {
  const events: ParsedEvent[] = [];
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').filter((l) => l && !l.startsWith(':'));
    if (lines.length === 0) continue;
    const ev: ParsedEvent = { data: '' };
    const data: string[] = [];
    for (const line of lines) {
      const i = line.indexOf(':');
      const field = line.slice(0, i);
      const value = line.slice(i + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'id') ev.id = value;
      else if (field === 'event') ev.event = value;
    }
    ev.data = data.join('\n');
    events.push(ev);
  }
  return events;
}

import { afterAll, beforeAll } from 'vitest';
import { tempDir } from './cli.js';
import { type LlamaServer, startLlamaServer } from './llama-server.js';

/** What `realServerAndTempDir` gives a test file, ready once its `beforeAll` has run. */
export interface RealServerFixture {
  server: LlamaServer;
  dir: Awaited<ReturnType<typeof tempDir>>;
}

/**
 * A real llama-server and a temporary folder for suite files, for the tests of one file: started before
 * them, stopped and removed after. Call it inside the file's `describe`.
 */
export function realServerAndTempDir(): RealServerFixture {
  const env = {} as RealServerFixture;
  beforeAll(async () => {
    [env.server, env.dir] = await Promise.all([startLlamaServer(), tempDir()]);
  });
  afterAll(async () => {
    await Promise.all([env.server?.stop(), env.dir?.remove()]);
  });
  return env;
}

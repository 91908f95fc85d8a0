import { describe, expect, it } from 'vitest';
import { ENV_VAR, inCI, realServer } from './support/llama-server.js';

// Whether the real-server suite runs, said out loud: a skip names the variable to set, and CI never skips.
describe('real llama-server suite', () => {
  if (realServer.status === 'ready') {
    const { binary, models } = realServer;
    it(`finds bin/llama-server and both tiny models under ${ENV_VAR}`, () => {
      expect(binary).toMatch(/bin\/llama-server$/);
      expect(Object.values(models)).toHaveLength(2);
    });
  } else if (realServer.status === 'invalid') {
    const { reason } = realServer;
    it(`${ENV_VAR} points at a usable llama-server folder`, () => {
      expect.fail(reason);
    });
  } else if (inCI()) {
    const { reason } = realServer;
    it(`${ENV_VAR} is set: CI never skips the real llama-server suite`, () => {
      expect.fail(`${reason}, and CI=${process.env.CI}: CI never skips the real llama-server suite (.ci/run sets ${ENV_VAR})`);
    });
  } else {
    const skipped = `real llama-server suite skipped: set ${ENV_VAR}=<folder with bin/llama-server, models/, start.sh>`;
    console.warn(`${skipped} (with CI=true this is a failure)`);
    it.skip(skipped, () => {});
  }
});

import { describe, expect, it } from 'vitest';
import { runBenchSuite } from '../../src/engine/run-bench-suite.js';
import { createFakeTransport } from '../../src/testing/fake-transport.js';
import { createVirtualClock } from '../../src/testing/virtual-clock.js';
import { suite } from './helpers.js';

describe('calibrate: false', () => {
  it('asks the tokenizer nothing and says the prompt sizes are estimated', async () => {
    const clock = createVirtualClock();
    const transport = createFakeTransport({ clock, tokenizer: true, script: () => ({ ttftMs: 5, interTokenMs: 2 }) });
    let tokenized = 0;
    const tokenize = transport.tokenize!;
    transport.tokenize = (...args) => {
      tokenized++;
      return tokenize(...args);
    };
    const skipped = await runBenchSuite(suite({ promptTokens: [64, 256], calibrate: false }), { transport, clock: clock.now });
    expect(skipped.status).toBe('completed');
    expect(tokenized).toBe(0);
    expect(skipped.calibration).toEqual([
      { model: skipped.suite.models[0], method: 'estimate', note: 'calibrate: false; prompt sizes are estimated' },
    ]);

    const calibrated = await runBenchSuite(suite({ promptTokens: [64, 256] }), { transport, clock: clock.now });
    expect(tokenized).toBeGreaterThan(0);
    expect(calibrated.calibration[0]!.method).toBe('tokenizer');
  });
});

import { describe, expect, it } from 'vitest';
import { describeServer } from '../src/output/table.js';

describe('describeServer', () => {
  it('writes the server, then one line per model with what it knows', () => {
    const lines = describeServer({
      kind: 'llama-swap',
      baseUrl: 'http://127.0.0.1:8080',
      models: [
        { id: 'qwen3-8b', alias: 'qwen', build: 'b6100-abc', contextPerSlot: 8192, slots: 4, path: '/models/qwen3-8b-q4.gguf' },
        { id: 'llama3-3b' },
      ],
      raw: {},
    });
    expect(lines).toEqual([
      'server  llama-swap at http://127.0.0.1:8080',
      '  qwen3-8b: alias qwen · build b6100-abc · ctx 8192/slot · 4 slots · /models/qwen3-8b-q4.gguf',
      '  llama3-3b: no details',
    ]);
  });

  it('writes the server alone when it described no model', () => {
    expect(describeServer({ kind: 'openai', baseUrl: 'http://127.0.0.1:1234', models: [], raw: {} })).toEqual([
      'server  openai at http://127.0.0.1:1234',
    ]);
  });
});

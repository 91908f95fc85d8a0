import { describe, expect, it } from 'vitest';
import { describeServer, renderErrors } from '../src/output/table.js';

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

describe('renderErrors', () => {
  it("lists each distinct error once with its count, cells and the server's words", () => {
    const lines = renderErrors([
      {
        code: 'HTTP_STATUS',
        status: 400,
        message: 'HTTP 400 from http://h/v1/chat/completions: request (2100 tokens) exceeds the available context size (2048 tokens)',
        count: 3,
        cells: [
          { model: 'tiny', promptTokens: 2000, maxTokens: 128, concurrency: 1 },
          { model: 'tiny', promptTokens: 2000, maxTokens: 128, concurrency: 2 },
        ],
      },
      {
        code: 'REQUEST_TIMEOUT',
        message: 'request timed out after 400 ms waiting for the rest of the stream',
        count: 1,
        cells: [{ model: 'tiny', promptTokens: 32, maxTokens: 8, concurrency: 1 }],
      },
    ]);
    expect(lines).toEqual([
      'Errors (each distinct error once; warmups and swaps included):',
      '  3× HTTP_STATUS HTTP 400 in tiny pp2000 tg128 c1, tiny pp2000 tg128 c2',
      '      HTTP 400 from http://h/v1/chat/completions: request (2100 tokens) exceeds the available context size (2048 tokens)',
      '  1× REQUEST_TIMEOUT in tiny pp32 tg8 c1',
      '      request timed out after 400 ms waiting for the rest of the stream',
    ]);
  });
});

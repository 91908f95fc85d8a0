import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExposition, readServerCounters } from '../../../src/transport/metrics/prometheus-counters.js';

const text = (path: string) => readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8');

describe('server counters from /metrics', () => {
  it('reads llama-server’s (recorded from b10470)', () => {
    expect(readServerCounters(text('llama-server/07_metrics.txt'))).toEqual({
      source: 'llama.cpp',
      requestsProcessing: 0,
      requestsDeferred: 0,
      promptTokensTotal: 566,
      cachedPromptTokensTotal: 412,
      generatedTokensTotal: 424,
      decodesTotal: 424,
    });
  });

  it('reads vLLM’s, summing each metric over its labels', () => {
    expect(readServerCounters(text('vllm/metrics.txt'))).toEqual({
      source: 'vllm',
      requestsProcessing: 4,
      requestsDeferred: 2,
      kvCacheUsage: 0.4125,
      promptTokensTotal: 52310,
      generatedTokensTotal: 8192,
    });
    expect(parseExposition(text('vllm/metrics.txt')).get('vllm:request_success_total')).toBe(64);
  });

  it('has nothing for an exposition of neither server, and skips lines that do not parse', () => {
    expect(readServerCounters('# HELP go_goroutines x\ngo_goroutines 12\n')).toBeUndefined();
    expect(readServerCounters('llamacpp:requests_deferred NaNx\n{broken 1\nllamacpp:requests_processing 3 1700000000\n')).toEqual({
      source: 'llama.cpp',
      requestsProcessing: 3,
    });
  });
});

import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { RunSummary, Sample } from '@swapbench/core';
import { csvRecord } from '../src/export/csv.js';
import { SAMPLE_COLUMNS, sampleRecord, sampleValues } from '../src/export/sample-columns.js';
import { renderRunsTable } from '../src/output/runs-table.js';

function sample(overrides: Partial<Sample> = {}): Sample {
  return {
    runId: 'r1',
    seq: 7,
    phase: 'measured',
    model: 'qwen3-8b',
    promptTokens: 512,
    maxTokens: 4,
    concurrency: 2,
    startedAt: '2026-11-30T10:00:00.000Z',
    ok: true,
    requestId: 'req-7',
    queueMs: 0.2,
    ttfbMs: 10,
    ttftMs: 31.5,
    e2eMs: 61.5,
    outputTokens: 4,
    itlMs: [10, 10, 10],
    tpotMs: 10,
    genTps: 100,
    server: { source: 'llama', promptTokens: 512, promptTps: 2000.5, genTps: 98.25 },
    finishReason: 'length',
    flags: ['warm-cache', 'client-wait'],
    ...overrides,
  };
}

describe('csvRecord', () => {
  it('quotes what must be quoted, so a real CSV parser reads every value back', () => {
    const tricky = ['plain', 'a,b', 'say "hi"', 'two\nlines', 'crlf\r\nend', ' lead', 'trail ', '', '=1+2', 'ünïcödé ✓'];
    const text = csvRecord(tricky) + csvRecord([1.5, -0, 1e21, true, null, Number.NaN]);
    const rows = parse(text, { relax_column_count: true }) as string[][];
    expect(rows[0]).toEqual(tricky);
    expect(rows[1]).toEqual(['1.5', '0', '1e+21', 'true', '', '']);
  });
});

describe('sample rows', () => {
  it('have one column per field, nested ones flattened, unique names', () => {
    expect(new Set(SAMPLE_COLUMNS).size).toBe(SAMPLE_COLUMNS.length);
    for (const column of [
      'runId',
      'seq',
      'phase',
      'model',
      'ttftMs',
      'error_code',
      'error_message',
      'server_genTps',
      'server_promptTps',
      'itl_count',
      'itl_p99',
      'flags',
      'timeline_sentAt',
    ])
      expect(SAMPLE_COLUMNS).toContain(column);
    expect(sampleValues(sample())).toHaveLength(SAMPLE_COLUMNS.length);
  });

  it('carry the values: missing ones as null, ITL as count/mean/p50/p99, flags joined', () => {
    const row = sampleRecord(sample({ itlMs: [1, 2, 3, 4, 100] }));
    expect(row).toMatchObject({ seq: 7, ttftMs: 31.5, connectMs: null, error_code: null, server_genTps: 98.25, server_loadMs: null });
    expect(row).toMatchObject({ itl_count: 5, itl_mean: 22, itl_p50: 3, flags: 'warm-cache;client-wait' });
    expect(row.itl_p99).toBeCloseTo(96.16, 5);
    // The raw lists are in JSONL records only, after the flat columns.
    expect(row.itlMs).toEqual([1, 2, 3, 4, 100]);
    expect(row.timeline_tokenAt).toBeNull();
  });

  it('flatten a failed request and its timeline, and keep credentials out of its message', () => {
    const failed = sample({
      ok: false,
      error: { code: 'HTTP_STATUS', status: 500, message: 'HTTP 500 from http://u:pw@h:1/v1, "boom"' },
      timeline: { startAt: 1000, sentAt: 1000.5, tokenAt: [1031, 1041] },
    });
    const row = sampleRecord(failed);
    expect(row).toMatchObject({ ok: false, error_code: 'HTTP_STATUS', error_status: 500, timeline_startAt: 1000, timeline_tokens: 2 });
    expect(row.error_message).toBe('HTTP 500 from http://***@h:1/v1, "boom"');
    expect(row.timeline_tokenAt).toEqual([1031, 1041]);
    const [parsed] = parse(csvRecord(sampleValues(failed)), { columns: [...SAMPLE_COLUMNS] }) as Record<string, string>[];
    expect(parsed!.error_message).toBe(row.error_message);
  });
});

describe('renderRunsTable', () => {
  it('stays within 120 columns whatever the names', () => {
    const long = 'x'.repeat(200);
    const summary: RunSummary = {
      runId: '3f2a9c1e-0000-4000-8000-000000000000',
      jobType: 'bench',
      suiteName: long,
      status: 'interrupted',
      startedAt: '2026-11-30T10:00:00.000Z',
      finishedAt: null,
      baseUrl: `https://${long}.example:8080`,
      models: [long, long],
      toolVersion: '0.1.0',
    };
    const text = renderRunsTable([
      { summary, cells: { done: 1234, planned: 10_000 } },
      { summary: { ...summary, runId: 'ffffffff' }, cells: { done: 10_000, planned: 10_001 } },
      { summary: { ...summary, hostId: 'gpu-box', models: ['m'] }, cells: undefined },
    ]);
    const lines = text.trimEnd().split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(120);
    expect(text).toContain('3f2a9c1e ');
    expect(text).toContain('1234/10000');
    expect(text).toContain('gpu-box');
  });
});

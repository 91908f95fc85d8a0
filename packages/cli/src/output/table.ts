import Table from 'cli-table3';
import type { CellResult, ErrorSummary, RunResult, ServerInfo } from '@swapbench/core';
import { cellName, redactUrl, redactUrlsIn } from '@swapbench/core';
import { num } from './format.js';

/** The human-readable report of a run: what was measured, against what, then one row per cell. */
export function renderReport(result: RunResult): string {
  const lines: string[] = [];
  lines.push(...renderHeader(result));
  if (result.client.clientSaturated) lines.push('', saturationWarning(result));
  if (result.cells.length > 0) lines.push('', renderCells(result.cells));
  const cold = result.coldStarts.filter((c) => c.coldStartMs !== undefined);
  if (cold.length > 0) {
    lines.push('', 'Cold starts (first request to a model that was not loaded; TTFT includes the load):');
    for (const c of cold) lines.push(`  ${c.model}: ${num(c.coldStartMs, 0)} ms`);
  }
  if (result.swaps.length > 0) lines.push('', renderSwaps(result));
  if (result.errors.length > 0) lines.push('', ...renderErrors(result.errors));
  if (result.notes.length > 0) {
    lines.push('', 'Notes:');
    for (const note of result.notes) lines.push(`  - ${redactUrlsIn(note)}`);
  }
  return `${lines.join('\n')}\n`;
}

function renderHeader(result: RunResult): string[] {
  const { client } = result.environment;
  const seconds = result.durationMs === null ? '-' : (result.durationMs / 1000).toFixed(1);
  const out = [
    `swapbench ${client.swapbenchVersion} · suite "${result.suite.name}" · run ${result.runId} · ${result.status} in ${seconds} s`,
  ];
  if (result.environment.server) out.push(...describeServer(result.environment.server));
  out.push(`client  Node ${client.node} · ${client.platform} ${client.arch} · ${client.cpus} (${client.cpuCount} cpus)`);
  const s = result.suite;
  out.push(
    `suite   ${s.requests === undefined ? `${s.repetitions} reps × concurrency` : `${s.requests} requests`} per cell, warmup ${s.warmup}, cache ${s.cache}, ignoreEos ${s.ignoreEos}, ` +
      `endpoint ${s.endpoint}, sampling ${JSON.stringify(s.sampling)}`,
  );
  return out;
}

/** The server a run measured: `server  <kind> at <url>`, then one line per model it described. */
export function describeServer(server: ServerInfo): string[] {
  return [
    `server  ${server.kind} at ${redactUrl(server.baseUrl)}`,
    ...server.models.map((model) => `  ${model.id}: ${describeModel(model)}`),
  ];
}

function describeModel(model: ServerInfo['models'][number]): string {
  const parts: string[] = [];
  if (model.alias && model.alias !== model.id) parts.push(`alias ${model.alias}`);
  if (model.build) parts.push(`build ${model.build}`);
  if (model.contextPerSlot !== undefined) parts.push(`ctx ${model.contextPerSlot}/slot`);
  if (model.slots !== undefined) parts.push(`${model.slots} slots`);
  if (model.path) parts.push(model.path);
  return parts.length > 0 ? parts.join(' · ') : 'no details';
}

/** Each distinct error once: how often, in which cells, and what the server said. */
export function renderErrors(errors: readonly ErrorSummary[]): string[] {
  const lines = ['Errors (each distinct error once; warmups and swaps included):'];
  for (const e of errors) {
    const status = e.status === undefined ? '' : ` HTTP ${e.status}`;
    lines.push(`  ${e.count}× ${e.code}${status} in ${e.cells.map(cellName).join(', ')}`, `      ${redactUrlsIn(e.message)}`);
  }
  return lines;
}

/** Which cells the client could not keep up in; their timings include client-side delay. */
function saturationWarning(result: RunResult): string {
  // A run stored before cells carried `client` has only the run-wide figures.
  const cells = result.cells.filter((c) => c.client?.saturated);
  const shown = cells.slice(0, 5).map(cellName);
  const where =
    cells.length === 0
      ? ''
      : ` in ${cells.length} of ${result.cells.length} cells (${shown.join(', ')}${cells.length > shown.length ? `, and ${cells.length - shown.length} more` : ''})`;
  return (
    `WARNING: the client was saturated${where}: its event loop lagged up to ${num(result.client.eventLoopDelayP99Ms)} ms at p99 ` +
    `(max ${num(result.client.eventLoopDelayMaxMs)} ms), or requests waited in it before being sent; ` +
    'timings in those cells include client-side delay (see the notes).'
  );
}

function renderCells(cells: CellResult[]): string {
  const table = new Table({
    head: [
      'model',
      'pp',
      'tg',
      'conc',
      'n',
      'err',
      'TTFT p50',
      'TTFT p95',
      'E2E p50',
      'ITL p50',
      'ITL p99',
      'gen t/s',
      'srv gen t/s',
      'srv pp t/s',
      'thru t/s',
      'flags',
    ],
    style: { head: [], border: [] },
  });
  for (const c of cells) {
    const flags = Object.entries(c.flags).map(([flag, count]) => `${flag}×${count}`);
    // Somebody else's requests ran during the cell: its figures include their load.
    if (c.polluted) flags.unshift(`polluted(${c.concurrentForeignRequests?.peak ?? '?'} foreign)`);
    table.push([
      c.model,
      c.promptTokens,
      c.maxTokens,
      c.concurrency,
      c.n,
      c.errors === 0 ? '0' : `${c.errors} (${Object.keys(c.errorCodes).join(',')})`,
      num(c.ttftMs.p50),
      num(c.ttftMs.p95),
      num(c.e2eMs.p50, 0),
      num(c.itlMs.p50, 2),
      num(c.itlMs.p99, 2),
      num(c.genTps.mean),
      num(c.serverGenTps.mean),
      num(c.serverPromptTps.mean, 0),
      num(c.throughputTps),
      flags.join(' ') || '',
    ]);
  }
  return `${table.toString()}\n  times in ms; t/s = tokens per second; gen = client-measured, srv = server-reported; thru = all output tokens / cell wall time`;
}

function renderSwaps(result: RunResult): string {
  const table = new Table({ head: ['model', 'swaps', 'mean ms', 'p50 ms', 'max ms'], style: { head: [], border: [] } });
  for (const s of result.swaps) table.push([s.model, s.swapMs.length, num(s.stats.mean, 0), num(s.stats.p50, 0), num(s.stats.max, 0)]);
  return `Swap time (unload, then load on the next request; warm TTFT subtracted):\n${table.toString()}`;
}

import { computeStats } from './stats.js';
import type { CellKey, CellResult, Sample } from '../result/types.js';

/** Aggregate one cell's measured samples. `wallMs` is the cell's wall time on the monotonic clock. */
export function aggregateCell(cell: CellKey, samples: readonly Sample[], wallMs: number): CellResult {
  const ok = samples.filter((s) => s.ok);
  const pick = (f: (s: Sample) => number | undefined): number[] => {
    const out: number[] = [];
    for (const s of ok) {
      const v = f(s);
      if (v !== undefined) out.push(v);
    }
    return out;
  };
  const gaps: number[] = [];
  for (const s of ok) for (const g of s.itlMs) gaps.push(g);
  const errorCodes: Record<string, number> = {};
  const flags: CellResult['flags'] = {};
  let outputTokens = 0;
  for (const s of samples) {
    outputTokens += s.outputTokens;
    if (s.error) errorCodes[s.error.code] = (errorCodes[s.error.code] ?? 0) + 1;
    for (const f of s.flags) flags[f] = (flags[f] ?? 0) + 1;
  }
  return {
    ...cell,
    n: samples.length,
    errors: samples.length - ok.length,
    errorCodes,
    ttftMs: computeStats(pick((s) => s.ttftMs)),
    e2eMs: computeStats(pick((s) => s.e2eMs)),
    itlMs: computeStats(gaps),
    tpotMs: computeStats(pick((s) => s.tpotMs)),
    genTps: computeStats(pick((s) => s.genTps)),
    serverGenTps: computeStats(pick((s) => s.server.genTps)),
    serverPromptTps: computeStats(pick((s) => s.server.promptTps)),
    throughputTps: wallMs > 0 && samples.length > 0 ? (outputTokens * 1000) / wallMs : null,
    wallMs,
    flags,
  };
}

import { computeStats } from './stats.js';
import type { CellKey, CellResult, Sample } from '../result/types.js';

/**
 * Aggregate one cell's measured samples. `wallMs` is the cell's wall time on the monotonic clock; `planned`
 * the requests it was to measure. Failed samples count in `n` and `errors` only. Samples flagged
 * `length-mismatch` generated another length than asked, so their generation speed is not the cell's: they
 * are left out of the generation figures (gen t/s, TPOT, ITL, server gen t/s) and counted under `flags`.
 */
export function aggregateCell(cell: CellKey, samples: readonly Sample[], wallMs: number, planned: number): CellResult {
  const ok = samples.filter((s) => s.ok);
  const exactLength = ok.filter((s) => !s.flags.includes('length-mismatch'));
  const pick = (f: (s: Sample) => number | undefined, from: readonly Sample[] = ok): number[] => {
    const out: number[] = [];
    for (const s of from) {
      const v = f(s);
      if (v !== undefined) out.push(v);
    }
    return out;
  };
  const gaps: number[] = [];
  for (const s of exactLength) for (const g of s.itlMs) gaps.push(g);
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
    planned,
    resent: samples.filter((s) => s.resent).length,
    partial: samples.filter((s) => s.error?.code !== 'CANCELLED').length < planned,
    errors: samples.length - ok.length,
    errorCodes,
    ttftMs: computeStats(pick((s) => s.ttftMs)),
    e2eMs: computeStats(pick((s) => s.e2eMs)),
    itlMs: computeStats(gaps),
    tpotMs: computeStats(pick((s) => s.tpotMs, exactLength)),
    genTps: computeStats(pick((s) => s.genTps, exactLength)),
    serverGenTps: computeStats(pick((s) => s.server.genTps, exactLength)),
    serverPromptTps: computeStats(pick((s) => s.server.promptTps)),
    throughputTps: wallMs > 0 && samples.length > 0 ? (outputTokens * 1000) / wallMs : null,
    wallMs,
    flags,
  };
}

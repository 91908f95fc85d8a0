import cliProgress from 'cli-progress';
import type { BenchEvent, RunPhase } from '@swapbench/core';
import type { OutputStream } from '../context.js';
import { cellName } from '@swapbench/core';

/** Draws a run's progress from its events. */
export interface Progress {
  /** Pass as `runBenchSuite`'s `onEvent`. */
  onEvent(event: BenchEvent): void;
  /** Stop drawing; call once, when the run has ended. */
  done(): void;
}

/**
 * Progress on stderr, so stdout stays clean for the report or `--json`. On a terminal: one progress bar
 * (cli-progress) over the measured requests. Elsewhere (CI logs, pipes): one line per finished cell.
 */
export function createProgress(stream: OutputStream): Progress {
  return stream.isTTY ? createBarProgress(stream) : createLineProgress(stream);
}

/** What each phase outside the cells is called on the progress bar. */
const PHASE_TEXT: Record<RunPhase, string> = {
  preflight: 'asking the server what it serves',
  'cold-start': 'cold start (loading the model)',
  calibrate: 'sizing prompts with the server’s tokenizer',
  swaps: 'timing swaps (unload, reload)',
  warmup: 'warming up',
};

/**
 * What the bar shows besides the count: the phase (warming up, swapping, a cell), output tokens/s over the
 * current cell, errors so far. ETA from the run's pace (`runEta`); before the first
 * measured request it has none ("-"), so the phase says what is happening instead of a bare 0.
 */
function createBarProgress(stream: OutputStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{bar} {value}/{total} req | ETA {left} | {tps} tok/s | {errors} err | {phase}',
      barsize: 16,
      // One line, cut at the terminal's width: a wrapped line is not erased by the next redraw.
      linewrap: false,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let errors = 0;
  let cell = '';
  let cellTokens = 0;
  let cellStart = 0;
  let eta = runEta(0);
  const tps = () => {
    const elapsed = (performance.now() - cellStart) / 1000;
    return elapsed > 0.2 && cellTokens > 0 ? (cellTokens / elapsed).toFixed(0) : '-';
  };
  return {
    onEvent(event) {
      switch (event.type) {
        case 'run-start':
          eta = runEta(event.requests);
          bar.start(event.requests, 0, { phase: 'starting', errors, tps: '-', left: '-' });
          started = true;
          break;
        case 'phase':
          bar.update({ phase: event.model === undefined ? PHASE_TEXT[event.phase] : `${event.model}: ${PHASE_TEXT[event.phase]}` });
          break;
        case 'cell-start':
          cell = `cell ${event.index + 1}/${event.total} ${cellName(event.cell)}`;
          cellTokens = 0;
          cellStart = performance.now();
          bar.update({ phase: cell, tps: '-' });
          break;
        case 'swap':
          bar.update({
            phase: `${event.model}: swap ${event.index + 1}${event.swapMs === undefined ? '' : ` took ${event.swapMs.toFixed(0)} ms`}`,
          });
          break;
        case 'sample':
          if (event.sample.phase === 'warmup') bar.update({ phase: `${event.sample.model}: warmup request done` });
          else if (event.sample.phase === 'swap') bar.update({ phase: `${event.sample.model}: swapping (unload, reload)` });
          if (event.sample.phase !== 'measured') break;
          if (!event.sample.ok) errors += 1;
          cellTokens += event.sample.outputTokens;
          eta.done += 1;
          bar.increment(1, { errors, tps: tps(), phase: cell, left: eta.text() });
          break;
        case 'warning':
          // Print above the bar: cli-progress redraws on the next tick.
          stream.write(`\r\x1b[2Kwarning: ${event.message}\n`);
          break;
        default:
          break;
      }
    },
    done() {
      if (started) bar.stop();
    },
  };
}

/**
 * Time left, from the whole run's pace so far (warmups, swaps and calibration included, as they recur per
 * model); none before the first measured request.
 */
function runEta(total: number): { done: number; text(): string } {
  const start = performance.now();
  return {
    done: 0,
    text() {
      return this.done === 0 ? '-' : seconds(((performance.now() - start) / this.done) * (total - this.done));
    },
  };
}

/** `42s`, `3m05s`, `1h02m`. */
function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function createLineProgress(stream: OutputStream): Progress {
  let eta = runEta(0);
  return {
    onEvent(event) {
      switch (event.type) {
        case 'sample':
          if (event.sample.phase === 'measured') eta.done += 1;
          break;
        case 'run-start':
          eta = runEta(event.requests);
          stream.write(`run ${event.runId}: ${event.cells} cells, ${event.requests} measured requests\n`);
          break;
        case 'swap':
          if (event.swapMs !== undefined) stream.write(`swap ${event.model} #${event.index + 1}: ${event.swapMs.toFixed(0)} ms\n`);
          break;
        case 'cell-done': {
          const c = event.cell;
          const ttft = c.ttftMs.p50 === null ? '-' : `${c.ttftMs.p50.toFixed(1)} ms`;
          const gen = c.genTps.mean === null ? '-' : `${c.genTps.mean.toFixed(1)} tok/s`;
          stream.write(
            `cell ${event.index + 1}/${event.total} ${cellName(c)}: ttft p50 ${ttft}, gen ${gen}, errors ${c.errors}/${c.n}; ETA ${eta.text()}\n`,
          );
          break;
        }
        case 'warning':
          stream.write(`warning: ${event.message}\n`);
          break;
        default:
          break;
      }
    },
    done() {},
  };
}

import cliProgress from 'cli-progress';
import type { BenchEvent } from '@swapbench/core';
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

function createBarProgress(stream: OutputStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{bar} {value}/{total} requests | {cell} | {errors} errors',
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let errors = 0;
  return {
    onEvent(event) {
      switch (event.type) {
        case 'run-start':
          bar.start(event.requests, 0, { cell: 'starting', errors });
          started = true;
          break;
        case 'model-start':
          bar.update({ cell: `${event.model}: warming up` });
          break;
        case 'cell-start':
          bar.update({ cell: `cell ${event.index + 1}/${event.total} ${cellName(event.cell)}` });
          break;
        case 'sample':
          if (event.sample.phase !== 'measured') break;
          if (!event.sample.ok) errors += 1;
          bar.increment(1, { errors });
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

function createLineProgress(stream: OutputStream): Progress {
  return {
    onEvent(event) {
      switch (event.type) {
        case 'run-start':
          stream.write(`run ${event.runId}: ${event.cells} cells, ${event.requests} measured requests\n`);
          break;
        case 'swap':
          if (event.swapMs !== undefined) stream.write(`swap ${event.model} #${event.index + 1}: ${event.swapMs.toFixed(0)} ms\n`);
          break;
        case 'cell-done': {
          const c = event.cell;
          const ttft = c.ttftMs.p50 === null ? '-' : `${c.ttftMs.p50.toFixed(1)} ms`;
          const gen = c.genTps.mean === null ? '-' : `${c.genTps.mean.toFixed(1)} tok/s`;
          stream.write(`cell ${event.index + 1}/${event.total} ${cellName(c)}: ttft p50 ${ttft}, gen ${gen}, errors ${c.errors}/${c.n}\n`);
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

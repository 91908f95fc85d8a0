/**
 * Who writes a run, so a durable store can tell a run whose process died (left `running` forever) from one
 * another process is still measuring: the writer's pid and machine, and when it last wrote.
 */
import { hostname } from 'node:os';

/** The process writing a run. */
export interface RunWriter {
  pid: number;
  hostname: string;
}

/** A run with no append for this long, written from another machine, counts as interrupted (10 minutes). */
export const DEFAULT_STALE_AFTER_MS = 10 * 60_000;

/** This process, as a run's writer. */
export function currentWriter(): RunWriter {
  return { pid: process.pid, hostname: hostname() };
}

/**
 * Whether a run's writer is gone: on this machine, its process is no longer alive; on another, nothing was
 * written for `staleAfterMs` (`lastWriteAt`: ISO time of the last write). A run without a known writer
 * (written by an older version) is judged by the time alone.
 */
export function writerGone(
  writer: RunWriter | undefined,
  lastWriteAt: string,
  now: number,
  staleAfterMs = DEFAULT_STALE_AFTER_MS,
): boolean {
  if (writer && writer.hostname === hostname()) {
    if (writer.pid === process.pid) return false;
    return !processAlive(writer.pid);
  }
  const last = Date.parse(lastWriteAt);
  return Number.isNaN(last) || now - last > staleAfterMs;
}

function processAlive(pid: number): boolean {
  try {
    // Signal 0 checks existence and permission without signalling.
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

import { describe, expect, it } from 'vitest';
import { abortFanout } from '../../src/engine/abort-fanout.js';

describe('abortFanout', () => {
  it("aborts every request still in flight with the run's reason, and none that has ended", () => {
    const run = new AbortController();
    const fanout = abortFanout(run.signal);
    const requests = Array.from({ length: 5 }, () => new AbortController());
    for (const r of requests) fanout.add(r);
    fanout.delete(requests[1]!);
    fanout.delete(requests[3]!);
    const reason = new Error('stopped');
    run.abort(reason);
    expect(requests.map((r) => r.signal.aborted)).toEqual([true, false, true, false, true]);
    expect(requests[0]!.signal.reason).toBe(reason);
  });

  it('aborts a request added after the run was aborted at once', () => {
    const run = new AbortController();
    const reason = new Error('gone');
    run.abort(reason);
    const late = new AbortController();
    abortFanout(run.signal).add(late);
    expect(late.signal.reason).toBe(reason);
  });

  it('is one fanout per run signal', () => {
    const a = new AbortController();
    const b = new AbortController();
    expect(abortFanout(a.signal)).toBe(abortFanout(a.signal));
    expect(abortFanout(a.signal)).not.toBe(abortFanout(b.signal));
  });
});

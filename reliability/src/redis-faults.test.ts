// Short variant of the Redis fault cases (`pnpm reliability` runs more sessions, longer and repeated outages).
// A real redis-server with AOF, SIGKILLed and restarted, or SIGSTOPped past the command timeout and resumed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeRedisFault, type RedisFault, redisFaultViolations, runRedisFault } from './redis-faults.js';

describe.each(['sigkill', 'sigstop'] as RedisFault[])('Redis %s mid-run', (fault) => {
  // A process-level hook on top of the run's own: any rejection nobody handled fails the test.
  const unhandled: unknown[] = [];
  const hook = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    process.on('unhandledRejection', hook);
  });
  afterEach(() => {
    process.off('unhandledRejection', hook);
  });

  it('fail_open sessions go on, fail_closed refuse while away, and once back the spend is exact to the µUSD', async () => {
    const run = await runRedisFault({
      fault,
      sessions: 2,
      concurrency: 3,
      commandTimeoutMs: 500,
      outageTimeouts: 2,
      outages: 1,
      phaseTurns: 20,
    });
    expect(redisFaultViolations(run)).toEqual([]);
    expect(unhandled).toEqual([]);
    // The same facts, asserted one by one so a failure says which.
    expect(Object.keys(run.open.outcomes)).toEqual(['ok']);
    expect(run.open.duringOutage.ok).toBeGreaterThan(0);
    expect(run.closed.duringOutage.unavailable).toBeGreaterThan(0);
    expect(run.open.pendingAtEnd + run.closed.pendingAtEnd).toBe(0);
    expect(run.open.recordedMicros).toBe(run.open.expectedMicros);
    expect(run.closed.recordedMicros).toBe(run.closed.expectedMicros);
    expect(run.open.expectedMicros).toBe(run.open.pricedMicros);
    // Every admitted turn's settlement was answered once as applied, or as a repeat of one whose first answer was
    // lost (the store applied it, the client had given up): never neither, never twice.
    expect(run.open.applied + run.open.duplicates).toBe(run.open.outcomes.ok);
    // fail_closed also writes a zero settlement for a refused call whose reservation timed out (to release it).
    expect(run.closed.applied + run.closed.duplicates).toBeGreaterThanOrEqual(
      run.closed.outcomes.ok as number,
    );
    expect(run.open.reservedAfterFlushMicros + run.closed.reservedAfterFlushMicros).toBe(0);
    // No turn waited for the outage to end: the store gives up after its command timeout.
    expect(run.longestOutageTurnMs).toBeLessThan(run.outageMs[0] as number);
    console.log(`redis ${fault}: ${JSON.stringify(describeRedisFault(run))}`);
  }, 60_000);
});

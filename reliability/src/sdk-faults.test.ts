// Short variant of the SDK-faults case: each fault once on a small workload (`pnpm reliability` runs 40 sessions
// of 250 turns per fault). Each fault is compared with the same run without it.
import { beforeAll, describe, expect, it } from 'vitest';
import { runWithFault, SDK_FAULTS, type SdkRun, sdkFaultCaseList, sdkFaultProblems } from './sdk-faults.js';

const SIZE = { sessions: 3, turnsPerSession: 20 };
let baseline: SdkRun;
beforeAll(async () => {
  baseline = await runWithFault(undefined, SIZE);
});

describe('faults inside the SDK never reach the app and never stop later telemetry', () => {
  it('the baseline records spans and metrics', () => {
    expect(baseline.thrown).toBeUndefined();
    expect(baseline.healthySpans).toBe(SIZE.sessions * (SIZE.turnsPerSession + 2));
    expect(baseline.healthyCostMicros).toBeGreaterThan(0);
  });

  for (const fault of SDK_FAULTS) {
    it(`${fault.component}: ${fault.name}`, async () => {
      const run = await runWithFault(fault, SIZE);
      expect(sdkFaultProblems(baseline, run)).toEqual([]);
    });
  }

  it('the case rows (short mode) survive', async () => {
    for (const c of sdkFaultCaseList) {
      const result = await c.run({ long: false });
      expect(result.survived, `${c.name}: ${result.detail}`).toBe(true);
    }
  });
});

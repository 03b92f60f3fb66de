// Short variant of the soak case: ~10^4 turns per mode, in a process of its own (`pnpm reliability` runs 10^6 turns
// in one session and 10^5 sessions of ten). Only relative bounds: memory after warm-up against its start, per-turn
// time against a young reference run at the same moment.
import { describe, expect, it } from 'vitest';
import { runSoak, SOAK_BOUNDS, SOAK_SIZES, soakFigures, soakProblems } from './soak.js';

describe('soak (short): memory flat after warm-up, per-turn time flat', () => {
  for (const mode of ['one-session', 'many-sessions'] as const) {
    it(`${mode}`, async () => {
      const size = SOAK_SIZES.short[mode];
      const report = await runSoak(mode, size);
      expect(report.turns).toBeGreaterThanOrEqual(size.turns - 2000);
      expect(report.samples).toHaveLength(size.windows + 1);
      expect(report.unhandled).toBe(0);
      const figures = soakFigures(report);
      expect(soakProblems(report, SOAK_BOUNDS.short), JSON.stringify(figures)).toEqual([]);
    }, 120_000);
  }
});

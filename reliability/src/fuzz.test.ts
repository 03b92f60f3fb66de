// Short variant of the fuzzing case: every public entry point, a few hundred inputs each (`pnpm reliability`
// tries tens of thousands). A failure prints fast-check's shrunk counterexample and its seed.
import { describe, expect, it } from 'vitest';
import { fuzzEntryPoints } from './fuzz.js';

describe('fuzzed input over every public entry point', () => {
  it('ends in success or a typed agentrace error naming the field; never a crash, a hang or a corrupted session', async () => {
    // Fuzzed model names are unpriced; their one-time warnings would flood the test output.
    const emitWarning = process.emitWarning;
    process.emitWarning = () => {};
    // Any promise a fuzzed call left rejected with nobody listening is a finding too.
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    let figures: Record<string, number>;
    try {
      figures = await fuzzEntryPoints(Number(process.env.FUZZ_RUNS ?? 150));
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.emitWarning = emitWarning;
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
    for (const [entry, tried] of Object.entries(figures))
      expect(tried, entry).toBeGreaterThanOrEqual(Number(process.env.FUZZ_RUNS ?? 150));
  }, 60_000);
});

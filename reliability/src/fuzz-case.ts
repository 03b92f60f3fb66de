// The fuzzing row: every public entry point fuzzEntryPoints covers, a few hundred inputs each (short) or ten
// thousand (long). A broken contract throws with fast-check's shrunk counterexample, which becomes the detail.
import type { ReliabilityCase } from './case.js';
import { fuzzEntryPoints } from './fuzz.js';

/** Inputs per entry point in each mode. */
export const FUZZ_RUNS = { short: 150, long: 10_000 } as const;

export const fuzzCase: ReliabilityCase = {
  name: 'fuzz-public-entry-points',
  description:
    'fast-check over session/turn/tool options, usage, prices, price files, policies, permissions, wire decoders, response detection, OTEL_* variables',
  async run({ long }) {
    const runs = long ? FUZZ_RUNS.long : FUZZ_RUNS.short;
    // Fuzzed model names are unpriced; their one-time warnings would flood the output.
    const emitWarning = process.emitWarning;
    process.emitWarning = () => {};
    try {
      const figures = await fuzzEntryPoints(runs);
      const total = Object.values(figures).reduce((a, b) => a + b, 0);
      const entries = Object.keys(figures).length;
      return {
        survived: Object.values(figures).every((n) => n >= runs),
        figure: `${total.toLocaleString('en-US')} inputs over ${entries} entry points, all success or typed errors`,
        detail: Object.entries(figures)
          .map(([k, n]) => `${k}: ${n}`)
          .join('; '),
      };
    } catch (err) {
      return {
        survived: false,
        figure: 'a contract broke',
        detail: err instanceof Error ? err.message.slice(0, 2000) : String(err),
      };
    } finally {
      process.emitWarning = emitWarning;
    }
  },
};

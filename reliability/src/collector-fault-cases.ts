// The collector-fault rows of RELIABILITY.md: one per fault (turn rate against the healthy collector's, exit time,
// rss, what was dropped and said), plus the demo against every fault. The processes of all fault rows are run
// once, interleaved with healthy baselines (collectorFaultCases), and each row reads its own figures.
import type { CaseResult, ReliabilityCase } from './case.js';
import {
  collectorFaultCases,
  type DemoRun,
  type FaultCase,
  type FaultRun,
  runDemoAgainst,
} from './collector-faults.js';
import { COLLECTOR_FAULTS, type CollectorFault, CollectorFault as Fault } from './faulty-collector.js';

/** The export timeout the app configures; shutdown's deadline is this + 1 s (setupTelemetry's default). */
export const FAULT_EXPORT_TIMEOUT_MS = 1000;
/** setupTelemetry's shutdown deadline for {@link FAULT_EXPORT_TIMEOUT_MS}. */
export const FAULT_SHUTDOWN_DEADLINE_MS = FAULT_EXPORT_TIMEOUT_MS + 1000;
/** Process start-up and teardown on a loaded machine; the deadline above is what is being held. */
export const FAULT_EXIT_MARGIN_MS = 2000;
/** Lowest turn rate, as a fraction of the healthy collector's, the issue allows. */
export const MIN_RATE_RATIO = 0.9;

/** The checks of one process against a faulty collector; returns what broke (empty when it held). */
export function faultRunProblems(run: FaultRun): string[] {
  const problems: string[] = [];
  if (run.ok !== run.turns) problems.push(`${run.turns - run.ok} turns did not return`);
  if (run.unhandled !== 0) problems.push(`${run.unhandled} unhandled rejections`);
  if (run.exitCode !== 0) problems.push(`exit code ${run.exitCode}`);
  const limit = FAULT_SHUTDOWN_DEADLINE_MS + FAULT_EXIT_MARGIN_MS;
  if (run.shutdownMs >= limit) problems.push(`shutdown took ${Math.round(run.shutdownMs)} ms`);
  if (run.exitMs >= limit) problems.push(`exit took ${Math.round(run.exitMs)} ms`);
  const told = run.warnings.filter((w) => w.includes('telemetry is being dropped')).length;
  if (run.fault === Fault.GARBAGE_200) {
    // A 200 is the collector's acknowledgement (OTLP: success): what was sent counts as delivered.
    if (run.collectorRequests === 0) problems.push('the collector received nothing');
    if (told > 1) problems.push(`the loss was told ${told} times`);
  } else if (run.fault !== Fault.HEALTHY) {
    // Every span (the turns' and the session's) was dropped and counted, and said once.
    if (run.dropped.spans !== run.turns + 1)
      problems.push(`dropped ${run.dropped.spans} of ${run.turns + 1} spans`);
    if (told !== 1) problems.push(`the loss was told ${told} times`);
  }
  return problems;
}

/** The demo's checks against a fault, next to its run with no collector. */
export function demoProblems(none: DemoRun, faulty: DemoRun): string[] {
  const problems: string[] = [];
  if (none.exitCode !== 0 || faulty.exitCode !== 0)
    problems.push(`exit codes ${none.exitCode}/${faulty.exitCode}`);
  if (faulty.wallMs - none.wallMs >= 10_000)
    problems.push(`${Math.round(faulty.wallMs - none.wallMs)} ms slower`);
  // A 200 is the collector's acknowledgement (OTLP: success), so only then may the demo say it exported.
  if (faulty.fault !== Fault.GARBAGE_200 && /Traces were exported|Metrics were exported/.test(faulty.stdout))
    problems.push('claims an export');
  const costs = (s: string) =>
    s.slice(s.indexOf('Cost by agent and model'), s.indexOf('What this run showed'));
  if (costs(faulty.stdout) !== costs(none.stdout)) problems.push('the cost table differs');
  if (faulty.fault !== Fault.GARBAGE_200) {
    if (!/spans? meant for .* were lost/.test(faulty.stdout)) problems.push('does not say what was lost');
    if ((faulty.stderr.match(/telemetry is being dropped/g) ?? []).length !== 1)
      problems.push('the drop is not told exactly once');
  }
  return problems;
}

const SIZES = {
  short: { turns: 2000, rounds: 1 },
  long: { turns: 10_000, rounds: 3 },
} as const;

let shared: { long: boolean; result: Promise<{ baseline: FaultRun; cases: FaultCase[] }> } | undefined;
/** All faults' processes, run once per mode and shared by the rows. */
function faultRuns(long: boolean) {
  if (shared?.long !== long) {
    const size = long ? SIZES.long : SIZES.short;
    shared = {
      long,
      result: collectorFaultCases(COLLECTOR_FAULTS, { ...size, exportTimeoutMs: FAULT_EXPORT_TIMEOUT_MS }),
    };
  }
  return shared.result;
}

const mib = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} MiB`;

function faultCase(fault: CollectorFault): ReliabilityCase {
  return {
    name: `collector-${fault.replaceAll('_', '-')}`,
    description: `OTLP collector fault: ${fault.replaceAll('_', ' ')} (own process, real OTLP/HTTP exporters)`,
    async run({ long }): Promise<CaseResult> {
      const { baseline, cases } = await faultRuns(long);
      const c = cases.find((x) => x.fault === fault)!;
      const problems = faultRunProblems(c.run);
      // The verdict reads the CPU-time rate: on a shared machine the wall-clock rate of a 10^4-turn process moves
      // by tens of percent with other processes' load, which says nothing about the fault.
      if (c.cpuRateRatio < MIN_RATE_RATIO)
        problems.push(`turn rate ${c.cpuRateRatio.toFixed(2)}× of the healthy run (CPU time)`);
      const rss = c.run.rssPeakMiB - c.run.rssStartMiB;
      return {
        survived: problems.length === 0,
        figure: `turn rate ${c.cpuRateRatio.toFixed(2)}× (CPU time; wall ${c.rateRatio.toFixed(2)}×); exit ${Math.round(c.run.exitMs)} ms after shutdown began; rss ${mib(rss)} (healthy ${mib(baseline.rssPeakMiB - baseline.rssStartMiB)})`,
        detail:
          `${c.run.turns} turns × ${long ? SIZES.long.rounds : 1} round(s) interleaved with healthy-collector runs, rate ` +
          `ratio of medians (bound ≥ ${MIN_RATE_RATIO}×; ` +
          `healthy exit ${Math.round(baseline.exitMs)} ms); export timeout ${FAULT_EXPORT_TIMEOUT_MS} ms, shutdown ` +
          `${Math.round(c.run.shutdownMs)} ms; dropped ${c.run.dropped.spans} spans, ${c.run.dropped.metricExports} ` +
          `metric exports, told ${c.run.warnings.filter((w) => w.includes('telemetry is being dropped')).length}×` +
          (problems.length ? `; FAILED: ${problems.join('; ')}` : ''),
      };
    },
  };
}

/** The demo CLI against faulty collectors (every fault in long mode, the hanging one in short mode). */
export const demoAgainstFaultsCase: ReliabilityCase = {
  name: 'demo-against-faulty-collectors',
  description: 'the demo CLI with its OTLP endpoint at a faulty collector, against the same run with none',
  async run({ long }) {
    const faults = long ? COLLECTOR_FAULTS : [Fault.HANGS];
    const none = await runDemoAgainst('none');
    let worst = Number.NEGATIVE_INFINITY;
    const failures: string[] = [];
    for (const fault of faults) {
      const run = await runDemoAgainst(fault);
      worst = Math.max(worst, run.wallMs - none.wallMs);
      const problems = demoProblems(none, run);
      if (problems.length) failures.push(`${fault}: ${problems.join(', ')}`);
    }
    return {
      survived: failures.length === 0,
      figure: `worst exit ${(worst / 1000).toFixed(1)} s after the no-collector run (bound 10 s)`,
      detail:
        `no collector: ${(none.wallMs / 1000).toFixed(1)} s; ${faults.length} fault(s); same cost table, no export ` +
        `claimed, the loss told once` +
        (failures.length ? `; FAILED: ${failures.join('; ')}` : ''),
    };
  },
};

/** One row per collector fault. */
export const collectorFaultCaseList: readonly ReliabilityCase[] = COLLECTOR_FAULTS.map(faultCase);

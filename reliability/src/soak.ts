// Soak: 10^6 turns in one session, and 10^5 sessions of ten turns, telemetry on (OTLP/HTTP to a healthy loopback
// collector in this process; the soak runs in its own process so its memory is only its own). After warm-up,
// memory is sampled after a full GC at each window's end and per-turn time is taken per window against a young
// reference run at the same moment (see soak-child.ts). The bounds are stated in SOAK_BOUNDS and held.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CaseResult, ReliabilityCase } from './case.js';
import { CollectorFault, startFaultyCollector } from './faulty-collector.js';
import type { SoakReport, SoakStart } from './soak-child.js';

const CHILD = fileURLToPath(new URL('./soak-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Sizes of a soak run. */
export interface SoakSize {
  turns: number;
  warmupTurns: number;
  windows: number;
  /** The measured agent's worker registry capacity (core's default, 10,000, when absent). */
  registryCapacity?: number;
}

/**
 * Long: the sizes; the many-sessions warm-up (15,000 sessions) fills the worker registry, which keeps
 * the newest 10,000 ended workers by design. Short (CI): ~10^4 turns, seconds; a 200-worker registry fills
 * during its warm-up.
 */
export const SOAK_SIZES: Record<'short' | 'long', Record<SoakStart['mode'], SoakSize>> = {
  long: {
    'one-session': { turns: 1_000_000, warmupTurns: 50_000, windows: 10 },
    'many-sessions': { turns: 1_000_000, warmupTurns: 150_000, windows: 10 },
  },
  short: {
    'one-session': { turns: 6_000, warmupTurns: 3_000, windows: 3 },
    'many-sessions': { turns: 6_000, warmupTurns: 3_000, windows: 3, registryCapacity: 200 },
  },
};

/**
 * The bounds the soak holds, after warm-up. Memory is read after a full GC.
 * - heap: heapUsed at the end within `heapGrowthMiB` of the start, and its least-squares slope under
 *   `heapSlopeMiBPerMillion` MiB per 10^6 turns (a per-turn leak of even 8 bytes shows as 7.6 MiB per 10^6);
 * - rss: growth (median of the last three readings against the first three) under `rssGrowthMiB` (see
 *   RELIABILITY.md for what the remaining rss movement is);
 * - time: the last window's per-turn time against its young reference, divided by the first window's, under
 *   `timeRatio` (a load change moves both the window and its reference, so it cancels).
 * The short mode checks the same relative bounds, looser (a few windows of 4,000 turns are noisy).
 */
export const SOAK_BOUNDS = {
  long: { heapGrowthMiB: 2, heapSlopeMiBPerMillion: 2, rssGrowthMiB: 16, timeRatio: 1.2 },
  // Short: three windows of 2,000 turns, often run beside other test files on a loaded CI machine; a leak of
  // 2 KiB per turn (what each ended worker held in the registry) still fails the heap bound.
  short: {
    heapGrowthMiB: 6,
    heapSlopeMiBPerMillion: Number.POSITIVE_INFINITY,
    rssGrowthMiB: 32,
    timeRatio: 2,
  },
} as const;

/** Runs one soak process; `env` and `execArgv` let an investigation vary the allocator or V8 flags. */
export async function runSoak(
  mode: SoakStart['mode'],
  size: SoakSize,
  opts: { env?: NodeJS.ProcessEnv; execArgv?: string[] } = {},
): Promise<SoakReport> {
  const collector = await startFaultyCollector(CollectorFault.HEALTHY);
  try {
    const child = fork(CHILD, [], {
      cwd: ROOT,
      execArgv: ['--expose-gc', ...(opts.execArgv ?? []), '--import', 'tsx'],
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: SoakReport | undefined;
    child.on('message', (m: { type: string; report?: SoakReport }) => {
      if (m.type === 'report') report = m.report;
    });
    const start: SoakStart = { mode, ...size, endpoint: collector.endpoint };
    child.send(start);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    if (!report) throw new Error(`the soak child (${mode}) exited (${code}) without a report`);
    return report;
  } finally {
    await collector.close();
  }
}

/** The figures a soak report gives. */
export interface SoakFigures {
  /**
   * Median rss of the last three samples minus that of the first three: rss moves by several MiB from one
   * reading to the next as the allocator takes and returns pages, so a trend is read from medians, not endpoints.
   */
  rssGrowthMiB: number;
  /** Highest minus lowest rss reading after warm-up. */
  rssRangeMiB: number;
  heapGrowthMiB: number;
  /** Least-squares slope of heapUsed, MiB per 10^6 turns. */
  heapSlopeMiBPerMillion: number;
  /** (last window ÷ its young reference) ÷ (first window ÷ its young reference). */
  timeRatio: number;
  firstPerTurnUs: number;
  lastPerTurnUs: number;
  heapTotalGrowthMiB: number;
  externalGrowthMiB: number;
  /** Linux: growth of rss's anonymous and file-backed parts, medians as for rss (NaN elsewhere). */
  rssAnonGrowthMiB: number;
  rssFileGrowthMiB: number;
}

const med3 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Median of the last three readings minus the median of the first three. */
const trend = (xs: number[]) => med3(xs.slice(-3)) - med3(xs.slice(0, 3));

/** Reads the figures off a report. */
export function soakFigures(r: SoakReport): SoakFigures {
  const first = r.samples[0]!;
  const last = r.samples.at(-1)!;
  const xs = r.samples.map((s) => s.turns / 1e6);
  const ys = r.samples.map((s) => s.heapUsed);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  const w0 = r.windows[0]!;
  const wn = r.windows.at(-1)!;
  const rss = r.samples.map((s) => s.rss);
  return {
    rssGrowthMiB: trend(rss),
    rssRangeMiB: Math.max(...rss) - Math.min(...rss),
    heapGrowthMiB: last.heapUsed - first.heapUsed,
    heapSlopeMiBPerMillion: den > 0 ? num / den : 0,
    timeRatio: wn.vsYoung / w0.vsYoung,
    firstPerTurnUs: w0.perTurnUs,
    lastPerTurnUs: wn.perTurnUs,
    heapTotalGrowthMiB: last.heapTotal - first.heapTotal,
    rssAnonGrowthMiB: trend(r.samples.map((s) => s.rssAnon ?? Number.NaN)),
    rssFileGrowthMiB: trend(r.samples.map((s) => s.rssFile ?? Number.NaN)),
    externalGrowthMiB: last.external - first.external,
  };
}

/** What broke against `bounds` (empty when the soak held). */
export function soakProblems(r: SoakReport, bounds: (typeof SOAK_BOUNDS)['long' | 'short']): string[] {
  const f = soakFigures(r);
  const problems: string[] = [];
  if (r.unhandled > 0) problems.push(`${r.unhandled} unhandled rejections`);
  if (Math.abs(f.heapGrowthMiB) >= bounds.heapGrowthMiB)
    problems.push(`heap moved ${f.heapGrowthMiB.toFixed(2)} MiB`);
  if (f.heapSlopeMiBPerMillion >= bounds.heapSlopeMiBPerMillion)
    problems.push(`heap slope ${f.heapSlopeMiBPerMillion.toFixed(2)} MiB per 10^6 turns`);
  if (f.rssGrowthMiB >= bounds.rssGrowthMiB) problems.push(`rss grew ${f.rssGrowthMiB.toFixed(1)} MiB`);
  if (!(f.timeRatio < bounds.timeRatio)) problems.push(`per-turn time ratio ${f.timeRatio.toFixed(2)}`);
  return problems;
}

const signed = (x: number, digits = 1) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;

function soakCase(mode: SoakStart['mode']): ReliabilityCase {
  const what =
    mode === 'one-session'
      ? '10^6 turns in one session'
      : '10^5 sessions of ten turns (10^6 turns) on one agent';
  return {
    name: `soak-${mode}`,
    description: `${what}, telemetry on (OTLP/HTTP protobuf to a loopback collector, batch span processor, periodic metric reader)`,
    async run({ long }): Promise<CaseResult> {
      const size = (long ? SOAK_SIZES.long : SOAK_SIZES.short)[mode];
      const bounds = long ? SOAK_BOUNDS.long : SOAK_BOUNDS.short;
      const r = await runSoak(mode, size);
      const f = soakFigures(r);
      const problems = soakProblems(r, bounds);
      return {
        survived: problems.length === 0,
        figure:
          `rss ${signed(f.rssGrowthMiB)} MiB, heap ${signed(f.heapGrowthMiB, 2)} MiB after warm-up; ` +
          `per-turn time last/first window ${f.timeRatio.toFixed(2)}×`,
        detail:
          `${r.turns.toLocaleString('en-US')} turns in ${r.sessions.toLocaleString('en-US')} session(s) after ` +
          `${size.warmupTurns.toLocaleString('en-US')} warm-up turns` +
          (size.registryCapacity ? ` (worker registry of ${size.registryCapacity})` : '') +
          `, ${r.windows.length} windows, ${r.wallSeconds.toFixed(0)} s; ` +
          `bounds: |heap| < ${bounds.heapGrowthMiB} MiB, heap slope < ${bounds.heapSlopeMiBPerMillion} MiB/10^6 turns ` +
          `(was ${f.heapSlopeMiBPerMillion.toFixed(2)}), rss < ${bounds.rssGrowthMiB} MiB, time ratio < ${bounds.timeRatio}; ` +
          `${f.firstPerTurnUs.toFixed(1)} → ${f.lastPerTurnUs.toFixed(1)} µs/turn (absolute, load-dependent); ` +
          `rss range ${f.rssRangeMiB.toFixed(1)} MiB (anonymous ${signed(f.rssAnonGrowthMiB)}, file-backed ${signed(f.rssFileGrowthMiB)} MiB), heapTotal ${signed(f.heapTotalGrowthMiB)} MiB, external ${signed(f.externalGrowthMiB, 2)} MiB; ` +
          `spans dropped by the bounded processor: ${r.droppedSpans}` +
          (problems.length ? `; FAILED: ${problems.join('; ')}` : ''),
      };
    },
  };
}

/** The two soak rows. */
export const soakCaseList: readonly ReliabilityCase[] = [soakCase('one-session'), soakCase('many-sessions')];

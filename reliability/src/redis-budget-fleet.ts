// 8 OS processes spending concurrently against one shared budget on one real redis-server: each process is the
// fleet harness's worker (packages/redis/src/test-helpers/fleet-worker.ts: a real AgentSession whose turns pass a
// SharedBudget, a RateLimiter and a shared breaker, all on a RedisStateStore, ioredis and node-redis alternately)
// keeping several turns in flight. The single-process concurrency case's promises, fleet-wide: the total in Redis
// is the exact sum of every process's µUSD costs, and the overshoot is bounded by the turns in flight.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  FleetWorkerConfig,
  FleetWorkerReport,
} from '../../packages/redis/src/test-helpers/fleet-worker.js';
import { startRedisServer } from '../../test/helpers/redis-server.js';
import type { CaseResult, ReliabilityCase } from './case.js';

const WORKER = fileURLToPath(
  new URL('../../packages/redis/src/test-helpers/fleet-worker.ts', import.meta.url),
);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// The worker's turns: 1000 input tokens at 1 µUSD and 300–700 output tokens at 2 µUSD, so 1600–2400 µUSD each,
// reserving the expected 1000 + 500 tokens = 2000 µUSD. The largest under-estimate is 2400 − 2000 = 400 µUSD.
const RESERVATION_MICROS = 2000;
const MIN_TURN_MICROS = 1600;
const MAX_UNDER_ESTIMATE_MICROS = 400;

/** Sizes of one run. */
export interface BudgetFleetOptions {
  processes: number;
  /** Turns each process keeps in flight. */
  concurrency: number;
  /** Turns per process. */
  turns: number;
  /** The shared limit, µUSD (set below what all the turns would cost, so it fills mid-run). */
  limitMicros: number;
}

/** What one run found. */
export interface BudgetFleetRun {
  options: BudgetFleetOptions;
  /** `spent` and `reserved` in Redis at the end. */
  spentMicros: number;
  reservedMicros: number;
  /** Σ over every process of its turns' µUSD costs (as each process's session billed them). */
  settledMicros: number;
  /** Turns admitted (ok) and refused by the budget, fleet-wide; any other outcome by name. */
  outcomes: Record<string, number>;
  /** Per process: its share of the spend (µUSD). */
  perProcessMicros: number[];
  /** spent − limit (µUSD; ≤ 0 when the fleet stayed within it). */
  overshootMicros: number;
  /** The stated bound on the overshoot: processes × concurrency × the largest under-estimate. */
  boundMicros: number;
  /** The stated floor of the spend once the limit refused calls: limit − one reservation − the over-estimates in flight. */
  floorMicros: number;
  /** Settlements still pending in any process at the end. */
  pendingSettlements: number;
}

/** Runs the fleet once against a fresh redis-server. */
export async function runBudgetFleet(options: BudgetFleetOptions): Promise<BudgetFleetRun> {
  const server = await startRedisServer();
  const prefix = 'budgetfleet';
  const children: ReturnType<typeof fork>[] = [];
  try {
    const ready: Promise<void>[] = [];
    const reports: Promise<FleetWorkerReport>[] = [];
    for (let worker = 0; worker < options.processes; worker++) {
      const config: FleetWorkerConfig = {
        worker,
        port: server.port,
        prefix,
        client: worker % 2 === 0 ? 'ioredis' : 'node-redis',
        turns: options.turns,
        concurrency: options.concurrency,
        policy: 'fail_open',
        budget: { name: 'fleet', limitUsd: options.limitMicros / 1e6, reservationTtlMs: 60_000 },
        // Neither the breaker nor the rate limit binds here: the provider is always up, the limits are wide.
        breaker: { threshold: 1_000_000, recoveryTimeoutMs: 1000, halfOpenMaxProbes: 1 },
        rate: { requests: 1e9, tokens: 1e12, windowMs: 1000, burstFraction: 0.5, localShare: 1 },
        latency: { up: 2, down: 2 },
        // Generous: this case is about exact totals under contention, not outages (a loaded box stalls processes).
        commandTimeoutMs: 5000,
        seed: 7000 + worker,
      };
      const child = fork(WORKER, [], {
        cwd: ROOT,
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      ready.push(
        new Promise((resolve) =>
          child.on('message', (m: { type: string }) => m.type === 'ready' && resolve()),
        ),
      );
      reports.push(
        new Promise((resolve, reject) => {
          child.on('message', (m: { type: string; report?: FleetWorkerReport; message?: string }) => {
            if (m.type === 'done' && m.report) resolve(m.report);
            else if (m.type === 'error') reject(new Error(`worker ${worker}: ${m.message}`));
          });
          child.once(
            'exit',
            (code) => code !== 0 && reject(new Error(`worker ${worker} exited with ${code}`)),
          );
        }),
      );
      child.send({ type: 'start', config });
    }
    // A worker that fails before it is ready fails the run (instead of waiting for it forever).
    await Promise.race([Promise.all(ready), Promise.all(reports)]);
    // Every process starts spending at once.
    for (const child of children) child.send({ type: 'go' });
    const done = await Promise.all(reports);

    const [spent, reserved] = (await server.command([
      'HMGET',
      `${prefix}:{budget:fleet}`,
      'spent',
      'reserved',
    ])) as (string | null)[];
    const turns = done.flatMap((r) => r.turns);
    const outcomes: Record<string, number> = {};
    for (const t of turns) outcomes[t.outcome] = (outcomes[t.outcome] ?? 0) + 1;
    const spentMicros = Number(spent ?? 0);
    const inFlight = options.processes * options.concurrency;
    return {
      options,
      spentMicros,
      reservedMicros: Number(reserved ?? 0),
      settledMicros: turns.reduce((sum, t) => sum + t.costMicros, 0),
      outcomes,
      perProcessMicros: done
        .sort((a, b) => a.worker - b.worker)
        .map((r) => r.turns.reduce((sum, t) => sum + t.costMicros, 0)),
      overshootMicros: spentMicros - options.limitMicros,
      boundMicros: inFlight * MAX_UNDER_ESTIMATE_MICROS,
      floorMicros:
        options.limitMicros - RESERVATION_MICROS - inFlight * (RESERVATION_MICROS - MIN_TURN_MICROS),
      pendingSettlements: done.reduce((sum, r) => sum + r.pendingSettlements, 0),
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await server.close();
  }
}

/** The promises the case checks, as what broke (empty: survived). */
export function budgetFleetViolations(run: BudgetFleetRun): string[] {
  const broken: string[] = [];
  if (run.spentMicros !== run.settledMicros) {
    broken.push(`Redis has ${run.spentMicros} µUSD spent, the processes' turns cost ${run.settledMicros}`);
  }
  if (run.reservedMicros !== 0) broken.push(`${run.reservedMicros} µUSD still reserved at the end`);
  if (run.pendingSettlements !== 0) broken.push(`${run.pendingSettlements} settlements never written`);
  if (run.overshootMicros > run.boundMicros) {
    broken.push(`overshoot ${run.overshootMicros} µUSD over the bound ${run.boundMicros}`);
  }
  if (!(run.outcomes.budget && run.outcomes.ok)) {
    broken.push(`the limit did not fill mid-run: ${JSON.stringify(run.outcomes)}`);
  } else if (run.spentMicros < run.floorMicros) {
    broken.push(
      `spent ${run.spentMicros} µUSD, under the floor ${run.floorMicros}: calls refused with room left`,
    );
  }
  const other = Object.keys(run.outcomes).filter((o) => o !== 'ok' && o !== 'budget');
  if (other.length > 0) broken.push(`other outcomes: ${JSON.stringify(run.outcomes)}`);
  return broken;
}

/** The table row's figure and detail. */
export function describeBudgetFleet(run: BudgetFleetRun): { figure: string; detail: string } {
  const o = run.options;
  return {
    figure:
      `spend recorded/expected ${run.spentMicros}/${run.settledMicros} µUSD; overshoot ` +
      `${run.overshootMicros} µUSD ≤ bound ${run.boundMicros}`,
    detail:
      `${o.processes} processes × ${o.concurrency} turns in flight × ${o.turns} turns on one ${o.limitMicros} µUSD ` +
      `budget (ioredis and node-redis alternately): ${run.outcomes.ok ?? 0} admitted, ` +
      `${run.outcomes.budget ?? 0} refused. Each turn reserves ${RESERVATION_MICROS} µUSD and costs ` +
      `${MIN_TURN_MICROS}–${RESERVATION_MICROS + MAX_UNDER_ESTIMATE_MICROS}; bound: a call is admitted only if ` +
      `spent + reserved + its reservation ≤ limit, so the fleet spends at most limit + Σ under-estimates of the ` +
      `calls in flight ≤ processes × concurrency × ${MAX_UNDER_ESTIMATE_MICROS} µUSD over it. Per process µUSD: ` +
      `${run.perProcessMicros.join(', ')}.`,
  };
}

/** 8 processes on one Redis budget. */
export const redisBudgetFleetCase: ReliabilityCase = {
  name: 'redis-budget-8-processes',
  description:
    '8 processes spending concurrently on one Redis budget: total exact to the µUSD, overshoot within the turns in flight',
  run: async ({ long }): Promise<CaseResult> => {
    const turns = long ? 1500 : 80;
    const concurrency = long ? 8 : 4;
    // About two thirds of what every turn would cost, so the limit fills mid-run.
    const run = await runBudgetFleet({
      processes: 8,
      concurrency,
      turns,
      limitMicros: Math.round((8 * turns * RESERVATION_MICROS * 2) / 3),
    });
    const broken = budgetFleetViolations(run);
    const { figure, detail } = describeBudgetFleet(run);
    return {
      survived: broken.length === 0,
      figure,
      detail: broken.length > 0 ? `BROKEN: ${broken.join('; ')}. ${detail}` : detail,
    };
  },
};

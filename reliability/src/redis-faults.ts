// Redis killed (SIGKILL, then restarted on the same port from its AOF) or paused (SIGSTOP past the store's command
// timeout, then SIGCONT) while sessions run turns concurrently through a shared breaker and a shared budget on it.
// Half the sessions are fail_open, half fail_closed; each session has its own client, store, breaker and budget,
// as separate processes would (ioredis and node-redis alternately). The provider is simulated (the edge we do not
// own) and always healthy, so every outcome other than "ok" is the store's policy at work.
import {
  AgentSession,
  CircuitBreaker,
  SharedBudget,
  StateStoreUnavailableError,
  StoreFailurePolicy,
  toMicroUsd,
} from '@agentrace/core';
import { RedisStateStore } from '@agentrace/redis';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { CaseResult, ReliabilityCase } from './case.js';
import { REDIS_PERSISTENCE, type RedisProcess, startRedisProcess } from './redis-process.js';
import { MODEL, PROVIDER, priceTable } from './workload.js';

/** How Redis goes away. */
export type RedisFault = 'sigkill' | 'sigstop';

/** Sizes and timings of one run. */
export interface RedisFaultOptions {
  fault: RedisFault;
  /** Sessions per policy (fail_open and fail_closed each). */
  sessions: number;
  /** Turns each session keeps in flight. */
  concurrency: number;
  /** The store's command timeout (ms). */
  commandTimeoutMs: number;
  /** How long Redis stays away, as a multiple of the command timeout (> 1: "past the command timeout"). */
  outageTimeouts: number;
  /** How many outages, one after another. */
  outages: number;
  /** Turns each session runs before the first outage, and after recovery from each. */
  phaseTurns: number;
}

/** Per-policy figures of a run. */
export interface PolicyFigures {
  turns: number;
  /** Outcomes by name: ok, unavailable (StateStoreUnavailableError), other:<name>. */
  outcomes: Record<string, number>;
  /** Turns that started while Redis was away, by outcome. */
  duringOutage: Record<string, number>;
  /** Σ of the µUSD costs of the turns that succeeded (what the app was billed). */
  expectedMicros: number;
  /** Σ of the same costs computed from the token counts and prices (independent of the session). */
  pricedMicros: number;
  /** The budget's `spent` in Redis at the end. */
  recordedMicros: number;
  /** The budget's `reserved` in Redis right after every session flushed. */
  reservedAfterFlushMicros: number;
  /** Settlements still pending in the sessions after the final flush (not written: lost unless retried later). */
  pendingAtEnd: number;
  /** Settlements the store applied, and those it recognised as already applied (retries of a lost reply). */
  applied: number;
  duplicates: number;
}

/** What one run found. */
export interface RedisFaultRun {
  fault: RedisFault;
  options: RedisFaultOptions;
  open: PolicyFigures;
  closed: PolicyFigures;
  /** Unhandled rejections seen by the process during the run. */
  unhandled: string[];
  /** Per outage: from Redis answering again to the first fail_closed turn admitted by Redis in every session. */
  recoveryMs: number[];
  /** Per outage: from Redis answering again to no settlement pending in any session. */
  reconciledMs: number[];
  /** The longest turn that started while Redis was away (ms): bounded by the command timeout, not the outage. */
  longestOutageTurnMs: number;
  /** Outage length (ms), each. */
  outageMs: number[];
}

const RESERVATION_TTL_MS = 2000;
const RETRY_INTERVAL_MS = 100;

// Turn k of a session uses (1000 + 2(k mod 97)) input and (100 + (k mod 89)) output tokens: at $2.5/M in and
// $10/M out that is a whole number of µUSD, different from turn to turn, so a lost or doubled settlement shows.
const tokens = (k: number) => ({ inputTokens: 1000 + 2 * (k % 97), outputTokens: 100 + (k % 89) });
const pricedMicros = (k: number) => {
  const t = tokens(k);
  return (t.inputTokens * 5) / 2 + t.outputTokens * 10;
};
// An upper bound of the actual usage, as `max_tokens` would give: the reservation never under-estimates.
const EXPECTED_USAGE = { inputTokens: 1200, outputTokens: 200 };

/** A node-redis client, as far as the case uses it. */
interface NodeRedisClient {
  sendCommand(args: string[]): Promise<unknown>;
  close(): Promise<unknown>;
}

interface Lane {
  policy: StoreFailurePolicy;
  client: Redis | NodeRedisClient;
  store: CountingStore;
  breaker: CircuitBreaker;
  budget: SharedBudget;
  agent: AgentSession;
}

interface Turn {
  policy: StoreFailurePolicy;
  session: number;
  startedAt: number;
  endedAt: number;
  outcome: string;
  costMicros: number;
  pricedMicros: number;
  duringOutage: boolean;
}

/** A RedisStateStore that counts what the budget's settlements did (applied once, or recognised as a repeat). */
class CountingStore extends RedisStateStore {
  applied = 0;
  duplicates = 0;
  override async settleBudget(request: Parameters<RedisStateStore['settleBudget']>[0]) {
    const reply = await super.settleBudget(request);
    this.applied += reply.applied;
    this.duplicates += reply.duplicates;
    return reply;
  }
}

async function connect(port: number, i: number): Promise<Lane['client']> {
  // As the package README says to configure them: fail at once while disconnected, no offline queue; each client
  // reconnects on its own.
  if (i % 2 === 0) {
    const io = new Redis({
      host: '127.0.0.1',
      port,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 50,
    });
    io.on('error', () => undefined);
    await new Promise((resolve) => io.once('ready', resolve));
    return io;
  }
  const node = createClient({
    url: `redis://127.0.0.1:${port}`,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: () => 50 },
  });
  node.on('error', () => undefined);
  await node.connect();
  return node;
}

async function newLane(
  port: number,
  i: number,
  policy: StoreFailurePolicy,
  commandTimeoutMs: number,
): Promise<Lane> {
  const client = await connect(port, i);
  const store = new CountingStore({
    client,
    prefix: 'faults',
    commandTimeoutMs,
    retryIntervalMs: RETRY_INTERVAL_MS,
    failurePolicy: policy,
  });
  const breaker = new CircuitBreaker({
    name: `sim-${policy}`,
    store,
    failureThreshold: 5,
    syncIntervalMs: 250,
  });
  const budget = new SharedBudget({
    name: `budget-${policy}`,
    limitUsd: 10_000,
    store,
    reservationTtlMs: RESERVATION_TTL_MS,
    retryIntervalMs: RETRY_INTERVAL_MS,
  });
  const agent = new AgentSession({
    role: `faults-${policy}-${i}`,
    phase: 'redis-faults',
    model: MODEL,
    provider: PROVIDER,
    pricing: priceTable(),
    circuitBreaker: breaker,
    gates: [budget],
    maxIterations: Number.MAX_SAFE_INTEGER,
  });
  return { policy, client, store, breaker, budget, agent };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs sessions of both policies through `outages` outages of the given kind; every figure the case reports. */
export async function runRedisFault(options: RedisFaultOptions): Promise<RedisFaultRun> {
  const unhandled: string[] = [];
  const onUnhandled = (reason: unknown) => {
    unhandled.push(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
  };
  process.on('unhandledRejection', onUnhandled);
  const redis = await startRedisProcess();
  const lanes: Lane[] = [];
  try {
    for (const policy of [StoreFailurePolicy.FAIL_OPEN, StoreFailurePolicy.FAIL_CLOSED]) {
      for (let i = 0; i < options.sessions; i++) {
        lanes.push(await newLane(redis.port, i, policy, options.commandTimeoutMs));
      }
    }
    const result = await drive(redis, lanes, options);
    return { ...result, unhandled };
  } finally {
    for (const lane of lanes) {
      lane.breaker.close();
      lane.budget.close();
      if (lane.client instanceof Redis) lane.client.disconnect();
      else await lane.client.close().catch(() => undefined);
    }
    await redis.close();
    // Late rejections of abandoned commands would surface on the next ticks.
    await sleep(50);
    process.off('unhandledRejection', onUnhandled);
  }
}

async function drive(
  redis: RedisProcess,
  lanes: Lane[],
  options: RedisFaultOptions,
): Promise<Omit<RedisFaultRun, 'unhandled'>> {
  const turns: Turn[] = [];
  let away = false;
  let stop = false;
  const counters = lanes.map(() => 0);
  // Resolves when every session has run `n` more turns than when it was asked.
  const waiters: { target: number[]; resolve: () => void }[] = [];
  const progressed = () => {
    for (const w of waiters.splice(0)) {
      if (counters.every((c, i) => c >= (w.target[i] as number))) w.resolve();
      else waiters.push(w);
    }
  };
  const moreTurns = (n: number) =>
    new Promise<void>((resolve) => waiters.push({ target: counters.map((c) => c + n), resolve }));
  // The first fail_closed turn each session got admitted after Redis came back.
  let admittedAgain: (number | undefined)[] = lanes.map(() => undefined);
  let backAt = 0;

  const runLane = async (lane: Lane, index: number) => {
    const session = lane.agent.open();
    let k = 0;
    const worker = async () => {
      while (!stop) {
        const turnNo = k++;
        const startedAt = performance.now();
        const duringOutage = away;
        let outcome = 'ok';
        let costMicros = 0;
        try {
          const result = await session.runTurn(
            async () => {
              await sleep(2);
              return 'answer';
            },
            { usage: tokens(turnNo), expectedUsage: EXPECTED_USAGE, recovery: false },
          );
          costMicros = toMicroUsd(result.costUsd);
          if (backAt > 0 && startedAt >= backAt && lane.policy === StoreFailurePolicy.FAIL_CLOSED) {
            admittedAgain[index] ??= performance.now();
          }
        } catch (err) {
          outcome = StateStoreUnavailableError.isInstance(err)
            ? 'unavailable'
            : `other:${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
          // A refusal is decided without I/O (the store fails fast while it backs off), so an app retrying in a
          // tight loop would never yield to the event loop; this one waits as long as a model call would take.
          await sleep(2);
        }
        turns.push({
          policy: lane.policy,
          session: index,
          startedAt,
          endedAt: performance.now(),
          outcome,
          costMicros,
          pricedMicros: outcome === 'ok' ? pricedMicros(turnNo) : 0,
          duringOutage,
        });
        counters[index] = (counters[index] as number) + 1;
        progressed();
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    session.complete();
  };

  const running = Promise.all(lanes.map(runLane));
  const recoveryMs: number[] = [];
  const reconciledMs: number[] = [];
  const outageMs: number[] = [];
  try {
    await moreTurns(options.phaseTurns);
    for (let o = 0; o < options.outages; o++) {
      const downAt = performance.now();
      away = true;
      if (options.fault === 'sigkill') await redis.kill();
      else redis.pause();
      await sleep(options.commandTimeoutMs * options.outageTimeouts);
      if (options.fault === 'sigkill') await redis.restart();
      else redis.resume();
      backAt = performance.now();
      away = false;
      outageMs.push(backAt - downAt);
      admittedAgain = lanes.map(() => undefined);
      // Recovered: every fail_closed session admitted by Redis again, and nothing left to write in any session.
      let reconciledAt: number | undefined;
      for (const until = performance.now() + 30_000; performance.now() < until; ) {
        if (reconciledAt === undefined && lanes.every((l) => l.budget.pendingSettlements === 0)) {
          reconciledAt = performance.now();
        }
        const closedBack = lanes.every(
          (l, j) => l.policy !== StoreFailurePolicy.FAIL_CLOSED || admittedAgain[j] !== undefined,
        );
        if (reconciledAt !== undefined && closedBack) break;
        await sleep(5);
      }
      const closedAt = lanes.flatMap((l, j) =>
        l.policy === StoreFailurePolicy.FAIL_CLOSED ? [admittedAgain[j] ?? Number.NaN] : [],
      );
      recoveryMs.push(Math.max(...closedAt) - backAt);
      reconciledMs.push((reconciledAt ?? Number.NaN) - backAt);
      await moreTurns(options.phaseTurns);
    }
  } finally {
    stop = true;
    await running;
  }

  // Whatever is still pending (a settlement that failed in the last instant) is written now, once. The deadline
  // is generous: on a loaded machine a restarted Redis can take seconds to replay a large AOF.
  const deadline = performance.now() + 30_000;
  for (const lane of lanes) {
    while (lane.budget.pendingSettlements > 0 && performance.now() < deadline) {
      await lane.budget.flush();
      if (lane.budget.pendingSettlements > 0) await sleep(50);
    }
  }
  const figures = async (policy: StoreFailurePolicy): Promise<PolicyFigures> => {
    const mine = turns.filter((t) => t.policy === policy);
    const outcomes: Record<string, number> = {};
    const duringOutage: Record<string, number> = {};
    for (const t of mine) {
      outcomes[t.outcome] = (outcomes[t.outcome] ?? 0) + 1;
      if (t.duringOutage) duringOutage[t.outcome] = (duringOutage[t.outcome] ?? 0) + 1;
    }
    const hash = `faults:{budget:budget-${policy}}`;
    const [spent, reserved] = (await redis.command(['HMGET', hash, 'spent', 'reserved'])) as (
      | string
      | null
    )[];
    const stores = lanes.filter((l) => l.policy === policy).map((l) => l.store);
    return {
      turns: mine.length,
      outcomes,
      duringOutage,
      expectedMicros: mine.reduce((sum, t) => sum + t.costMicros, 0),
      pricedMicros: mine.reduce((sum, t) => sum + t.pricedMicros, 0),
      recordedMicros: Number(spent ?? 0),
      reservedAfterFlushMicros: Number(reserved ?? 0),
      pendingAtEnd: lanes
        .filter((l) => l.policy === policy)
        .reduce((sum, l) => sum + l.budget.pendingSettlements, 0),
      applied: stores.reduce((sum, s) => sum + s.applied, 0),
      duplicates: stores.reduce((sum, s) => sum + s.duplicates, 0),
    };
  };
  const outageTurns = turns.filter((t) => t.duringOutage);
  return {
    fault: options.fault,
    options,
    open: await figures(StoreFailurePolicy.FAIL_OPEN),
    closed: await figures(StoreFailurePolicy.FAIL_CLOSED),
    recoveryMs,
    reconciledMs,
    outageMs,
    longestOutageTurnMs: Math.max(0, ...outageTurns.map((t) => t.endedAt - t.startedAt)),
  };
}

/** The promises the case checks, as a list of what broke (empty: survived). */
export function redisFaultViolations(run: RedisFaultRun): string[] {
  const broken: string[] = [];
  if (run.unhandled.length > 0) broken.push(`unhandled rejections: ${run.unhandled.slice(0, 3).join('; ')}`);
  const open = run.open.outcomes;
  if (Object.keys(open).some((o) => o !== 'ok')) broken.push(`fail_open outcomes ${JSON.stringify(open)}`);
  if (!((run.open.duringOutage.ok ?? 0) > 0)) broken.push('no fail_open turn ran while Redis was away');
  const closed = run.closed.outcomes;
  if (Object.keys(closed).some((o) => o !== 'ok' && o !== 'unavailable')) {
    broken.push(`fail_closed outcomes ${JSON.stringify(closed)}`);
  }
  if (!((run.closed.duringOutage.unavailable ?? 0) > 0))
    broken.push('no fail_closed turn was refused while away');
  for (const [name, f] of [
    ['fail_open', run.open],
    ['fail_closed', run.closed],
  ] as const) {
    if (f.recordedMicros !== f.expectedMicros) {
      broken.push(`${name}: Redis has ${f.recordedMicros} µUSD spent, the turns cost ${f.expectedMicros}`);
    }
    if (f.pendingAtEnd !== 0) broken.push(`${name}: ${f.pendingAtEnd} settlements never written`);
    if (f.reservedAfterFlushMicros !== 0) {
      broken.push(`${name}: ${f.reservedAfterFlushMicros} µUSD still reserved after every call settled`);
    }
    if (f.pricedMicros !== f.expectedMicros) {
      broken.push(`${name}: the turns were billed ${f.expectedMicros} µUSD, priced ${f.pricedMicros}`);
    }
  }
  if (run.recoveryMs.some((ms) => !Number.isFinite(ms))) broken.push('a fail_closed session never recovered');
  if (run.reconciledMs.some((ms) => !Number.isFinite(ms))) broken.push('pending spend was never written');
  return broken;
}

const fmt = (ms: number, timeout: number) => `${(ms / timeout).toFixed(1)}×`;

/** The table row's figure and detail for a run. */
export function describeRedisFault(run: RedisFaultRun): { figure: string; detail: string } {
  const t = run.options.commandTimeoutMs;
  const f = (p: PolicyFigures) => `${p.recordedMicros}/${p.expectedMicros} µUSD`;
  const worst = (xs: number[]) => Math.max(...xs);
  return {
    figure:
      `spend recorded/expected ${f(run.open)} (fail_open), ${f(run.closed)} (fail_closed); ` +
      `during outage ${run.open.duringOutage.ok ?? 0} turns ran (fail_open), ` +
      `${run.closed.duringOutage.unavailable ?? 0} refused (fail_closed); ` +
      `recovery ${fmt(worst(run.recoveryMs), t)} the command timeout (${Math.round(worst(run.recoveryMs))} ms)`,
    detail:
      `${run.options.sessions}+${run.options.sessions} sessions × ${run.options.concurrency} turns in flight, ` +
      `${run.options.outages} outage(s) of ${run.outageMs.map((ms) => fmt(ms, t)).join(', ')} the ${t} ms ` +
      `command timeout; Redis ${REDIS_PERSISTENCE}. Longest turn during an outage ` +
      `${fmt(run.longestOutageTurnMs, t)} the timeout; pending spend written ${fmt(worst(run.reconciledMs), t)} ` +
      `after Redis was back. Reconciled: each settlement that could not be written is kept by its SharedBudget ` +
      `under its reservation id and written when Redis answers; the settle script applies an id once, so ` +
      `${run.open.duplicates + run.closed.duplicates} repeats (a first attempt that did reach Redis) were not ` +
      `counted twice; lost: ${run.open.pendingAtEnd + run.closed.pendingAtEnd} settlements never written, and ` +
      `Redis's total is compared with the turns' (with appendfsync everysec Redis may postpone an AOF write while ` +
      `an fsync is slow and still reply, so a kill can lose acknowledged writes no client can reconcile: a long ` +
      `run lost ~70 000 µUSD that way; appendfsync always does not). A reservation ` +
      `Redis made after the client gave up (SIGSTOP: queued commands run on SIGCONT) is released by the call's ` +
      `settlement, or by a zero settlement when the call was refused; reserved after flush: ` +
      `${run.open.reservedAfterFlushMicros + run.closed.reservedAfterFlushMicros} µUSD. ` +
      `Unhandled rejections: ${run.unhandled.length}.`,
  };
}

async function runCase(fault: RedisFault, long: boolean): Promise<CaseResult> {
  const run = await runRedisFault({
    fault,
    sessions: long ? 6 : 3,
    concurrency: long ? 8 : 4,
    // The store's default: on a loaded machine (the suite runs next to other work) a tighter timeout makes a
    // Redis that answers late look away for good, and the spend recorded meanwhile would wait for it.
    commandTimeoutMs: 500,
    outageTimeouts: long ? 6 : 3,
    outages: long ? 3 : 1,
    phaseTurns: long ? 400 : 40,
  });
  const broken = redisFaultViolations(run);
  const { figure, detail } = describeRedisFault(run);
  return {
    survived: broken.length === 0,
    figure,
    detail: broken.length > 0 ? `BROKEN: ${broken.join('; ')}. ${detail}` : detail,
  };
}

/** Redis SIGKILLed mid-run and restarted on the same port from its AOF. */
export const redisSigkillCase: ReliabilityCase = {
  name: 'redis-sigkill',
  description:
    'redis-server SIGKILLed mid-run and restarted (AOF): fail_open sessions go on, fail_closed refuse, spend exact',
  run: ({ long }) => runCase('sigkill', long),
};

/** Redis paused with SIGSTOP past the command timeout, then SIGCONT. */
export const redisSigstopCase: ReliabilityCase = {
  name: 'redis-sigstop',
  description:
    'redis-server paused (SIGSTOP) past the command timeout, then resumed: policies hold, spend exact',
  run: ({ long }) => runCase('sigstop', long),
};

// Fleet-wide breaker, budget and rate limit across 8 OS processes on one real redis-server.
// Each process is packages/redis/src/test-helpers/fleet-worker.ts: a real AgentSession whose turns pass a
// SharedBudget and a RateLimiter (gates) and a shared CircuitBreaker, all on a RedisStateStore (ioredis in half the
// processes, node-redis in the other half), calling a simulated provider whose health this test sets over IPC.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CircuitBreaker, type CircuitStateChange } from '@agentrace/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStateStore } from '../packages/redis/src/redis-state-store.js';
import type {
  FleetWorkerConfig,
  FleetWorkerReport,
  TurnRecord,
} from '../packages/redis/src/test-helpers/fleet-worker.js';
import { type RedisServer, startRedisServer } from './helpers/redis-server.js';

const WORKER = fileURLToPath(new URL('../packages/redis/src/test-helpers/fleet-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROCESSES = 8;

/** Starts the worker processes, waits until each is ready, and lets them go together. */
async function startFleet(configs: FleetWorkerConfig[]) {
  const children: ChildProcess[] = [];
  const progress = new Map<number, number>();
  const watchers: { atLeast: number; resolve: () => void }[] = [];
  const total = () => [...progress.values()].reduce((a, b) => a + b, 0);
  const ready: Promise<void>[] = [];
  const reports: Promise<FleetWorkerReport>[] = [];
  for (const config of configs) {
    const child = fork(WORKER, [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    ready.push(
      new Promise((resolve) => child.on('message', (m: { type: string }) => m.type === 'ready' && resolve())),
    );
    reports.push(
      new Promise((resolve, reject) => {
        child.on(
          'message',
          (m: { type: string; report?: FleetWorkerReport; message?: string; done?: number }) => {
            if (m.type === 'done' && m.report) resolve(m.report);
            else if (m.type === 'error') reject(new Error(`worker ${config.worker}: ${m.message}`));
            else if (m.type === 'progress') {
              progress.set(config.worker, m.done ?? 0);
              for (const w of watchers.splice(0)) {
                if (total() >= w.atLeast) w.resolve();
                else watchers.push(w);
              }
            }
          },
        );
        child.once(
          'exit',
          (code) => code !== 0 && reject(new Error(`worker ${config.worker} exited with ${code}`)),
        );
      }),
    );
    child.send({ type: 'start', config });
  }
  await Promise.all(ready);
  for (const child of children) child.send({ type: 'go' });
  return {
    children,
    broadcast: (message: object) => {
      for (const child of children) if (child.connected) child.send(message);
    },
    /** Resolves once the fleet has run `atLeast` turns in all. */
    turnsDone: (atLeast: number) =>
      new Promise<void>((resolve) => (total() >= atLeast ? resolve() : watchers.push({ atLeast, resolve }))),
    total,
    reports: Promise.all(reports),
    kill: () => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

function config(
  worker: number,
  overrides: Partial<FleetWorkerConfig> & Pick<FleetWorkerConfig, 'port' | 'prefix'>,
) {
  return {
    worker,
    client: worker % 2 === 0 ? 'ioredis' : 'node-redis',
    turns: 500,
    policy: 'fail_open',
    budget: { name: 'fleet', limitUsd: 5.2, reservationTtlMs: 60_000 },
    breaker: { threshold: 5, recoveryTimeoutMs: 300, halfOpenMaxProbes: 2 },
    rate: { requests: 600, tokens: 1_000_000, windowMs: 1000, burstFraction: 0.1, localShare: 1 / PROCESSES },
    latency: { up: 1, down: 20 },
    // Generous: this run is about fleet-wide decisions, not outages (a loaded 2-core box can stall a process).
    commandTimeoutMs: 2000,
    seed: 1000 + worker,
    ...overrides,
  } satisfies FleetWorkerConfig as FleetWorkerConfig;
}

const num = (v: unknown) => Number(v ?? 0);

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.close();
});

describe('8 processes × 500 turns on one shared breaker, budget and rate limit', () => {
  let reports: FleetWorkerReport[];
  let log: { generation: number; from: string; to: string; reason: string; at: number }[];
  let consecutiveAtOpen: number;
  let downAt = 0;
  const prefix = 'fleet1';
  const limitMicros = 5_200_000;

  beforeAll(async () => {
    // An observer in this process, on the same store, drives the simulated outage from what the fleet decides.
    const store = new RedisStateStore({ client: { command: (args) => server.command(args) }, prefix });
    const observer = new CircuitBreaker({
      name: 'sim',
      store,
      failureThreshold: 5,
      recoveryTimeoutMs: 300,
      halfOpenMaxProbes: 2,
      syncIntervalMs: 25,
    });
    const seen: CircuitStateChange[] = [];
    const waiters: { test: () => boolean; resolve: () => void }[] = [];
    observer.onStateChange((c) => {
      seen.push(c);
      for (const w of waiters.splice(0)) (w.test() ? w.resolve : () => waiters.push(w))();
    });
    const fleet = await startFleet(
      Array.from({ length: PROCESSES }, (_, w) => config(w, { port: server.port, prefix })),
    );
    // Waits for the fleet's breaker to get somewhere; fails at once if the fleet finished (or died) first.
    const until = (test: () => boolean) =>
      Promise.race([
        new Promise<void>((resolve) => (test() ? resolve() : waiters.push({ test, resolve }))),
        fleet.reports.then(() => {
          throw new Error(`the fleet finished before the breaker got there; saw ${JSON.stringify(seen)}`);
        }),
      ]);
    try {
      await fleet.turnsDone(600);
      downAt = Date.now();
      fleet.broadcast({ type: 'mode', mode: 'down' });
      await until(() => seen.some((c) => c.to === 'open'));
      consecutiveAtOpen = num(await server.command(['HGET', `${prefix}:{cb:sim}`, 'cf']));
      // Let one half-open spell fail against the dead provider, then bring it back: slow at first, fast once the
      // fleet has closed the circuit again.
      await until(() => seen.filter((c) => c.to === 'half_open').length >= 2);
      fleet.broadcast({ type: 'mode', mode: 'recovering' });
      await until(() => seen.at(-1)?.to === 'closed');
      fleet.broadcast({ type: 'mode', mode: 'up' });
      reports = await fleet.reports;
    } finally {
      observer.close();
      fleet.kill();
    }
    const entries = (await server.command(['LRANGE', `${prefix}:{cb:sim}:log`, '0', '-1'])) as string[];
    log = entries.map((e) => {
      const [generation, from, to, reason, at] = e.split('|');
      return { generation: Number(generation), from: from!, to: to!, reason: reason!, at: Number(at) };
    });
  }, 60_000);

  const turns = () => reports.flatMap((r) => r.turns);
  const called = (t: TurnRecord) => t.startedAt > 0;

  it('every process ran its 500 turns, each ending as a decision it can name', () => {
    expect(reports).toHaveLength(PROCESSES);
    for (const r of reports) expect(r.turns).toHaveLength(500);
    const outcomes = new Set(turns().map((t) => t.outcome));
    for (const o of outcomes) expect(['ok', 'failed', 'open', 'budget']).toContain(o);
    expect(outcomes).toEqual(new Set(['ok', 'failed', 'open', 'budget']));
  });

  it('the breaker opened fleet-wide at exactly the threshold of consecutive failures', () => {
    expect(log[0]).toMatchObject({ from: 'closed', to: 'open', reason: 'failure_threshold' });
    expect(consecutiveAtOpen).toBe(5);
    const openedUnder = log[0]!.generation - 1;
    const failedClosed = turns().filter((t) => t.outcome === 'failed' && t.state === 'closed');
    expect(failedClosed.length).toBeGreaterThanOrEqual(5);
    expect(new Set(failedClosed.map((t) => t.generation))).toEqual(new Set([openedUnder]));
    // No call was admitted in closed state after the fleet opened the circuit, until a probe closed it. The
    // store's clock at its decision is what counts (a process may stall between that answer and the call).
    const closedAgain = log.find((e) => e.to === 'closed')!;
    const leaked = turns().filter((t) => {
      const at = t.admittedAt ?? t.startedAt;
      return called(t) && t.state === 'closed' && at > log[0]!.at && at < closedAgain.at;
    });
    expect(leaked).toEqual([]);
    expect(downAt).toBeLessThan(log[0]!.at + 1);
  });

  it('in every half-open spell exactly halfOpenMaxProbes probes ran, fleet-wide', () => {
    const spells = log.filter((e) => e.to === 'half_open').map((e) => e.generation);
    expect(spells.length).toBeGreaterThanOrEqual(2);
    const probes = turns().filter((t) => called(t) && t.state === 'half_open');
    const perSpell = new Map<number, number>();
    for (const p of probes) perSpell.set(p.generation!, (perSpell.get(p.generation!) ?? 0) + 1);
    expect([...perSpell.keys()].sort()).toEqual([...spells].sort());
    for (const g of spells) expect(perSpell.get(g), `spell ${g}`).toBe(2);
    // Other processes wanted to probe too and were turned away.
    expect(turns().filter((t) => t.rejectedIn === 'half_open').length).toBeGreaterThan(0);
    expect(log.at(-1)).toMatchObject({ from: 'half_open', to: 'closed', reason: 'probe_succeeded' });
  });

  it('every process reported every transition, marked shared, within one second', () => {
    const generations = log.map((e) => e.generation);
    for (const r of reports) {
      const mine = r.transitions.filter((t) => t.shared);
      expect(
        mine.map((t) => t.generation),
        `worker ${r.worker}`,
      ).toEqual(generations);
      for (const t of mine) expect(t.seenAt - (t.recordedAt as number)).toBeLessThan(1000);
    }
    // Each transition was made by exactly one process (origin local), and seen by the rest as remote.
    for (const g of generations) {
      const origins = reports.map((r) => r.transitions.find((t) => t.generation === g)?.origin);
      expect(origins.filter((o) => o === 'local').length, `generation ${g}`).toBeLessThanOrEqual(1);
    }
  });

  it('the budget total is exact to the micro-dollar, and the overshoot within the stated bound', async () => {
    const spent = num(await server.command(['HGET', `${prefix}:{budget:fleet}`, 'spent']));
    const reserved = num(await server.command(['HGET', `${prefix}:{budget:fleet}`, 'reserved']));
    const settled = turns().reduce((sum, t) => sum + t.costMicros, 0);
    expect(spent).toBe(settled);
    expect(reserved).toBe(0);
    // Reservations are 2000 µUSD; a call costs 1600–2400. With one call in flight per process, the budget can be
    // overshot by at most 8 under-estimates of 400 µUSD.
    expect(spent - limitMicros).toBeLessThanOrEqual(PROCESSES * 400);
    expect(spent).toBeGreaterThan(limitMicros - 2000 - PROCESSES * 2400);
    expect(turns().filter((t) => t.outcome === 'budget').length).toBeGreaterThan(0);
    expect(reports.every((r) => r.pendingSettlements === 0)).toBe(true);
  });

  it('no window of the rate limit admitted more than its allowance, and no call started early', () => {
    // Every admission, as the store scheduled it (its clock is this machine's wall clock).
    const schedule = reports.flatMap((r) => r.schedule).sort((a, b) => a - b);
    const limit = 600;
    const windowMs = 1000;
    const burst = 60;
    const rate = (limit - burst) / windowMs;
    let worstWindow = 0;
    for (let i = 0, j = 0; i < schedule.length; i++) {
      while (j < schedule.length && schedule[j]! < schedule[i]! + windowMs) j++;
      worstWindow = Math.max(worstWindow, j - i);
    }
    expect(worstWindow).toBeLessThanOrEqual(limit);
    // The token bucket's own bound: any k consecutive admissions span at least (k − burst) / rate ms.
    let worstExcess = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < schedule.length; i++) {
      for (let k = i; k < Math.min(schedule.length, i + 2 * burst); k++) {
        worstExcess = Math.max(worstExcess, k - i + 1 - (burst + rate * (schedule[k]! - schedule[i]!)));
      }
    }
    expect(worstExcess).toBeLessThanOrEqual(1e-6);
    // The limit did bind: over the run the fleet was held near the sustained rate.
    const span = (schedule.at(-1)! - schedule[0]!) / 1000;
    expect(schedule.length / span).toBeGreaterThan(rate * 1000 * 0.5);
    expect(schedule.length / span).toBeLessThanOrEqual(rate * 1000 + burst / span);
    // And no provider call started before its scheduled time (Date.now() is whole ms).
    const ran = turns().filter((t) => called(t) && t.scheduledAt !== undefined);
    expect(ran.length).toBe(turns().filter(called).length);
    for (const t of ran) expect(t.startedAt).toBeGreaterThanOrEqual(Math.floor(t.scheduledAt!));
    // Nothing here was decided on local fallback state.
    expect(reports.map((r) => r.storeFailures)).toEqual(reports.map(() => 0));
  });
});

describe('Redis stopped mid-run and restarted', () => {
  it('fail-open agents keep working, fail-closed agents refuse while it is away, and every total adds up', async () => {
    const prefix = 'fleet2';
    const configs = Array.from({ length: PROCESSES }, (_, w) =>
      config(w, {
        port: server.port,
        prefix,
        turns: 250,
        policy: w < PROCESSES / 2 ? 'fail_open' : 'fail_closed',
        commandTimeoutMs: 250,
        budget: { name: w < PROCESSES / 2 ? 'open' : 'closed', limitUsd: 1000, reservationTtlMs: 1000 },
      }),
    );
    const fleet = await startFleet(configs);
    let reports: FleetWorkerReport[];
    try {
      await fleet.turnsDone(400);
      await server.stop({ save: true });
      const before = fleet.total();
      // The fail-open half carries on while Redis is away.
      await fleet.turnsDone(before + 160);
      await server.start();
      reports = await fleet.reports;
    } finally {
      fleet.kill();
    }
    const open = reports.filter((r) => r.worker < PROCESSES / 2);
    const closed = reports.filter((r) => r.worker >= PROCESSES / 2);
    for (const r of open)
      expect(
        r.turns.every((t) => t.outcome === 'ok'),
        `worker ${r.worker}`,
      ).toBe(true);
    const refused = closed.flatMap((r) => r.turns).filter((t) => t.outcome === 'unavailable').length;
    expect(refused).toBeGreaterThan(0);
    for (const r of closed) {
      for (const t of r.turns) expect(['ok', 'unavailable']).toContain(t.outcome);
    }
    for (const r of reports) expect(r.pendingSettlements, `worker ${r.worker}`).toBe(0);

    // Spend recorded while Redis was away was written back when it returned: the totals are exact.
    const store = new RedisStateStore({ client: { command: (args) => server.command(args) }, prefix });
    for (const [name, group] of [
      ['open', open],
      ['closed', closed],
    ] as const) {
      const settled = group.flatMap((r) => r.turns).reduce((sum, t) => sum + t.costMicros, 0);
      const totals = await store.budgetTotals(name);
      expect(totals.spentMicros, name).toBe(settled);
      // A reservation whose answer was lost in the shutdown frees itself after reservationTtlMs.
      const retention = { ttlMs: 60_000, dedupeWindowMs: 60_000 };
      let reserved = totals.reservedMicros;
      for (let i = 0; i < 60 && reserved > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        reserved = (await store.settleBudget({ key: name, settlements: [], ...retention })).reservedMicros;
      }
      expect(reserved, name).toBe(0);
    }
  }, 60_000);
});

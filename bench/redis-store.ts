// Per-decision cost of the Redis state store against the in-memory store, and round trips per turn, in one run.
// Ratios, not assertions.
//
//   node --import tsx redis-store.ts      (from bench/, after `pnpm run build`; needs `redis-server` on PATH;
//                                           BENCH_TIME_MS sets the time per task, default 1000)
//
// It starts its own redis-server on a free loopback port (test/helpers/redis-server.ts), so the Redis figures are
// one loopback round trip plus the script; across a network add your RTT per round trip. Every decision is one
// EVALSHA (one round trip); a turn through a shared breaker, a shared budget and a rate limit makes the number of
// round trips printed below.
import { createRequire } from 'node:module';
import os from 'node:os';
import {
  AgentSession,
  type BreakerRequest,
  CircuitBreaker,
  InMemoryStateStore,
  RateLimiter,
  SharedBudget,
  type StateStore,
} from '@agentrace/core';
import { PriceTable } from '@agentrace/pricing';
import { Bench } from 'tinybench';
import {
  type IoRedisLikeClient,
  type NodeRedisLikeClient,
  RedisStateStore,
} from '../packages/redis/src/index.js';
import { startRedisServer } from '../test/helpers/redis-server.js';
import { ratio, table } from './report.js';

const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 1000);

// The Redis clients are dev dependencies of @agentrace/redis; resolve them from there (typed as far as used here).
const fromRedisPackage = createRequire(new URL('../packages/redis/package.json', import.meta.url));
const { Redis } = fromRedisPackage('ioredis') as {
  Redis: new (
    options: Record<string, unknown>,
  ) => IoRedisLikeClient & { connect(): Promise<void>; disconnect(): void };
};
const { createClient } = fromRedisPackage('redis') as {
  createClient: (options: Record<string, unknown>) => NodeRedisLikeClient & {
    on(event: 'error', listener: () => void): unknown;
    connect(): Promise<unknown>;
    close(): Promise<void>;
  };
};

const server = await startRedisServer();
const io = new Redis({ host: server.host, port: server.port, enableOfflineQueue: false, lazyConnect: true });
const node = createClient({ url: server.url, disableOfflineQueue: true });
node.on('error', () => undefined);
await Promise.all([io.connect(), node.connect()]);

const stores: Record<string, StateStore> = {
  memory: new InMemoryStateStore(),
  'redis (ioredis)': new RedisStateStore({ client: io, prefix: 'bench-io' }),
  'redis (node-redis)': new RedisStateStore({ client: node, prefix: 'bench-node' }),
};

const breakerRequest = (leaseId: string): BreakerRequest => ({
  name: 'bench',
  config: {
    recoveryTimeoutMs: 60_000,
    halfOpenMaxProbes: 1,
    probeLeaseMs: 30_000,
    ttlMs: 86_400_000,
    strategy: { kind: 'consecutive', threshold: 5 },
  },
  command: { type: 'admit', leaseId },
  since: 0,
  actor: 'bench',
});
const retention = { ttlMs: 86_400_000, dedupeWindowMs: 86_400_000 };
const bucket = { key: 'm:requests', ratePerMs: 1e9, burst: 1e12, cost: 1 };

const pricing = new PriceTable().register('sim-model', { inputPerMillion: 1, outputPerMillion: 2 });
/** A turn through a shared breaker, a shared budget and a rate limit on `store` (or none of them). */
function turnRunner(store: StateStore | undefined) {
  const agent = new AgentSession({
    role: 'bench',
    phase: 'bench',
    provider: 'sim',
    model: 'sim-model',
    pricing,
    maxIterations: Number.MAX_SAFE_INTEGER,
    ...(store && {
      circuitBreaker: new CircuitBreaker({ name: 'bench-turn', store, syncIntervalMs: 60_000 }),
      gates: [
        new SharedBudget({ name: 'bench', limitUsd: 1e9, store }),
        new RateLimiter({ name: 'bench', store, rules: [{ provider: 'sim', requests: 1e9, tokens: 1e12 }] }),
      ],
    }),
  });
  const session = agent.open();
  const options = {
    expectedUsage: { inputTokens: 1000, outputTokens: 500 },
    usage: { inputTokens: 1000, outputTokens: 480 },
  };
  return () => session.runTurn(() => 'answer', options);
}

const bench = new Bench({ time: TIME_MS, warmupTime: Math.min(300, TIME_MS / 3) });
let n = 0;
for (const [label, store] of Object.entries(stores)) {
  bench.add(`breaker admit · ${label}`, async () => {
    await store.breaker(breakerRequest(`l${n++}`));
  });
  bench.add(`budget reserve + settle · ${label}`, async () => {
    const id = `r${n++}`;
    await store.reserveBudget({
      key: 'bench',
      id,
      amountMicros: 2000,
      limitMicros: Number.MAX_SAFE_INTEGER,
      enforce: true,
      reservationTtlMs: 60_000,
      ...retention,
    });
    await store.settleBudget({
      key: 'bench',
      settlements: [{ id, reserved: true, reservedMicros: 2000, actualMicros: 1960 }],
      ...retention,
    });
  });
  bench.add(`rate acquire · ${label}`, async () => {
    await store.acquireRate({ group: 'bench', buckets: [bucket], maxWaitMs: 0 });
  });
  bench.add(`turn · ${label}`, turnRunner(store));
}
bench.add('turn · no shared state (local breaker, no gates)', turnRunner(undefined));

// Round trips per turn, counted by the Redis store itself.
const redis = stores['redis (ioredis)'] as RedisStateStore;
const runTurn = turnRunner(redis);
await runTurn(); // loads the scripts
const before = redis.roundTrips;
const TURNS = 200;
for (let i = 0; i < TURNS; i++) await runTurn();
const perTurn = (redis.roundTrips - before) / TURNS;

await bench.run();

const mean = (name: string) => {
  const r = bench.tasks.find((t) => t.name === name)?.result as { latency?: { mean: number; p99?: number } };
  if (!r?.latency) throw new Error(`${name}: no result`);
  return r.latency;
};
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
const rows: string[][] = [];
for (const decision of ['breaker admit', 'budget reserve + settle', 'rate acquire', 'turn']) {
  const memory = mean(`${decision} · memory`);
  for (const label of Object.keys(stores)) {
    const m = mean(`${decision} · ${label}`);
    rows.push([decision, label, us(m.mean), us(m.p99 ?? Number.NaN), ratio(m.mean, memory.mean)]);
  }
}
const plain = mean('turn · no shared state (local breaker, no gates)');
rows.push([
  'turn',
  'no shared state (local breaker, no gates)',
  us(plain.mean),
  us(plain.p99 ?? Number.NaN),
  ratio(plain.mean, mean('turn · memory').mean),
]);

console.log(
  `redis-server ${server.port} on loopback · node ${process.version} · ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · ${TIME_MS} ms per task\n`,
);
console.log(table(['decision', 'store', 'mean', 'p99', 'vs memory'], rows));
console.log(
  `\nRound trips per turn (shared breaker admit + settle, budget reserve + settle, rate acquire + token adjust): ${perTurn.toFixed(2)}`,
);

io.disconnect();
await node.close();
await server.close();

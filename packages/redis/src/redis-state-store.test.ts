import { CircuitBreaker, StateStoreUnavailableError } from '@agentrace/core';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../../../test/helpers/redis-server.js';
import { describeStateStoreContract } from '../../../test/helpers/state-store-contract.js';
import { validationFieldOf } from '../../../test/helpers/validation.js';
import { toCommandClient } from './redis-client.js';
import { RedisStateStore } from './redis-state-store.js';
import { BREAKER_SCRIPT, SCRIPTS } from './scripts.js';

let server: RedisServer;
let io: Redis;
let node: ReturnType<typeof createClient>;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  io = new Redis({ host: server.host, port: server.port, enableOfflineQueue: false, lazyConnect: true });
  admin = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  node = createClient({ url: server.url, disableOfflineQueue: true });
  node.on('error', () => undefined);
  io.on('error', () => undefined);
  admin.on('error', () => undefined);
  await Promise.all([io.connect(), admin.connect(), node.connect()]);
});

afterAll(async () => {
  io?.disconnect();
  admin?.disconnect();
  await node?.close().catch(() => undefined);
  await server?.close();
});

let prefixes = 0;
const prefix = () => `t${process.pid}x${++prefixes}`;

describeStateStoreContract(
  'RedisStateStore (ioredis)',
  (clock) => new RedisStateStore({ client: io, clock, prefix: prefix() }),
);
describeStateStoreContract(
  'RedisStateStore (node-redis)',
  (clock) => new RedisStateStore({ client: node, clock, prefix: prefix() }),
);

const config = {
  recoveryTimeoutMs: 1000,
  halfOpenMaxProbes: 1,
  probeLeaseMs: 5000,
  ttlMs: 60_000,
  strategy: { kind: 'consecutive' as const, threshold: 1 },
};

describe('RedisStateStore on a real redis-server', () => {
  it('judges time by the server clock unless given one', async () => {
    const store = new RedisStateStore({ client: io, prefix: prefix() });
    const before = Date.now();
    const r = await store.breaker({ name: 'b', config, command: { type: 'read' }, since: -1, actor: 'a' });
    // The test and the server share one machine, so one wall clock.
    expect(r.now).toBeGreaterThanOrEqual(before - 5);
    expect(r.now).toBeLessThanOrEqual(Date.now() + 5);
  });

  it('namespaces every key under its prefix with a hash tag, and every key has a TTL', async () => {
    const p = prefix();
    const store = new RedisStateStore({ client: io, prefix: p });
    await store.breaker({
      name: 'openai',
      config,
      command: { type: 'record', outcome: 'failure' },
      since: 0,
      actor: 'a',
    });
    await store.breaker({
      name: 'openai',
      config,
      command: { type: 'admit', leaseId: 'l' },
      since: 0,
      actor: 'a',
    });
    await store.reserveBudget({
      key: 'tenant:2026-11-28',
      id: 'r1',
      amountMicros: 5,
      limitMicros: 100,
      enforce: true,
      reservationTtlMs: 1000,
      ttlMs: 3_600_000,
      dedupeWindowMs: 1000,
    });
    await store.settleBudget({
      key: 'tenant:2026-11-28',
      settlements: [{ id: 'u', reserved: false, reservedMicros: 0, actualMicros: 1 }],
      ttlMs: 3_600_000,
      dedupeWindowMs: 1000,
    });
    await store.acquireRate({
      group: 'limits:openai',
      buckets: [{ key: 'gpt-4o:requests:60000:500', ratePerMs: 0.0075, burst: 50, cost: 1 }],
      maxWaitMs: 0,
    });
    const keys = (await admin.keys(`${p}:*`)).sort();
    expect(keys).toEqual([
      `${p}:{budget:tenant:2026-11-28}`,
      `${p}:{budget:tenant:2026-11-28}:done`,
      `${p}:{budget:tenant:2026-11-28}:res`,
      `${p}:{cb:openai}`,
      `${p}:{cb:openai}:log`,
      `${p}:{rl:limits:openai}:gpt-4o:requests:60000:500`,
    ]);
    for (const key of keys) {
      const ttl = await admin.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
    }
    expect(await admin.pttl(`${p}:{cb:openai}`)).toBeLessThanOrEqual(60_000);
    expect(await admin.pttl(`${p}:{budget:tenant:2026-11-28}`)).toBeGreaterThan(3_500_000);
    // The bucket lives only until it would be full again: 1 token at 0.0075/ms, plus a second.
    expect(await admin.pttl(`${p}:{rl:limits:openai}:gpt-4o:requests:60000:500`)).toBeLessThanOrEqual(1134);
  });

  it('keeps a budget without expiry when ttlMs is 0', async () => {
    const p = prefix();
    const store = new RedisStateStore({ client: io, prefix: p });
    await store.settleBudget({
      key: 'forever',
      settlements: [{ id: 'u', reserved: false, reservedMicros: 0, actualMicros: 1 }],
      ttlMs: 0,
      dedupeWindowMs: 1000,
    });
    expect(await admin.pttl(`${p}:{budget:forever}`)).toBe(-1);
    expect(await store.budgetTotals('forever')).toEqual({ spentMicros: 1, reservedMicros: 0 });
  });

  it('loads its scripts on first use and again after the script cache is flushed, one extra round trip each', async () => {
    const store = new RedisStateStore({ client: io, prefix: prefix() });
    await admin.script('FLUSH');
    const read = () => store.breaker({ name: 'b', config, command: { type: 'read' }, since: -1, actor: 'a' });
    await read();
    expect(store.roundTrips).toBe(2); // EVALSHA → NOSCRIPT, then EVAL
    await read();
    expect(store.roundTrips).toBe(3);
    const [cached] = (await admin.script('EXISTS', BREAKER_SCRIPT.sha)) as number[];
    expect(cached).toBe(1);
    expect(new Set(SCRIPTS.map((s) => s.sha)).size).toBe(SCRIPTS.length);
  });

  it('times out a slow Redis, fails fast for the retry interval, then tries again', async () => {
    let now = 0;
    const store = new RedisStateStore({
      client: io,
      prefix: prefix(),
      commandTimeoutMs: 50,
      retryIntervalMs: 1000,
      monotonicClock: () => now,
    });
    const read = () => store.breaker({ name: 'b', config, command: { type: 'read' }, since: -1, actor: 'a' });
    await read();
    await admin.call('CLIENT', 'PAUSE', '300', 'ALL');
    const err = await read().catch((e: unknown) => e);
    expect(StateStoreUnavailableError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ reason: 'timeout', store: 'redis', operation: 'breaker' });
    const trips = store.roundTrips;
    const fast = await read().catch((e: unknown) => e);
    expect(fast).toMatchObject({ reason: 'offline' });
    expect(store.roundTrips).toBe(trips); // nothing was sent
    await admin.call('CLIENT', 'UNPAUSE');
    now += 1000;
    expect((await read()).state).toBe('closed');
  });

  it('reports an error reply as unavailable (reason error), with the reply as the cause', async () => {
    const p = prefix();
    const store = new RedisStateStore({ client: node, prefix: p });
    await admin.set(`${p}:{budget:clash}`, 'not a hash');
    const err = await store.budgetTotals('clash').catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'error', operation: 'budget_totals' });
    expect(String((err as Error).cause)).toMatch(/WRONGTYPE/);
  });

  it('drives a shared breaker on server time', async () => {
    const store = new RedisStateStore({ client: io, prefix: prefix() });
    const b = new CircuitBreaker({ name: 'svc', failureThreshold: 1, store, syncIntervalMs: 60_000 });
    try {
      await b.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
      expect(b.state()).toBe('open');
      expect(b.toJSON()).toMatchObject({ state: 'open', shared: { store: 'redis', degraded: false } });
    } finally {
      b.close();
    }
  });
});

describe('RedisStateStore while Redis is down and back', () => {
  it('fails at once while the client is disconnected, and works again after a restart', async () => {
    const own = await startRedisServer();
    const ioc = new Redis({
      host: own.host,
      port: own.port,
      enableOfflineQueue: false,
      retryStrategy: () => 20,
    });
    const nodec = createClient({
      url: own.url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: () => 20 },
    });
    ioc.on('error', () => undefined);
    nodec.on('error', () => undefined);
    await Promise.all([nodec.connect(), new Promise<void>((resolve) => ioc.once('ready', () => resolve()))]);
    try {
      let now = 0;
      const stores = [ioc, nodec].map(
        (client) =>
          new RedisStateStore({ client, prefix: 'down', retryIntervalMs: 100, monotonicClock: () => now }),
      );
      const read = (s: RedisStateStore) =>
        s.breaker({ name: 'b', config, command: { type: 'read' }, since: -1, actor: 'a' });
      for (const s of stores) expect((await read(s)).state).toBe('closed');
      await own.stop();
      for (const s of stores) {
        const started = performance.now();
        const err = await read(s).catch((e: unknown) => e);
        expect(err).toMatchObject({ reason: 'offline' });
        expect(performance.now() - started).toBeLessThan(400);
      }
      await own.start();
      now += 100;
      // Reconnection is the clients'; wait for it the way an application would, by asking again.
      for (const s of stores) {
        let state: string | undefined;
        for (let i = 0; i < 200 && state === undefined; i++) {
          now += 100;
          state = await read(s).then(
            (r) => r.state,
            () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 25)),
          );
        }
        expect(state).toBe('closed');
      }
    } finally {
      ioc.disconnect();
      await nodec.close().catch(() => undefined);
      await own.close();
    }
  });
});

describe('options', () => {
  const field = validationFieldOf;

  const fake = { command: async (): Promise<unknown> => 1 };
  it.each([
    [{ client: {} }, 'client'],
    [{ client: null }, 'client'],
    [{ client: fake, prefix: '' }, 'prefix'],
    [{ client: fake, commandTimeoutMs: 0 }, 'commandTimeoutMs'],
    [{ client: fake, retryIntervalMs: Number.NaN }, 'retryIntervalMs'],
    [{ client: fake, failurePolicy: 'maybe' }, 'failurePolicy'],
    [{ client: fake, clock: 1 }, 'clock'],
    [{ client: fake, monotonicClock: 'x' }, 'monotonicClock'],
  ] as [object, string][])('%o is refused, naming %s', (options, name) => {
    expect(field(() => new RedisStateStore(options as never))).toBe(name);
  });

  it('accepts any client with command(args), and recognises ioredis and node-redis first', async () => {
    const sent: string[][] = [];
    const custom = toCommandClient({ command: async (args: string[]) => sent.push(args) });
    await custom.command(['PING']);
    expect(sent).toEqual([['PING']]);
    expect(await toCommandClient(io).command(['PING'])).toBe('PONG');
    expect(await toCommandClient(node).command(['PING'])).toBe('PONG');
    expect(new RedisStateStore({ client: io }).failurePolicy).toBe('fail_open');
    expect(new RedisStateStore({ client: io, failurePolicy: 'fail_closed' }).failurePolicy).toBe(
      'fail_closed',
    );
  });
});

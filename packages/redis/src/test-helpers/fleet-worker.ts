// One "agent process" of the fleet tests (test/redis-fleet.test.ts): a real AgentSession whose turns pass a
// shared budget and rate limit (gates) and a shared circuit breaker, all on one RedisStateStore, calling a
// simulated provider (this is the only simulated part: its health is set by the parent over IPC).
// Run with `node --import tsx fleet-worker.ts`; driven entirely by IPC messages.

import {
  AgentSession,
  CircuitBreaker,
  type CircuitCallContext,
  CircuitOpenError,
  type CircuitStateChange,
  RateLimitExceededError,
  RateLimiter,
  SharedBudget,
  SharedBudgetExceededError,
  StateStoreUnavailableError,
  type StoreFailurePolicy,
  toMicroUsd,
} from '@agentrace/core';
import { PriceTable } from '@agentrace/pricing';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RedisStateStore } from '../redis-state-store.js';

/** What the parent tells a worker to do. */
export interface FleetWorkerConfig {
  readonly worker: number;
  readonly port: number;
  readonly prefix: string;
  readonly client: 'ioredis' | 'node-redis';
  readonly turns: number;
  /**
   * Turns the worker keeps in flight (default 1). Above 1 the per-turn breaker and rate-limit facts
   * (`scheduledAt`, `admittedAt`, `state`, `generation`) are not recorded: one process-wide slot cannot tell
   * concurrent turns apart.
   */
  readonly concurrency?: number;
  readonly policy: StoreFailurePolicy;
  readonly budget: { name: string; limitUsd: number; reservationTtlMs: number };
  readonly breaker: { threshold: number; recoveryTimeoutMs: number; halfOpenMaxProbes: number };
  readonly rate: {
    requests: number;
    tokens: number;
    windowMs: number;
    burstFraction: number;
    localShare: number;
  };
  /** The store's command timeout (ms). */
  readonly commandTimeoutMs: number;
  /** Provider latency (ms) when up / when down or recovering. */
  readonly latency: { up: number; down: number };
  readonly seed: number;
}

/** One turn as the worker saw it. Outcome: ok, failed (provider), open, budget, rate, unavailable, other. */
export interface TurnRecord {
  /** Wall-clock ms when the provider was called (0 when it was not). */
  readonly startedAt: number;
  /** When the rate limit scheduled the call (store clock = wall clock, ms; absent when not admitted by the store). */
  readonly scheduledAt?: number;
  /** The store's clock when it admitted the call through the breaker (absent when the store did not decide). */
  readonly admittedAt?: number;
  readonly state?: CircuitCallContext['state'];
  readonly generation?: number;
  /** For a rejection by the breaker: the state it was in. */
  readonly rejectedIn?: string;
  readonly outcome: string;
  /** The turn's actual cost, as settled with the budget (µUSD). */
  readonly costMicros: number;
}

/** A transition as this worker's breaker reported it. */
export interface SeenTransition {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  readonly shared: boolean;
  readonly origin?: string;
  readonly generation?: number;
  readonly recordedAt?: number;
  readonly seenAt: number;
}

/** The worker's report. */
export interface FleetWorkerReport {
  readonly worker: number;
  readonly turns: TurnRecord[];
  readonly transitions: SeenTransition[];
  /** Every admission the shared rate limit made for this worker: its scheduled time (ms), in order. */
  readonly schedule: number[];
  readonly pendingSettlements: number;
  readonly roundTrips: number;
  /** Store commands that failed (timed out, offline, error). */
  readonly storeFailures: number;
}

/** The price the simulated model is billed at: 1 µUSD per input token, 2 per output token. */
const pricing = new PriceTable().register('sim-model', { inputPerMillion: 1, outputPerMillion: 2 });

/** `down`: the provider fails after `latency.down`; `recovering`: it answers, as slowly; `up`: fast. */
let mode: 'up' | 'down' | 'recovering' = 'up';
let started: (() => void) | undefined;
const go = new Promise<void>((resolve) => {
  started = () => resolve();
});

// The breaker's call context and the rate limit's schedule of the call in progress (one turn at a time).
let current: CircuitCallContext | undefined;
let scheduled: number | undefined;
let admittedAt: number | undefined;
const schedule: number[] = [];

/** Records when the store scheduled each admitted call. */
class RecordingStore extends RedisStateStore {
  override async acquireRate(request: Parameters<RedisStateStore['acquireRate']>[0]) {
    const reply = await super.acquireRate(request);
    if (reply.admitted) {
      const at: number = reply.at + reply.waitMs;
      scheduled = at;
      schedule.push(at);
    }
    return reply;
  }
  // The store's clock at the breaker's decision: a process stalled between that answer and the provider call (a
  // loaded CI box) must not look like a call admitted after the fleet opened the circuit.
  override async breaker(request: Parameters<RedisStateStore['breaker']>[0]) {
    const reply = await super.breaker(request);
    if (request.command.type === 'admit' && reply.admitted) admittedAt = reply.now;
    return reply;
  }
}
class ObservedBreaker extends CircuitBreaker {
  override execute<T>(
    fn: (signal: AbortSignal, call: CircuitCallContext) => T | PromiseLike<T>,
    options?: { signal?: AbortSignal },
  ): Promise<T> {
    return super.execute((signal, call) => {
      current = call;
      return fn(signal, call);
    }, options);
  }
}

async function run(config: FleetWorkerConfig): Promise<FleetWorkerReport> {
  const client =
    config.client === 'ioredis'
      ? new Redis({
          host: '127.0.0.1',
          port: config.port,
          enableOfflineQueue: false,
          autoResendUnfulfilledCommands: false,
          maxRetriesPerRequest: 1,
          retryStrategy: () => 50,
        })
      : createClient({
          url: `redis://127.0.0.1:${config.port}`,
          disableOfflineQueue: true,
          socket: { reconnectStrategy: () => 50 },
        });
  client.on('error', () => undefined);
  if (client instanceof Redis) await new Promise((resolve) => client.once('ready', resolve));
  else await client.connect();

  const store = new RecordingStore({
    client,
    prefix: config.prefix,
    commandTimeoutMs: config.commandTimeoutMs,
    retryIntervalMs: 100,
    failurePolicy: config.policy,
  });
  const breaker = new ObservedBreaker({
    name: 'sim',
    store,
    failureThreshold: config.breaker.threshold,
    recoveryTimeoutMs: config.breaker.recoveryTimeoutMs,
    halfOpenMaxProbes: config.breaker.halfOpenMaxProbes,
    probeLeaseMs: 5000,
    syncIntervalMs: 250,
  });
  const transitions: SeenTransition[] = [];
  breaker.onStateChange((c: CircuitStateChange) =>
    transitions.push({
      from: c.from,
      to: c.to,
      reason: c.reason,
      shared: c.shared === true,
      ...(c.origin !== undefined && { origin: c.origin }),
      ...(c.generation !== undefined && { generation: c.generation }),
      ...(c.recordedAt !== undefined && { recordedAt: c.recordedAt }),
      seenAt: Date.now(),
    }),
  );
  const budget = new SharedBudget({
    name: config.budget.name,
    limitUsd: config.budget.limitUsd,
    store,
    reservationTtlMs: config.budget.reservationTtlMs,
    retryIntervalMs: 100,
  });
  const limiter = new RateLimiter({
    name: 'fleet',
    store,
    maxWaitMs: 5000,
    localShare: config.rate.localShare,
    rules: [
      {
        provider: 'sim',
        model: 'sim-model',
        requests: config.rate.requests,
        tokens: config.rate.tokens,
        windowMs: config.rate.windowMs,
        burstFraction: config.rate.burstFraction,
      },
    ],
  });
  const agent = new AgentSession({
    role: `agent-${config.worker}`,
    phase: 'fleet',
    provider: 'sim',
    model: 'sim-model',
    pricing,
    circuitBreaker: breaker,
    gates: [budget, limiter],
    maxIterations: config.turns,
  });

  let seed = config.seed;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const turns: TurnRecord[] = [];
  process.send?.({ type: 'ready' });
  await go;

  const concurrency = config.concurrency ?? 1;
  let next = 0;
  await agent.run(async (session) => {
    const lane = async () => {
      for (let i = next++; i < config.turns; i = next++) {
        const seen: {
          startedAt: number;
          call?: CircuitCallContext;
          scheduledAt?: number;
          admittedAt?: number;
        } = {
          startedAt: 0,
        };
        scheduled = undefined;
        admittedAt = undefined;
        let outcome = 'ok';
        let rejectedIn: string | undefined;
        let costMicros = 0;
        current = undefined;
        try {
          const result = await session.runTurn(
            async () => {
              seen.startedAt = Date.now();
              if (concurrency === 1) {
                if (current) seen.call = current;
                if (scheduled !== undefined) seen.scheduledAt = scheduled;
                if (admittedAt !== undefined) seen.admittedAt = admittedAt;
              }
              const down = mode === 'down';
              const slow = mode !== 'up';
              await new Promise((resolve) =>
                setTimeout(resolve, slow ? config.latency.down : config.latency.up),
              );
              if (down)
                throw Object.assign(new Error('simulated provider: service unavailable'), { status: 503 });
              return 'answer';
            },
            {
              expectedUsage: { inputTokens: 1000, outputTokens: 500 },
              // Up to 40% more or less output than expected: reservations are sometimes under-estimates.
              estimateUsage: () => ({ inputTokens: 1000, outputTokens: 300 + Math.floor(random() * 401) }),
            },
          );
          costMicros = toMicroUsd(result.costUsd);
        } catch (err) {
          if (CircuitOpenError.isInstance(err)) {
            outcome = 'open';
            rejectedIn = err.state;
          } else if (SharedBudgetExceededError.isInstance(err)) outcome = 'budget';
          else if (RateLimitExceededError.isInstance(err)) outcome = 'rate';
          else if (StateStoreUnavailableError.isInstance(err)) outcome = 'unavailable';
          else if (seen.startedAt > 0) outcome = 'failed';
          else outcome = `other:${(err as Error).name}`;
        }
        turns.push({
          startedAt: seen.startedAt,
          ...(seen.scheduledAt !== undefined && { scheduledAt: seen.scheduledAt }),
          ...(seen.admittedAt !== undefined && { admittedAt: seen.admittedAt }),
          ...(seen.call && { state: seen.call.state }),
          ...(seen.call?.generation !== undefined && { generation: seen.call.generation }),
          ...(rejectedIn !== undefined && { rejectedIn }),
          outcome,
          costMicros,
        });
        if (turns.length % 20 === 0)
          process.send?.({ type: 'progress', worker: config.worker, done: turns.length });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
  });

  // Write whatever was recorded while Redis was away before reporting.
  for (let i = 0; i < 100 && budget.pendingSettlements > 0; i++) {
    await budget.flush();
    if (budget.pendingSettlements > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await breaker.sync();
  breaker.close();
  budget.close();
  if (client instanceof Redis) client.disconnect();
  else await client.close();
  return {
    worker: config.worker,
    turns,
    transitions,
    schedule,
    pendingSettlements: budget.pendingSettlements,
    roundTrips: store.roundTrips,
    storeFailures: store.failures,
  };
}

process.on('message', (message: { type: string; config?: FleetWorkerConfig; mode?: typeof mode }) => {
  if (message.type === 'start' && message.config) {
    run(message.config).then(
      (report) => process.send?.({ type: 'done', report }, () => process.exit(0)),
      (err: unknown) => {
        process.send?.({ type: 'error', message: err instanceof Error ? err.stack : String(err) }, () =>
          process.exit(1),
        );
      },
    );
  } else if (message.type === 'go') started?.();
  else if (message.type === 'mode' && message.mode) mode = message.mode;
});

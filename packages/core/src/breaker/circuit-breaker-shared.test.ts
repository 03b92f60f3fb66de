import { diag } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FlakyStore } from '../../../../test/helpers/flaky-store.js';
import { createTestTelemetry, type TestTelemetry } from '../../../../test/helpers/otel.js';
import { manualClock } from '../../../../test/helpers/state-store-contract.js';
import { validationFieldOf } from '../../../../test/helpers/validation.js';
import { AgentSession } from '../session/agent-session.js';
import { InMemoryStateStore } from '../state/in-memory-state-store.js';
import { StateStoreUnavailableError } from '../state/state-store.js';
import type { BreakerStrategy } from './breaker-strategy.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { CircuitBreakerOptions, CircuitCallContext } from './circuit-breaker-options.js';
import type { CircuitRejection, CircuitStateChange } from './circuit-events.js';
import { CircuitOpenError } from './circuit-open-error.js';

let otel: TestTelemetry;
const made: CircuitBreaker[] = [];
beforeEach(() => {
  otel = createTestTelemetry();
});
afterEach(async () => {
  for (const b of made.splice(0)) b.close();
  vi.useRealTimers();
  vi.restoreAllMocks();
  await otel.shutdown();
});

/** A fleet of breakers named `llm` over one store, on one manual clock. */
function fleet(options: Partial<CircuitBreakerOptions> = {}, policy?: 'fail_open' | 'fail_closed') {
  const time = manualClock();
  const store = new FlakyStore(new InMemoryStateStore({ clock: time.now }), policy);
  const join = (extra: Partial<CircuitBreakerOptions> = {}) => {
    const breaker = new CircuitBreaker({
      name: 'llm',
      failureThreshold: 2,
      recoveryTimeoutMs: 1000,
      clock: time.now,
      store,
      syncIntervalMs: 3_600_000,
      meterProvider: otel.meterProvider,
      ...options,
      ...extra,
    });
    made.push(breaker);
    const changes: CircuitStateChange[] = [];
    const rejections: CircuitRejection[] = [];
    breaker.onStateChange((c) => changes.push(c));
    breaker.onRejected((r) => rejections.push(r));
    return { breaker, changes, rejections };
  };
  return { time, store, join };
}

const boom = new Error('boom');
const failing = () => Promise.reject(boom);
const swallow = (p: Promise<unknown>) => p.catch((e: unknown) => e);

describe('a breaker with a store', () => {
  it('is shared, and reports the fleet state it finds on first contact as a store_sync change', async () => {
    const { join } = fleet();
    const first = join();
    expect(first.breaker.shared).toBe(true);
    await swallow(first.breaker.execute(failing));
    await swallow(first.breaker.execute(failing));
    expect(first.breaker.state()).toBe('open');
    const late = join();
    expect(late.breaker.state()).toBe('closed'); // nothing heard yet
    await late.breaker.sync();
    expect(late.breaker.state()).toBe('open');
    expect(late.changes).toEqual([
      expect.objectContaining({
        from: 'closed',
        to: 'open',
        reason: 'store_sync',
        shared: true,
        origin: 'remote',
      }),
    ]);
  });

  it('rejects with the fleet retry time and reports the rejection', async () => {
    const { join, time } = fleet();
    const a = join();
    const b = join();
    await swallow(a.breaker.execute(failing));
    await swallow(a.breaker.execute(failing));
    time.advance(300);
    const work = vi.fn();
    const err = await swallow(b.breaker.execute(work));
    expect(work).not.toHaveBeenCalled();
    expect(CircuitOpenError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ state: 'open', retryAfterMs: 700, breakerName: 'llm' });
    expect(b.rejections).toEqual([{ name: 'llm', state: 'open', retryAfterMs: 700, at: time.now() }]);
  });

  it('tells a probe its generation, shared by the probes of one half-open spell', async () => {
    const { join, time } = fleet({ halfOpenMaxProbes: 2 });
    const a = join();
    await swallow(a.breaker.execute(failing));
    await swallow(a.breaker.execute(failing));
    time.advance(1000);
    const seen: CircuitCallContext[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const probe = (b: CircuitBreaker) =>
      b.execute(async (_s, call) => {
        seen.push(call);
        await held;
      });
    const p1 = probe(a.breaker);
    const p2 = probe(join().breaker);
    const third = await swallow(join().breaker.execute(() => 'x'));
    expect(third).toMatchObject({ state: 'half_open', retryAfterMs: 0 });
    release();
    await Promise.all([p1, p2]);
    expect(seen.map((c) => c.state)).toEqual(['half_open', 'half_open']);
    expect(seen[0]!.generation).toBe(seen[1]!.generation);
    expect(a.breaker.state()).toBe('closed');
  });

  it('a probe slower than its lease keeps its slot: it renews the lease while it runs', async () => {
    vi.useFakeTimers();
    const { time, join, store } = fleet({ failureThreshold: 1, probeLeaseMs: 300 });
    const a = join();
    const b = join();
    await swallow(a.breaker.execute(failing));
    time.advance(1000);
    let release!: () => void;
    const probe = a.breaker.execute(() => new Promise<void>((r) => (release = r)));
    await vi.advanceTimersByTimeAsync(0);
    // Three leases' worth of time on the store's clock, with the renewal timer firing along.
    for (let i = 0; i < 9; i++) {
      time.advance(100);
      await vi.advanceTimersByTimeAsync(100);
    }
    const second = await swallow(b.breaker.execute(() => 'second'));
    expect(CircuitOpenError.isInstance(second) && second.state).toBe('half_open');
    release();
    await probe;
    expect(a.breaker.state()).toBe('closed');
    // The renewals stop with the probe: its slot (and the spell) are over, and nothing else is renewed.
    const renewals = vi.spyOn(store, 'breaker');
    await vi.advanceTimersByTimeAsync(1000);
    expect(renewals.mock.calls.filter(([r]) => r.command.type === 'renew')).toHaveLength(0);
    expect(await b.breaker.execute(() => 'after')).toBe('after');
  });

  it('notices transitions made elsewhere on its own, every syncIntervalMs', async () => {
    vi.useFakeTimers();
    const { join } = fleet({ syncIntervalMs: 200 });
    const a = join();
    const b = join();
    await vi.advanceTimersByTimeAsync(0);
    await swallow(a.breaker.execute(failing));
    await swallow(a.breaker.execute(failing));
    expect(b.breaker.state()).toBe('closed');
    await vi.advanceTimersByTimeAsync(200);
    expect(b.breaker.state()).toBe('open');
    expect(b.changes.map((c) => `${c.from}>${c.to}:${c.origin}`)).toEqual(['closed>open:remote']);
    b.breaker.close();
    b.breaker.close();
  });

  it('wakes when the recovery timeout is due, so half-open is seen without a call', async () => {
    vi.useFakeTimers();
    const time = manualClock();
    const store = new InMemoryStateStore({ clock: () => time.now() });
    const b = new CircuitBreaker({
      name: 'wake',
      failureThreshold: 1,
      recoveryTimeoutMs: 5000,
      store,
      syncIntervalMs: 3_600_000,
    });
    made.push(b);
    await swallow(b.execute(failing));
    expect(b.state()).toBe('open');
    time.advance(5000);
    await vi.advanceTimersByTimeAsync(5001);
    expect(b.state()).toBe('half_open');
  });

  it('reset and manual records are fleet-wide once the store answers', async () => {
    const { join } = fleet();
    const a = join();
    const b = join();
    a.breaker.recordFailure(boom);
    a.breaker.recordFailure(boom);
    await a.breaker.sync();
    expect(a.breaker.state()).toBe('open');
    expect(a.changes[0]).toMatchObject({ to: 'open', origin: 'local', lastError: boom });
    b.breaker.reset();
    await b.breaker.sync();
    await a.breaker.sync();
    expect([a.breaker.state(), b.breaker.state()]).toEqual(['closed', 'closed']);
    a.breaker.recordFailure();
    b.breaker.recordSuccess();
    await a.breaker.sync();
    await b.breaker.sync();
    expect(a.breaker.toJSON()).toMatchObject({ strategy: { kind: 'consecutive', consecutive_failures: 0 } });
  });

  it('snapshots the fleet state with store times', async () => {
    const { join, time } = fleet({ halfOpenMaxProbes: 3 });
    const a = join();
    await a.breaker.sync();
    expect(a.breaker.toJSON()).toEqual({
      name: 'llm',
      recovery_timeout_ms: 1000,
      half_open_max_probes: 3,
      strategy: { kind: 'consecutive', threshold: 2, consecutive_failures: 0 },
      shared: { store: 'flaky', generation: 0, degraded: false },
      state: 'closed',
    });
    await swallow(a.breaker.execute(failing));
    await swallow(a.breaker.execute(failing));
    const openedAt = time.now();
    time.advance(250);
    expect(a.breaker.toJSON()).toMatchObject({
      state: 'open',
      opened_at: openedAt,
      last_failure_at: openedAt,
      retry_after_ms: 750,
    });
    time.advance(750);
    let release!: () => void;
    const probe = a.breaker.execute(() => new Promise<void>((r) => (release = r)));
    await vi.waitFor(() => expect(a.breaker.state()).toBe('half_open'));
    expect(a.breaker.toJSON()).toMatchObject({
      state: 'half_open',
      half_opened_at: time.now(),
      in_flight: 1,
    });
    release();
    await probe;
  });

  it('snapshots a shared failure-rate strategy with its window counts', async () => {
    const { FailureRateStrategy } = await import('./breaker-strategy.js');
    const { join } = fleet({
      failureThreshold: undefined,
      strategy: new FailureRateStrategy({ threshold: 0.5, windowMs: 1000, minimumCalls: 10, buckets: 5 }),
    });
    const a = join();
    await a.breaker.execute(() => 'ok');
    await swallow(a.breaker.execute(failing));
    expect(a.breaker.toJSON().strategy).toEqual({
      kind: 'failure_rate',
      threshold: 0.5,
      window_ms: 1000,
      minimum_calls: 10,
      buckets: 5,
      calls: 2,
      failures: 1,
    });
  });

  it('replays transitions it missed in order, and adopts the state when the store no longer has them', async () => {
    const { join } = fleet({ failureThreshold: 1 });
    const a = join();
    const b = join();
    await b.breaker.sync();
    for (let i = 0; i < 3; i++) {
      a.breaker.recordFailure();
      a.breaker.reset();
    }
    await a.breaker.sync();
    await b.breaker.sync();
    expect(b.changes.map((c) => `${c.to}:${c.reason}`)).toEqual([
      'open:failure_threshold',
      'closed:reset',
      'open:failure_threshold',
      'closed:reset',
      'open:failure_threshold',
      'closed:reset',
    ]);
    expect(new Set(b.changes.map((c) => c.generation)).size).toBe(6);
    // More transitions than the store keeps, ending open: one store_sync to open.
    for (let i = 0; i < 20; i++) {
      a.breaker.recordFailure();
      a.breaker.reset();
    }
    a.breaker.recordFailure();
    await a.breaker.sync();
    b.changes.length = 0;
    await b.breaker.sync();
    expect(b.changes.length).toBe(32);
    expect(b.breaker.state()).toBe('open');
  });

  it('does not run a call cancelled while the store decided, and gives its probe slot back', async () => {
    const { join, store, time } = fleet({ halfOpenMaxProbes: 1 });
    const a = join();
    await swallow(a.breaker.execute(failing));
    await swallow(a.breaker.execute(failing));
    time.advance(1000);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    store.gate = () => held;
    const controller = new AbortController();
    const work = vi.fn();
    const cancelled = swallow(a.breaker.execute(work, { signal: controller.signal }));
    controller.abort(new Error('user left'));
    store.gate = undefined;
    release();
    expect(await cancelled).toMatchObject({ message: 'user left' });
    expect(work).not.toHaveBeenCalled();
    await a.breaker.execute(() => 'probe'); // the slot was free again
    expect(a.breaker.state()).toBe('closed');
  });

  it('ignores an answer older than one already seen', async () => {
    const { join, store } = fleet({ failureThreshold: 1 });
    const a = join();
    const b = join();
    await b.breaker.sync();
    // b's read is held while a opens the circuit; b then hears the open first and the stale read last.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    store.gate = () => held;
    const staleRead = b.breaker.sync();
    store.gate = undefined;
    a.breaker.recordFailure();
    await a.breaker.sync();
    await swallow(b.breaker.execute(() => 'x'));
    expect(b.breaker.state()).toBe('open');
    release();
    await staleRead;
    expect(b.breaker.state()).toBe('open');
    expect(b.changes.map((c) => c.to)).toEqual(['open']);
  });
});

describe('a shared breaker in a session', () => {
  it('gives the session span events and metrics for transitions another process made', async () => {
    const { join } = fleet();
    const mine = join();
    const theirs = join();
    const agent = new AgentSession({
      role: 'r',
      phase: 'p',
      provider: 'sim',
      circuitBreaker: mine.breaker,
      tracerProvider: otel.tracerProvider,
      meterProvider: otel.meterProvider,
    });
    await agent.run(async (session) => {
      await mine.breaker.sync();
      theirs.breaker.recordFailure();
      theirs.breaker.recordFailure();
      await theirs.breaker.sync();
      await mine.breaker.sync();
      const err = await swallow(session.runTurn(() => 'never'));
      expect(err).toMatchObject({ name: 'CircuitOpenError' });
    });
    const agentSpan = otel.span('invoke_agent r');
    const opened = agentSpan.events.find((e) => e.name === 'agent.circuit.opened');
    expect(opened?.attributes).toMatchObject({
      'agentrace.circuit_breaker.name': 'llm',
      'agentrace.circuit_breaker.from_state': 'closed',
      'agentrace.circuit_breaker.state': 'open',
      'agentrace.circuit_breaker.shared': true,
      'agentrace.circuit_breaker.origin': 'remote',
    });
    const transitions = await otel.metric('agentrace.circuit_breaker.transitions');
    expect(transitions?.points).toEqual([
      expect.objectContaining({
        value: 1,
        attributes: expect.objectContaining({
          'agentrace.circuit_breaker.state': 'open',
          'agentrace.circuit_breaker.origin': 'remote',
        }),
      }),
    ]);
  });
});

describe('a shared breaker when its store is unavailable', () => {
  it('fail open: warns once, counts each decision, and carries on with the local machine from the last view', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    const info = vi.spyOn(diag, 'info').mockImplementation(() => undefined);
    const { join, store, time } = fleet();
    const a = join();
    await swallow(a.breaker.execute(failing));
    await swallow(a.breaker.execute(failing));
    expect(a.breaker.state()).toBe('open');
    store.down = true;
    time.advance(400);
    // The fleet was open: the local fallback stays open for the rest of the recovery timeout.
    const rejected = await swallow(a.breaker.execute(() => 'x'));
    expect(rejected).toMatchObject({ state: 'open', retryAfterMs: 600 });
    await swallow(a.breaker.execute(() => 'x'));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/unavailable for circuit_breaker "llm".*local state/);
    expect(a.breaker.toJSON()).toMatchObject({ state: 'open', shared: { degraded: true } });
    const metric = await otel.metric('agentrace.state_store.unavailable');
    expect(metric?.points).toEqual([
      {
        attributes: {
          'agentrace.state_store.consumer': 'circuit_breaker',
          'agentrace.state_store.policy': 'fail_open',
          'agentrace.state_store.kind': 'flaky',
        },
        value: 2,
      },
    ]);
    // Local decisions are reported, not as shared.
    time.advance(600);
    expect(a.breaker.state()).toBe('half_open');
    await a.breaker.execute(() => 'ok');
    expect(a.breaker.state()).toBe('closed');
    expect(a.changes.slice(-2).map((c) => [c.to, c.shared])).toEqual([
      ['half_open', undefined],
      ['closed', undefined],
    ]);
    // Back: the fleet's state (still open, timed out meanwhile → half-open) is adopted with a store_sync.
    store.down = false;
    await a.breaker.sync();
    expect(info).toHaveBeenCalledTimes(1);
    expect(a.breaker.state()).toBe('half_open');
    expect(a.changes.at(-1)).toMatchObject({
      from: 'closed',
      to: 'half_open',
      reason: 'store_sync',
      shared: true,
    });
  });

  it('fail open: outcomes and manual records made while the store is away count locally', async () => {
    vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    const { join, store } = fleet();
    const a = join();
    await a.breaker.sync();
    let release!: () => void;
    const running = a.breaker.execute(
      () => new Promise<never>((_, reject) => (release = () => reject(boom))),
    );
    await vi.waitFor(() => expect(release).toBeTypeOf('function'));
    store.down = true;
    release();
    await swallow(running); // the settle failed: counted on the local machine
    a.breaker.recordFailure(boom); // local: the second consecutive failure opens the local circuit
    await a.breaker.sync();
    expect(a.breaker.state()).toBe('open');
    a.breaker.reset();
    await a.breaker.sync();
    expect(a.breaker.state()).toBe('closed');
    a.breaker.recordSuccess();
    await a.breaker.sync();
    expect(a.changes.map((c) => `${c.to}:${c.reason}:${c.shared ?? false}`)).toEqual([
      'open:failure_threshold:false',
      'closed:reset:false',
    ]);
  });

  it('fail closed: rejects with StateStoreUnavailableError without calling the work', async () => {
    vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    const { join, store } = fleet({}, 'fail_closed');
    const a = join();
    store.down = true;
    const work = vi.fn();
    const err = await swallow(a.breaker.execute(work));
    expect(StateStoreUnavailableError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({ store: 'flaky', reason: 'offline' });
    expect(work).not.toHaveBeenCalled();
    // Manual records and resets are dropped (nothing to decide on), and nothing throws.
    a.breaker.recordFailure();
    a.breaker.reset();
    await a.breaker.sync();
    expect(a.breaker.state()).toBe('closed');
  });

  it('treats a store that throws something unexpected as unavailable', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    const { join, store } = fleet({ onStoreUnavailable: 'fail_closed' });
    const a = join();
    store.error = new TypeError('driver bug');
    const err = await swallow(a.breaker.execute(() => 'x'));
    expect(err).toMatchObject({ name: 'StateStoreUnavailableError', reason: 'error' });
    expect((err as Error).cause).toBe(store.error);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});

describe('shared breaker options', () => {
  const field = validationFieldOf;
  const store = new InMemoryStateStore();
  const custom: BreakerStrategy = { onSuccess() {}, onFailure: () => false, reset() {} };

  it.each([
    [{ store: {} }, 'store'],
    [{ store, strategy: custom }, 'strategy'],
    [{ store, onStoreUnavailable: 'sometimes' }, 'onStoreUnavailable'],
    [{ store, probeLeaseMs: 0 }, 'probeLeaseMs'],
    [{ store, syncIntervalMs: -1 }, 'syncIntervalMs'],
    [{ store, stateTtlMs: Number.POSITIVE_INFINITY }, 'stateTtlMs'],
  ])('%o is refused, naming %s', (extra, name) => {
    expect(field(() => new CircuitBreaker({ name: 'x', ...(extra as object) }))).toBe(name);
  });

  it('a local breaker has nothing to sync or close', async () => {
    const b = new CircuitBreaker({ name: 'local' });
    expect(b.shared).toBe(false);
    await b.sync();
    b.close();
    expect(b.toJSON()).not.toHaveProperty('shared');
  });

  it('defaults the key TTL to a day, or more for long timeouts', async () => {
    const seen: number[] = [];
    const spy = new InMemoryStateStore();
    const original = spy.breaker.bind(spy);
    spy.breaker = (r) => {
      seen.push(r.config.ttlMs);
      return original(r);
    };
    const a = new CircuitBreaker({ name: 'a', store: spy, recoveryTimeoutMs: 1000 });
    const b = new CircuitBreaker({ name: 'b', store: spy, recoveryTimeoutMs: 3 * 24 * 3600 * 1000 });
    made.push(a, b);
    await a.sync();
    await b.sync();
    expect(seen).toContain(24 * 3600 * 1000);
    expect(seen).toContain(6 * 24 * 3600 * 1000);
  });
});

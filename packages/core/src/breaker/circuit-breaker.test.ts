import { AgentraceError, ValidationError } from '@agentrace/pricing';
import { diag } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadVector } from '../../../../test/helpers/vectors.js';
import { CircuitState } from '../state/circuit-state.js';
import { ConsecutiveFailureStrategy, FailureRateStrategy } from './breaker-strategy.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { CircuitBreakerOptions, CircuitCallContext } from './circuit-breaker-options.js';
import type { CircuitRejection, CircuitStateChange } from './circuit-events.js';
import { CircuitOpenError } from './circuit-open-error.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function fakeClock(start = 0) {
  let now = start;
  return {
    clock: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A breaker on a fake clock, collecting its state changes and rejections. */
function setup(options: Partial<CircuitBreakerOptions> = {}) {
  const time = fakeClock(1000);
  const breaker = new CircuitBreaker({ name: 'llm', clock: time.clock, ...options });
  const changes: CircuitStateChange[] = [];
  const rejections: CircuitRejection[] = [];
  breaker.onStateChange((c) => changes.push(c));
  breaker.onRejected((r) => rejections.push(r));
  return { breaker, time, changes, rejections };
}

const boom = new Error('boom');
const fail = (): never => {
  throw boom;
};
const failAsync = async (): Promise<never> => {
  throw boom;
};

/** The outcome of one call, in the vectors' words. */
async function outcome(promise: Promise<unknown>): Promise<'ok' | 'error' | 'rejected' | unknown> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    if (CircuitOpenError.isInstance(err)) return 'rejected';
    if (err === boom) return 'error';
    return err;
  }
}

function validationField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (ValidationError.isInstance(err)) return err.field;
    throw err;
  }
  return undefined;
}

interface VectorStep {
  op: ['fail'] | ['ok'] | ['reset'] | ['tick', number];
  result?: 'ok' | 'error' | 'rejected';
  state: CircuitState;
}
interface VectorCase {
  failure_threshold: number;
  half_open_max_probes: number;
  recovery_timeout_seconds: number;
  trace: VectorStep[];
}

describe('reference vectors (circuit_breaker.json)', () => {
  const cases = (loadVector('circuit_breaker') as { cases: VectorCase[] }).cases;

  it('has cases to replay', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i replays exactly', async (index, c) => {
    const time = fakeClock();
    const breaker = new CircuitBreaker({
      name: `vector-${index}`,
      failureThreshold: c.failure_threshold,
      recoveryTimeoutMs: c.recovery_timeout_seconds * 1000,
      halfOpenMaxProbes: c.half_open_max_probes,
      clock: time.clock,
    });
    // Alternate sync and async work across cases: both must behave the same.
    const failing = index % 2 === 0 ? fail : failAsync;
    const succeeding = index % 2 === 0 ? () => 'value' : async () => 'value';
    for (const [stepIndex, step] of c.trace.entries()) {
      let result: unknown;
      const [op, arg] = step.op;
      if (op === 'fail') result = await outcome(breaker.execute(failing));
      else if (op === 'ok') {
        result = await outcome(
          breaker.execute(succeeding).then((v) => {
            expect(v).toBe('value');
          }),
        );
      } else if (op === 'tick') time.advance((arg as number) * 1000);
      else breaker.reset();
      const state = breaker.state();
      expect({ stepIndex, result, state }).toEqual({ stepIndex, result: step.result, state: step.state });
      expect(breaker.isOpen()).toBe(step.state === CircuitState.OPEN);
    }
  });
});

describe('CircuitBreaker state machine', () => {
  it('uses the documented defaults: 5 failures, 60 s, 1 probe', async () => {
    const { breaker, time } = setup();
    expect(breaker.recoveryTimeoutMs).toBe(60_000);
    expect(breaker.halfOpenMaxProbes).toBe(1);
    expect(breaker.strategy).toBeInstanceOf(ConsecutiveFailureStrategy);
    for (let i = 0; i < 4; i++) await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('closed');
    await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('open');
    time.advance(59_999);
    expect(breaker.state()).toBe('open');
    time.advance(1);
    expect(breaker.state()).toBe('half_open');
  });

  it('defaults to the monotonic performance.now() clock', async () => {
    const now = vi.spyOn(performance, 'now').mockReturnValue(5000);
    const breaker = new CircuitBreaker({ name: 'llm', failureThreshold: 1, recoveryTimeoutMs: 100 });
    await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('open');
    now.mockReturnValue(5100);
    expect(breaker.state()).toBe('half_open');
  });

  it('counts from the last failure: a failure reported while open restarts the timer', async () => {
    const { breaker, time } = setup({ failureThreshold: 1, recoveryTimeoutMs: 1000 });
    await outcome(breaker.execute(fail));
    time.advance(600);
    breaker.recordFailure();
    time.advance(600);
    expect(breaker.state()).toBe('open');
    time.advance(400);
    expect(breaker.state()).toBe('half_open');
  });

  it('a probe success closes and forgets earlier failures', async () => {
    const { breaker, time } = setup({ failureThreshold: 2, recoveryTimeoutMs: 1000 });
    await outcome(breaker.execute(fail));
    await outcome(breaker.execute(fail));
    time.advance(1000);
    await expect(breaker.execute(() => 42)).resolves.toBe(42);
    expect(breaker.state()).toBe('closed');
    await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('closed');
  });

  it('a probe failure re-opens and restarts the timer', async () => {
    const { breaker, time } = setup({ failureThreshold: 1, recoveryTimeoutMs: 1000 });
    await outcome(breaker.execute(fail));
    time.advance(5000);
    expect(await outcome(breaker.execute(failAsync))).toBe('error');
    expect(breaker.state()).toBe('open');
    time.advance(999);
    expect(breaker.state()).toBe('open');
    time.advance(1);
    expect(breaker.state()).toBe('half_open');
  });

  it('with recoveryTimeoutMs 0 it is half-open as soon as it is looked at', async () => {
    const { breaker, changes } = setup({ failureThreshold: 1, recoveryTimeoutMs: 0 });
    await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('half_open');
    expect(changes.map((c) => c.to)).toEqual(['open', 'half_open']);
  });

  it('reset() closes from any state and forgets counts', async () => {
    const { breaker, time, changes } = setup({ failureThreshold: 2, recoveryTimeoutMs: 1000 });
    await outcome(breaker.execute(fail));
    breaker.reset();
    await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('closed');
    expect(changes).toEqual([]);
    await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('open');
    breaker.reset();
    expect(breaker.state()).toBe('closed');
    await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('closed');
    expect(changes.at(-1)).toMatchObject({ from: 'open', to: 'closed', reason: 'reset' });
    await outcome(breaker.execute(fail));
    time.advance(1000);
    expect(breaker.state()).toBe('half_open');
    breaker.reset();
    expect(breaker.state()).toBe('closed');
    expect(changes.at(-1)).toMatchObject({ from: 'half_open', to: 'closed', reason: 'reset' });
  });
});

describe('CircuitOpenError', () => {
  it('carries the breaker name, the state and the time until a probe (open)', async () => {
    const { breaker, time } = setup({ name: 'openai', failureThreshold: 1, recoveryTimeoutMs: 30_000 });
    await outcome(breaker.execute(fail));
    time.advance(10_000);
    const fn = vi.fn();
    const err = await breaker.execute(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(err).toBeInstanceOf(AgentraceError);
    expect(CircuitOpenError.isInstance(err)).toBe(true);
    expect(AgentraceError.isInstance(err)).toBe(true);
    expect(CircuitOpenError.isInstance(new Error('x'))).toBe(false);
    const e = err as CircuitOpenError;
    expect(e.name).toBe('CircuitOpenError');
    expect(e.breakerName).toBe('openai');
    expect(e.state).toBe('open');
    expect(e.retryAfterMs).toBe(20_000);
    expect(e.message).toBe('circuit breaker "openai" is open; calls are rejected for another 20000 ms');
  });

  it('says half_open with retryAfterMs 0 when the probe slots are taken', async () => {
    const { breaker, time } = setup({ name: 'search', failureThreshold: 1, recoveryTimeoutMs: 10 });
    await outcome(breaker.execute(fail));
    time.advance(10);
    const probe = deferred<string>();
    const running = breaker.execute(() => probe.promise);
    const err = await breaker.execute(() => 'x').catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'CircuitOpenError',
      breakerName: 'search',
      state: 'half_open',
      retryAfterMs: 0,
    });
    expect((err as Error).message).toContain('"search" is half-open');
    probe.resolve('done');
    await expect(running).resolves.toBe('done');
  });

  it('is thrown as a rejection, never synchronously', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    await outcome(breaker.execute(fail));
    let promise: Promise<unknown> | undefined;
    expect(() => {
      promise = breaker.execute(() => 1);
    }).not.toThrow();
    await expect(promise).rejects.toBeInstanceOf(CircuitOpenError);
  });
});

describe('work functions', () => {
  it('accepts sync work and turns a sync throw into a rejection', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    await expect(breaker.execute(() => 'sync')).resolves.toBe('sync');
    let promise: Promise<unknown> | undefined;
    expect(() => {
      promise = breaker.execute(fail);
    }).not.toThrow();
    await expect(promise).rejects.toBe(boom);
    expect(breaker.state()).toBe('open');
  });

  it('rethrows non-Error throwables unchanged', async () => {
    const { breaker } = setup();
    await expect(
      breaker.execute(() => {
        throw 'a string';
      }),
    ).rejects.toBe('a string');
  });

  it('passes a signal and a context telling whether the call is a probe', async () => {
    const { breaker, time } = setup({ failureThreshold: 1, recoveryTimeoutMs: 5 });
    const contexts: CircuitCallContext[] = [];
    const signals: AbortSignal[] = [];
    const record = (signal: AbortSignal, call: CircuitCallContext) => {
      signals.push(signal);
      contexts.push(call);
      throw boom;
    };
    await outcome(breaker.execute(record));
    time.advance(5);
    await outcome(breaker.execute(record));
    expect(contexts).toEqual([
      { breakerName: 'llm', state: 'closed' },
      { breakerName: 'llm', state: 'half_open' },
    ]);
    expect(signals.every((s) => s instanceof AbortSignal && !s.aborted)).toBe(true);
  });
});

describe('error filter (isFailure)', () => {
  class BadRequest extends Error {}
  const isFailure = (err: unknown) => !(err instanceof BadRequest);

  it('rethrows a filtered error but counts it neither as failure nor as success', async () => {
    const { breaker } = setup({ failureThreshold: 2, isFailure });
    const bad = new BadRequest('400');
    await outcome(breaker.execute(fail));
    await expect(
      breaker.execute(() => {
        throw bad;
      }),
    ).rejects.toBe(bad);
    // Not a success either: the earlier failure still counts.
    await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('open');
  });

  it('frees the probe slot and keeps the circuit half-open', async () => {
    const { breaker, time } = setup({ failureThreshold: 1, recoveryTimeoutMs: 10, isFailure });
    await outcome(breaker.execute(fail));
    time.advance(10);
    await expect(
      breaker.execute(() => {
        throw new BadRequest('400');
      }),
    ).rejects.toBeInstanceOf(BadRequest);
    expect(breaker.state()).toBe('half_open');
    await expect(breaker.execute(() => 'probe')).resolves.toBe('probe');
    expect(breaker.state()).toBe('closed');
  });

  it('counts a failure when the filter itself throws, and reports it through diag', async () => {
    const warn = vi.spyOn(diag, 'warn');
    const { breaker } = setup({
      failureThreshold: 1,
      isFailure: () => {
        throw new Error('filter bug');
      },
    });
    await expect(breaker.execute(fail)).rejects.toBe(boom);
    expect(breaker.state()).toBe('open');
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('isFailure'), expect.any(Error));
  });
});

describe('failure-rate strategy', () => {
  it('opens on the failure ratio once minimumCalls is reached', async () => {
    const { breaker, changes } = setup({
      strategy: new FailureRateStrategy({ threshold: 0.5, windowMs: 10_000, minimumCalls: 4 }),
      recoveryTimeoutMs: 1000,
    });
    await breaker.execute(() => 1);
    await outcome(breaker.execute(fail));
    await breaker.execute(() => 1);
    expect(breaker.state()).toBe('closed'); // 1 of 3 calls, below minimumCalls
    await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('open'); // 2 of 4
    expect(changes).toEqual([
      expect.objectContaining({ from: 'closed', to: 'open', reason: 'failure_threshold', lastError: boom }),
    ]);
  });

  it('forgets calls that left the window', async () => {
    const { breaker, time } = setup({
      strategy: new FailureRateStrategy({ threshold: 0.5, windowMs: 10_000, minimumCalls: 3 }),
    });
    await outcome(breaker.execute(fail));
    await outcome(breaker.execute(fail));
    time.advance(10_000);
    await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('closed'); // the first two failures were forgotten
    await outcome(breaker.execute(fail));
    await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('open');
  });

  it('starts from an empty window after a probe closes the circuit', async () => {
    const strategy = new FailureRateStrategy({ threshold: 0.5, windowMs: 60_000, minimumCalls: 2 });
    const { breaker, time } = setup({ strategy, recoveryTimeoutMs: 100 });
    await outcome(breaker.execute(fail));
    await outcome(breaker.execute(fail));
    time.advance(100);
    await breaker.execute(() => 'probe');
    expect(strategy.stats(time.clock())).toEqual({ calls: 0, failures: 0 });
    await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('closed');
  });
});

describe('listeners', () => {
  it('reports every transition with its payload', async () => {
    const { breaker, time, changes } = setup({ name: 'openai', failureThreshold: 1, recoveryTimeoutMs: 100 });
    await outcome(breaker.execute(fail)); // t=1000
    time.advance(100);
    expect(breaker.state()).toBe('half_open'); // t=1100
    const second = new Error('still down');
    await outcome(
      breaker.execute(() => {
        throw second;
      }),
    );
    time.advance(150);
    await breaker.execute(() => 'ok'); // t=1250
    expect(changes).toEqual([
      { name: 'openai', from: 'closed', to: 'open', at: 1000, reason: 'failure_threshold', lastError: boom },
      { name: 'openai', from: 'open', to: 'half_open', at: 1100, reason: 'recovery_timeout' },
      { name: 'openai', from: 'half_open', to: 'open', at: 1100, reason: 'probe_failed', lastError: second },
      { name: 'openai', from: 'open', to: 'half_open', at: 1250, reason: 'recovery_timeout' },
      { name: 'openai', from: 'half_open', to: 'closed', at: 1250, reason: 'probe_succeeded' },
    ]);
  });

  it('emits the lazy open → half_open transition exactly once, whoever notices it', async () => {
    const { breaker, time, changes } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    await outcome(breaker.execute(fail));
    time.advance(100);
    expect(breaker.isOpen()).toBe(false);
    expect(breaker.state()).toBe('half_open');
    expect(breaker.toJSON().state).toBe('half_open');
    time.advance(1000);
    expect(breaker.state()).toBe('half_open');
    expect(changes.filter((c) => c.to === 'half_open')).toHaveLength(1);
  });

  it('emits the lazy transition when execute() is the first to notice it', async () => {
    const { breaker, time, changes } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    await outcome(breaker.execute(fail));
    time.advance(100);
    const seen: CircuitState[] = [];
    await breaker.execute(() => {
      seen.push(...changes.map((c) => c.to));
    });
    expect(seen).toEqual(['open', 'half_open']);
    expect(changes.map((c) => c.to)).toEqual(['open', 'half_open', 'closed']);
  });

  it('reports rejected calls', async () => {
    const { breaker, time, rejections } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    await outcome(breaker.execute(fail));
    time.advance(40);
    await outcome(breaker.execute(() => 1));
    time.advance(60);
    const probe = deferred<void>();
    const running = breaker.execute(() => probe.promise);
    await outcome(breaker.execute(() => 1));
    probe.resolve();
    await running;
    expect(rejections).toEqual([
      { name: 'llm', state: 'open', retryAfterMs: 60, at: 1040 },
      { name: 'llm', state: 'half_open', retryAfterMs: 0, at: 1100 },
    ]);
  });

  it('isolates a throwing listener: the call and the other listeners carry on', async () => {
    const warn = vi.spyOn(diag, 'warn');
    const { breaker, changes } = setup({ failureThreshold: 1 });
    breaker.onStateChange(() => {
      throw new Error('listener bug');
    });
    const after: CircuitState[] = [];
    breaker.onStateChange((c) => after.push(c.to));
    await expect(breaker.execute(fail)).rejects.toBe(boom);
    expect(breaker.state()).toBe('open');
    expect(changes).toHaveLength(1);
    expect(after).toEqual(['open']);
    expect(warn).toHaveBeenCalled();
  });

  it('stops calling a disposed listener', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    const listener = vi.fn();
    breaker.onStateChange(listener).dispose();
    await outcome(breaker.execute(fail));
    expect(listener).not.toHaveBeenCalled();
  });

  it('lets a listener use the breaker while a transition is reported', async () => {
    const time = fakeClock();
    const breaker = new CircuitBreaker({
      name: 'llm',
      failureThreshold: 1,
      recoveryTimeoutMs: 10,
      clock: time.clock,
    });
    const seen: CircuitState[] = [];
    breaker.onStateChange(() => seen.push(breaker.state()));
    await outcome(breaker.execute(fail));
    time.advance(10);
    expect(breaker.state()).toBe('half_open');
    expect(seen).toEqual(['open', 'half_open']);
  });
});

describe('half-open concurrency', () => {
  it('admits at most halfOpenMaxProbes calls in flight (2 of 5 run)', async () => {
    const { breaker, time } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100, halfOpenMaxProbes: 2 });
    await outcome(breaker.execute(fail));
    time.advance(100);
    const gates = Array.from({ length: 5 }, () => deferred<string>());
    const fn = vi.fn((_signal: AbortSignal, _call: CircuitCallContext) => '');
    const calls = gates.map((gate, i) =>
      breaker.execute((signal, call) => {
        fn(signal, call);
        return gate.promise.then(() => `probe ${i}`);
      }),
    );
    expect(fn).toHaveBeenCalledTimes(2);
    const rejected = await Promise.all(calls.slice(2).map((c) => c.catch((e: unknown) => e)));
    expect(rejected.every((e) => CircuitOpenError.isInstance(e) && e.state === 'half_open')).toBe(true);
    expect(breaker.toJSON()).toMatchObject({ state: 'half_open', in_flight: 2 });
    gates[0]?.resolve('');
    await expect(calls[0]).resolves.toBe('probe 0');
    expect(breaker.state()).toBe('closed');
    // The second probe's late failure belongs to the superseded half-open state: not counted.
    gates[1]?.reject(boom);
    await expect(calls[1]).rejects.toBe(boom);
    expect(breaker.state()).toBe('closed');
  });

  it('keeps the circuit open when a second probe succeeds after the first one failed', async () => {
    const { breaker, time, changes } = setup({
      failureThreshold: 1,
      recoveryTimeoutMs: 100,
      halfOpenMaxProbes: 2,
    });
    await outcome(breaker.execute(fail));
    time.advance(100);
    const a = deferred<string>();
    const b = deferred<string>();
    const first = breaker.execute(() => a.promise);
    const second = breaker.execute(() => b.promise);
    a.reject(boom);
    await expect(first).rejects.toBe(boom);
    b.resolve('late');
    await expect(second).resolves.toBe('late');
    expect(breaker.state()).toBe('open');
    expect(changes.map((c) => c.reason)).toEqual(['failure_threshold', 'recovery_timeout', 'probe_failed']);
  });

  it('frees a slot when a probe settles without deciding, so the next call can probe', async () => {
    const { breaker, time } = setup({
      failureThreshold: 1,
      recoveryTimeoutMs: 100,
      isFailure: (e) => e === boom,
    });
    await outcome(breaker.execute(fail));
    time.advance(100);
    await outcome(
      breaker.execute(() => {
        throw new TypeError('ignored');
      }),
    );
    expect(breaker.toJSON()).toMatchObject({ state: 'half_open', in_flight: 0 });
  });

  it('ignores late outcomes of calls admitted before the circuit opened', async () => {
    const { breaker, time } = setup({ failureThreshold: 2, recoveryTimeoutMs: 1000 });
    const slow = deferred<string>();
    const slowCall = breaker.execute(() => slow.promise);
    await outcome(breaker.execute(fail));
    await outcome(breaker.execute(fail));
    expect(breaker.state()).toBe('open');
    time.advance(900);
    slow.reject(boom);
    await expect(slowCall).rejects.toBe(boom);
    // Not counted: it does not restart the timer.
    time.advance(100);
    expect(breaker.state()).toBe('half_open');
  });

  it('ignores outcomes of probes in flight when reset() intervened', async () => {
    const { breaker, time } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    await outcome(breaker.execute(fail));
    time.advance(100);
    const probe = deferred<string>();
    const call = breaker.execute(() => probe.promise);
    breaker.reset();
    probe.reject(boom);
    await expect(call).rejects.toBe(boom);
    expect(breaker.state()).toBe('closed');
  });
});

describe('AbortSignal', () => {
  it('rejects with the reason of an already-aborted signal without calling fn or counting', async () => {
    const { breaker, rejections } = setup({ failureThreshold: 1 });
    const reason = new Error('caller gave up');
    const fn = vi.fn();
    await expect(breaker.execute(fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    expect(breaker.state()).toBe('closed');
    // Even when open, cancellation wins over rejection.
    await outcome(breaker.execute(fail));
    await expect(breaker.execute(fn, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(rejections).toEqual([]);
  });

  it("aborts fn's signal with the caller's reason", async () => {
    const { breaker } = setup();
    const controller = new AbortController();
    const reason = new Error('stop');
    let inner: AbortSignal | undefined;
    const call = breaker.execute(
      (signal) =>
        new Promise<never>((_, reject) => {
          inner = signal;
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
      { signal: controller.signal },
    );
    expect(inner?.aborted).toBe(false);
    controller.abort(reason);
    expect(inner?.aborted).toBe(true);
    expect(inner?.reason).toBe(reason);
    await expect(call).rejects.toBe(reason);
  });

  it('treats a rejection caused by the abort as cancellation, not a failure', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    const controller = new AbortController();
    const call = breaker.execute(
      (signal) => new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(boom))),
      { signal: controller.signal },
    );
    controller.abort();
    await expect(call).rejects.toBe(boom);
    expect(breaker.state()).toBe('closed');
  });

  it('releases the probe slot of a cancelled probe and leaves the circuit half-open', async () => {
    const { breaker, time } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    await outcome(breaker.execute(fail));
    time.advance(100);
    const controller = new AbortController();
    const call = breaker.execute(
      (signal) =>
        new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      { signal: controller.signal },
    );
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(DOMException);
    expect(breaker.state()).toBe('half_open');
    await expect(breaker.execute(() => 'next probe')).resolves.toBe('next probe');
    expect(breaker.state()).toBe('closed');
  });

  it('counts a success that arrives despite an abort', async () => {
    const { breaker, time } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    await outcome(breaker.execute(fail));
    time.advance(100);
    const controller = new AbortController();
    const gate = deferred<string>();
    const call = breaker.execute(() => gate.promise, { signal: controller.signal });
    controller.abort();
    gate.resolve('finished anyway');
    await expect(call).resolves.toBe('finished anyway');
    expect(breaker.state()).toBe('closed');
  });

  it("stops listening to the caller's signal once the call settled", async () => {
    const { breaker } = setup();
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    let inner: AbortSignal | undefined;
    await breaker.execute(
      (signal) => {
        inner = signal;
      },
      { signal: controller.signal },
    );
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));
    controller.abort();
    expect(inner?.aborted).toBe(false);
  });
});

describe('manual recording', () => {
  it('recordFailure counts while closed and opens at the threshold, with the error as lastError', () => {
    const { breaker, changes } = setup({ failureThreshold: 2 });
    breaker.recordFailure();
    expect(breaker.state()).toBe('closed');
    const err = new Error('seen elsewhere');
    breaker.recordFailure(err);
    expect(breaker.state()).toBe('open');
    expect(changes).toEqual([
      expect.objectContaining({ to: 'open', reason: 'failure_threshold', lastError: err }),
    ]);
  });

  it('recordSuccess resets the consecutive count while closed', () => {
    const { breaker } = setup({ failureThreshold: 2 });
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    expect(breaker.state()).toBe('closed');
  });

  it('recordSuccess is ignored while open, and closes when half-open', () => {
    const { breaker, time } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    breaker.recordFailure();
    breaker.recordSuccess();
    expect(breaker.state()).toBe('open');
    time.advance(100);
    breaker.recordSuccess();
    expect(breaker.state()).toBe('closed');
  });

  it('recordFailure re-opens a half-open circuit', () => {
    const { breaker, time, changes } = setup({ failureThreshold: 1, recoveryTimeoutMs: 100 });
    breaker.recordFailure();
    time.advance(100);
    breaker.recordFailure();
    expect(breaker.state()).toBe('open');
    expect(changes.at(-1)).toMatchObject({ from: 'half_open', to: 'open', reason: 'probe_failed' });
    expect(changes.at(-1)).not.toHaveProperty('lastError');
  });
});

describe('toJSON', () => {
  it('snapshots each state in snake_case', () => {
    const { breaker, time } = setup({ name: 'db', failureThreshold: 2, recoveryTimeoutMs: 100 });
    const common = {
      name: 'db',
      recovery_timeout_ms: 100,
      half_open_max_probes: 1,
    };
    breaker.recordFailure();
    expect(breaker.toJSON()).toEqual({
      ...common,
      state: 'closed',
      strategy: { kind: 'consecutive', threshold: 2, consecutive_failures: 1 },
    });
    breaker.recordFailure();
    time.advance(30);
    expect(breaker.toJSON()).toEqual({
      ...common,
      state: 'open',
      opened_at: 1000,
      last_failure_at: 1000,
      retry_after_ms: 70,
      strategy: { kind: 'consecutive', threshold: 2, consecutive_failures: 2 },
    });
    time.advance(70);
    expect(breaker.toJSON()).toEqual({
      ...common,
      state: 'half_open',
      half_opened_at: 1100,
      in_flight: 0,
      strategy: { kind: 'consecutive', threshold: 2, consecutive_failures: 2 },
    });
    expect(JSON.parse(JSON.stringify(breaker))).toMatchObject({ state: 'half_open' });
  });

  it('writes strategy null for a custom strategy without toJSON', () => {
    const breaker = new CircuitBreaker({
      name: 'custom',
      strategy: { onSuccess: () => {}, onFailure: () => true, reset: () => {} },
    });
    expect(breaker.toJSON().strategy).toBeNull();
  });
});

describe('option validation', () => {
  const strategy = new ConsecutiveFailureStrategy({ threshold: 1 });
  it.each<[string, Record<string, unknown>]>([
    ['name', { name: '' }],
    ['name', { name: 42 }],
    ['name', { name: undefined }],
    ['failureThreshold', { failureThreshold: 0 }],
    ['failureThreshold', { failureThreshold: 2.5 }],
    ['failureThreshold', { failureThreshold: Number.NaN }],
    ['failureThreshold', { failureThreshold: 3, strategy }],
    ['recoveryTimeoutMs', { recoveryTimeoutMs: -1 }],
    ['recoveryTimeoutMs', { recoveryTimeoutMs: Number.POSITIVE_INFINITY }],
    ['recoveryTimeoutMs', { recoveryTimeoutMs: '60s' }],
    ['halfOpenMaxProbes', { halfOpenMaxProbes: 0 }],
    ['halfOpenMaxProbes', { halfOpenMaxProbes: 1.5 }],
    ['clock', { clock: 5 }],
    ['isFailure', { isFailure: true }],
    ['strategy', { strategy: { onFailure: () => true } }],
    ['strategy', { strategy: null }],
  ])('rejects a bad %s', (field, bad) => {
    expect(
      validationField(() => new CircuitBreaker({ name: 'llm', ...bad } as unknown as CircuitBreakerOptions)),
    ).toBe(field);
  });

  it('names the field and the value in the message', () => {
    expect(() => new CircuitBreaker({ name: 'llm', recoveryTimeoutMs: -5 })).toThrow(
      'recoveryTimeoutMs must be a non-negative finite number of milliseconds, got -5',
    );
  });

  it('rejects missing options with a ValidationError on name', () => {
    expect(validationField(() => new CircuitBreaker(undefined as unknown as CircuitBreakerOptions))).toBe(
      'name',
    );
  });

  it('accepts a custom strategy and consults it', async () => {
    const onFailure = vi.fn(() => true);
    const breaker = new CircuitBreaker({
      name: 'custom',
      strategy: { onSuccess: () => {}, onFailure, reset: () => {} },
      clock: () => 7,
    });
    await outcome(breaker.execute(fail));
    expect(onFailure).toHaveBeenCalledWith(7);
    expect(breaker.state()).toBe('open');
  });
});

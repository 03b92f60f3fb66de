import { PriceTable } from '@agentrace/pricing';
import { diag } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FlakyStore } from '../../../../test/helpers/flaky-store.js';
import { createTestTelemetry, type TestTelemetry } from '../../../../test/helpers/otel.js';
import { validationFieldOf } from '../../../../test/helpers/validation.js';
import { AgentSession } from '../session/agent-session.js';
import { UsageSnapshot } from '../usage/usage-snapshot.js';
import { InMemoryStateStore } from './in-memory-state-store.js';
import { RateLimitExceededError, RateLimiter, type RateLimiterOptions } from './rate-limiter.js';
import { StateStoreUnavailableError } from './state-store.js';
import type { TurnGateContext } from './turn-gate.js';

let otel: TestTelemetry;
beforeEach(() => {
  otel = createTestTelemetry();
});
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await otel.shutdown();
});

function ctx(init: Partial<TurnGateContext> = {}) {
  const events: { name: string; attributes: Record<string, unknown> }[] = [];
  const c: TurnGateContext = {
    role: 'r',
    turnNumber: 1,
    attempt: 1,
    provider: 'openai',
    model: 'gpt-4o',
    signal: new AbortController().signal,
    addEvent: (name, attributes) => events.push({ name, attributes: { ...attributes } }),
    ...init,
  };
  return { c, events };
}

/** 2 requests per 200 ms, half as burst: one at once, then one every 200 ms, so no 200 ms ever sees 3. */
function limiter(opts: Partial<RateLimiterOptions> = {}) {
  return new RateLimiter({
    rules: [{ provider: 'openai', requests: 2, windowMs: 200, burstFraction: 0.5 }],
    meterProvider: otel.meterProvider,
    ...opts,
  });
}

describe('RateLimiter', () => {
  it('admits within the burst, then makes calls wait their turn (visible as span events and metrics)', async () => {
    vi.useFakeTimers();
    const rl = limiter();
    const first = ctx();
    expect(await rl.enter(first.c)).toBeUndefined(); // no token limit: nothing to settle
    expect(first.events).toEqual([]);
    const second = ctx();
    const entering = rl.enter(second.c);
    let entered = false;
    void entering.then(() => {
      entered = true;
    });
    await vi.advanceTimersByTimeAsync(199);
    expect(entered).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(entered).toBe(true);
    expect(second.events).toEqual([
      {
        name: 'agentrace.rate_limit.delayed',
        attributes: {
          'agentrace.rate_limit.name': 'rate_limit',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'agentrace.rate_limit.limit': 'requests',
          'agentrace.rate_limit.wait_ms': 200,
          'agentrace.rate_limit.tokens': 0,
        },
      },
    ]);
    const decisions = await otel.metric('agentrace.rate_limit.decisions');
    expect(decisions?.points.map((p) => [p.attributes['agentrace.rate_limit.outcome'], p.value])).toEqual([
      ['admitted', 1],
      ['delayed', 1],
    ]);
    const wait = await otel.metric<{ sum: number; count: number }>('agentrace.rate_limit.wait');
    expect(wait?.unit).toBe('s');
    expect(wait?.points[0]?.value).toMatchObject({ count: 2, sum: 0.2 });
  });

  it('rejects a call that would wait past maxWaitMs, with when to retry, taking nothing', async () => {
    vi.useFakeTimers();
    const rl = limiter({ maxWaitMs: 250 });
    await rl.enter(ctx().c);
    const waiting = rl.enter(ctx().c); // waits 200 ms
    const refused = ctx();
    const err = await rl.enter(refused.c).catch((e: unknown) => e);
    expect(RateLimitExceededError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({
      limiterName: 'rate_limit',
      provider: 'openai',
      model: 'gpt-4o',
      limit: 'requests',
      retryAfterMs: 400,
      maxWaitMs: 250,
    });
    expect((err as Error).message).toMatch(/retry after 400 ms/);
    expect(refused.events.map((e) => e.name)).toEqual(['agentrace.rate_limit.rejected']);
    expect(refused.events[0]?.attributes['agentrace.rate_limit.retry_after_ms']).toBe(400);
    await vi.advanceTimersByTimeAsync(200);
    await waiting;
    // The refusal took nothing: the next call waits the usual 200 ms, not 400.
    const next = ctx();
    const p = rl.enter(next.c);
    await vi.advanceTimersByTimeAsync(200);
    await p;
    expect(next.events[0]?.attributes['agentrace.rate_limit.wait_ms']).toBe(200);
  });

  it('gives a cancelled waiter’s place back', async () => {
    vi.useFakeTimers();
    const rl = limiter();
    await rl.enter(ctx().c);
    const controller = new AbortController();
    const cancelled = rl.enter(ctx({ signal: controller.signal }).c);
    const outcome = cancelled.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    controller.abort(new Error('user left'));
    expect(await outcome).toMatchObject({ message: 'user left' });
    const next = ctx();
    const p = rl.enter(next.c);
    await vi.advanceTimersByTimeAsync(190);
    await p;
    expect(next.events[0]?.attributes['agentrace.rate_limit.wait_ms']).toBe(190);
  });

  it('takes expected tokens before the call and the difference after it', async () => {
    vi.useFakeTimers();
    const rl = new RateLimiter({
      rules: [{ provider: 'openai', model: 'gpt-4o', tokens: 10_000, windowMs: 1000, burstFraction: 0.5 }],
      maxWaitMs: 0,
    });
    // Burst 5000 tokens, refilling 5 per ms.
    const expectedUsage = new UsageSnapshot({ inputTokens: 3000, outputTokens: 1000 });
    const ticket = await rl.enter(ctx({ expectedUsage }).c);
    expect(ticket).toBeDefined();
    const over = await rl.enter(ctx({ expectedUsage }).c).catch((e: unknown) => e);
    expect(over).toMatchObject({ limit: 'tokens', retryAfterMs: 600 });
    // The call used only 2000 tokens: 2000 come back, and 3000 are there again.
    await ticket!.settle({
      ok: true,
      usage: new UsageSnapshot({ inputTokens: 1500, outputTokens: 500 }),
      costUsd: 0,
    });
    const three = new UsageSnapshot({ inputTokens: 3000 });
    const t2 = await rl.enter(ctx({ expectedUsage: three }).c);
    // A call that failed without usage gives its tokens back ...
    await t2!.settle({ ok: false, usage: undefined, costUsd: 0 });
    const t3 = await rl.enter(ctx({ expectedUsage: three }).c);
    // ... one that succeeded without usage keeps them; a ticket settles once.
    await t3!.settle({ ok: true, usage: undefined, costUsd: 0 });
    await t3!.settle({ ok: true, usage: new UsageSnapshot({ outputTokens: 9000 }), costUsd: 0 });
    // One that used more than expected takes the rest: the bucket goes 4000 into debt.
    const t4 = await rl.enter(ctx({ expectedUsage: new UsageSnapshot() }).c);
    await t4!.settle({ ok: true, usage: new UsageSnapshot({ outputTokens: 4000 }), costUsd: 0 });
    const late = await rl
      .enter(ctx({ expectedUsage: new UsageSnapshot({ inputTokens: 1 }) }).c)
      .catch((e) => e);
    expect(late).toMatchObject({ limit: 'tokens', retryAfterMs: 801 });
  });

  it('applies every matching rule: per model by default, per provider when scoped so; others pass', async () => {
    const store = new InMemoryStateStore();
    const rl = new RateLimiter({
      store,
      maxWaitMs: 0,
      rules: [
        { provider: 'openai', requests: 20, windowMs: 1000 }, // burst 2 per model
        { provider: 'openai', scope: 'provider', requests: 30, windowMs: 1000 }, // burst 3 for all models
      ],
    });
    await rl.enter(ctx({ model: 'a' }).c);
    await rl.enter(ctx({ model: 'a' }).c);
    await expect(rl.enter(ctx({ model: 'a' }).c)).rejects.toMatchObject({ limit: 'requests' });
    await rl.enter(ctx({ model: 'b' }).c);
    await expect(rl.enter(ctx({ model: 'b' }).c)).rejects.toThrow(RateLimitExceededError);
    expect(await rl.enter(ctx({ provider: 'anthropic' }).c)).toBeUndefined();
    const unnamed = new RateLimiter({
      rules: [{ provider: 'default', requests: 2, burstFraction: 0.5 }],
      maxWaitMs: 0,
    });
    await unnamed.enter(ctx({ provider: undefined, model: undefined }).c);
    await expect(unnamed.enter(ctx({ provider: undefined, model: undefined }).c)).rejects.toMatchObject({
      provider: 'default',
      model: 'unspecified',
    });
  });

  it('is one limit for every limiter of the same name on the store (two "processes")', async () => {
    const store = new InMemoryStateStore();
    const [a, b] = [limiter({ store, maxWaitMs: 0 }), limiter({ store, maxWaitMs: 0 })];
    await a.enter(ctx().c);
    await expect(b.enter(ctx().c)).rejects.toThrow(RateLimitExceededError);
    const other = limiter({ store, maxWaitMs: 0, name: 'other' });
    await expect(other.enter(ctx().c)).resolves.toBeUndefined();
  });

  it('counts tokens as told to', async () => {
    const rl = new RateLimiter({
      rules: [{ provider: 'openai', tokens: 100, windowMs: 1000, burstFraction: 0.5 }],
      countTokens: (u) => u.outputTokens,
      maxWaitMs: 0,
    });
    await rl.enter(ctx({ expectedUsage: new UsageSnapshot({ inputTokens: 10_000, outputTokens: 50 }) }).c);
    await expect(
      rl.enter(ctx({ expectedUsage: new UsageSnapshot({ outputTokens: 1 }) }).c),
    ).rejects.toMatchObject({ limit: 'tokens' });
    const odd = new RateLimiter({
      rules: [{ provider: 'openai', tokens: 100 }],
      countTokens: () => Number.NaN,
      maxWaitMs: 0,
    });
    await expect(odd.enter(ctx({ expectedUsage: new UsageSnapshot() }).c)).resolves.toBeDefined();
  });
});

describe('RateLimiter in a session', () => {
  const pricing = new PriceTable().register('gpt-4o', { inputPerMillion: 2.5, outputPerMillion: 10 });
  const agent = (rl: RateLimiter) =>
    new AgentSession({
      role: 'r',
      phase: 'p',
      pricing,
      provider: 'openai',
      model: 'gpt-4o',
      gates: [rl],
      recovery: { backoff: { baseMs: 1, capMs: 1 }, maxAttempts: 3 },
      tracerProvider: otel.tracerProvider,
      meterProvider: otel.meterProvider,
    });

  it('a local rate-limit refusal is not a provider 429: never retried, the model never called', async () => {
    const rl = limiter({ maxWaitMs: 0 });
    const work = vi.fn(() => 'ok');
    const err = await agent(rl)
      .run(async (s) => {
        await s.runTurn(work);
        await s.runTurn(work);
      })
      .catch((e: unknown) => e);
    expect(RateLimitExceededError.isInstance(err)).toBe(true);
    expect(work).toHaveBeenCalledTimes(1);
    const recovery = await otel.metric('agentrace.recovery.attempts');
    expect(recovery).toBeUndefined();
    const attempts = otel.spans().filter((s) => s.name.startsWith('attempt'));
    expect(attempts.map((s) => s.attributes['error.type'])).toEqual([undefined, 'RateLimitExceededError']);
  });

  it('while a provider 429 under the same policy is retried (and waits on the limiter each attempt)', async () => {
    const rl = new RateLimiter({
      rules: [{ provider: 'openai', requests: 6000, windowMs: 1000 }],
      meterProvider: otel.meterProvider,
    });
    let calls = 0;
    const result = await agent(rl).run((s) =>
      s.runTurn(() => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('Rate limit reached'), { status: 429 });
        return 'ok';
      }),
    );
    expect(result).toMatchObject({ ok: true, result: 'ok' });
    expect(calls).toBe(2);
    const decisions = await otel.metric('agentrace.rate_limit.decisions');
    expect(decisions?.points.reduce((n, p) => n + p.value, 0)).toBe(2);
  });
});

describe('RateLimiter when the store is unavailable', () => {
  it('fail open: keeps a local bucket (its share of the limit), warning once', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    vi.spyOn(diag, 'info').mockImplementation(() => undefined);
    const store = new FlakyStore(new InMemoryStateStore());
    const rl = new RateLimiter({
      store,
      localShare: 0.5,
      maxWaitMs: 0,
      rules: [{ provider: 'openai', requests: 40, windowMs: 1000, burstFraction: 0.1 }], // burst 4, locally 2
      meterProvider: otel.meterProvider,
    });
    store.down = true;
    const first = ctx();
    await rl.enter(first.c);
    expect(first.events.map((e) => e.name)).toEqual(['agentrace.state_store.unavailable']);
    await rl.enter(ctx().c);
    await expect(rl.enter(ctx().c)).rejects.toThrow(RateLimitExceededError);
    expect(warn).toHaveBeenCalledTimes(1);
    expect((await otel.metric('agentrace.state_store.unavailable'))?.points[0]).toMatchObject({
      attributes: { 'agentrace.state_store.consumer': 'rate_limit' },
      value: 3,
    });
    store.down = false;
    for (let i = 0; i < 4; i++) await rl.enter(ctx().c); // the shared bucket was untouched
    await expect(rl.enter(ctx().c)).rejects.toThrow(RateLimitExceededError);
  });

  it('fail closed: refuses with StateStoreUnavailableError; a failed adjustment is dropped', async () => {
    vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    const store = new FlakyStore(new InMemoryStateStore(), 'fail_closed');
    const rl = new RateLimiter({ store, rules: [{ provider: 'openai', tokens: 1000 }] });
    const ticket = await rl.enter(ctx({ expectedUsage: new UsageSnapshot({ inputTokens: 10 }) }).c);
    store.down = true;
    await expect(rl.enter(ctx().c)).rejects.toThrow(StateStoreUnavailableError);
    await expect(
      ticket!.settle({ ok: true, usage: new UsageSnapshot({ inputTokens: 20 }), costUsd: 0 }),
    ).resolves.toBeUndefined();
  });

  it('does not ask the store when the turn is already cancelled', async () => {
    const store = new FlakyStore(new InMemoryStateStore());
    const rl = limiter({ store });
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(rl.enter(ctx({ signal: controller.signal }).c)).rejects.toThrow('gone');
    expect(store.calls).toEqual({});
  });
});

describe('RateLimiter options', () => {
  const field = validationFieldOf;
  const rule = { provider: 'openai', requests: 1 };

  it.each([
    [{ rules: [rule], name: '' }, 'name'],
    [{ rules: [] }, 'rules'],
    [{}, 'rules'],
    [{ rules: [null] }, 'rules[0]'],
    [{ rules: [{ requests: 1 }] }, 'rules[0].provider'],
    [{ rules: [{ ...rule, model: '' }] }, 'rules[0].model'],
    [{ rules: [{ ...rule, scope: 'global' }] }, 'rules[0].scope'],
    [{ rules: [rule, { provider: 'x', requests: 0 }] }, 'rules[1].requests'],
    [{ rules: [{ provider: 'x', tokens: -5 }] }, 'rules[0].tokens'],
    [{ rules: [{ provider: 'x' }] }, 'rules[0].requests'],
    [{ rules: [{ ...rule, windowMs: 0 }] }, 'rules[0].windowMs'],
    [{ rules: [{ ...rule, burstFraction: 1 }] }, 'rules[0].burstFraction'],
    [{ rules: [rule], maxWaitMs: -1 }, 'maxWaitMs'],
    [{ rules: [rule], maxWaitMs: Number.POSITIVE_INFINITY }, 'maxWaitMs'],
    [{ rules: [rule], countTokens: 5 }, 'countTokens'],
    [{ rules: [rule], localShare: 0 }, 'localShare'],
    [{ rules: [rule], store: { kind: 'x' } }, 'store'],
    [{ rules: [rule], onStoreUnavailable: 'maybe' }, 'onStoreUnavailable'],
  ])('%o is refused, naming %s', (options, name) => {
    expect(field(() => new RateLimiter(options as never))).toBe(name);
  });
});

import { PriceTable } from '@agentrace/pricing';
import { diag } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FlakyStore } from '../../../../test/helpers/flaky-store.js';
import { createTestTelemetry, type TestTelemetry } from '../../../../test/helpers/otel.js';
import { validationFieldOf } from '../../../../test/helpers/validation.js';
import { AgentSession } from '../session/agent-session.js';
import type { AgentSessionOptions } from '../session/session-config.js';
import { toMicroUsd } from '../usage/micro-usd.js';
import { BudgetExceededError } from '../usage/usage-tracker.js';
import { InMemoryStateStore } from './in-memory-state-store.js';
import { SharedBudget, SharedBudgetExceededError } from './shared-budget.js';
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

// $1 per million input tokens, $2 per million output tokens: 1000 in + 500 out = $0.002 = 2000 µUSD.
const pricing = new PriceTable().register('m', { inputPerMillion: 1, outputPerMillion: 2 });

function agent(budget: SharedBudget, opts: Partial<AgentSessionOptions> = {}) {
  return new AgentSession({
    role: 'worker',
    phase: 'p',
    pricing,
    model: 'm',
    provider: 'sim',
    gates: [budget],
    maxIterations: 10_000,
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
    ...opts,
  });
}

const expected = { inputTokens: 1000, outputTokens: 500 };

/** A gate context as a session builds it, for driving the gate directly. */
function ctx(expectedCostUsd: number | undefined, signal = new AbortController().signal) {
  const events: { name: string; attributes: Record<string, unknown> }[] = [];
  const c: TurnGateContext = {
    role: 'r',
    turnNumber: 1,
    attempt: 1,
    signal,
    ...(expectedCostUsd !== undefined && { expectedCostUsd }),
    addEvent: (name, attributes) => events.push({ name, attributes: { ...attributes } }),
  };
  return { c, events };
}

describe('SharedBudget as a session gate', () => {
  it('reserves the priced expected cost, settles the actual, and keeps exact µUSD totals', async () => {
    const store = new InMemoryStateStore();
    const budget = new SharedBudget({
      name: 'tenant',
      limitUsd: 1,
      store,
      meterProvider: otel.meterProvider,
    });
    await agent(budget).run(async (s) => {
      for (const out of [500, 250, 333]) {
        await s.runTurn(() => 'ok', {
          expectedUsage: expected,
          usage: { inputTokens: 1000, outputTokens: out },
        });
      }
    });
    const status = await budget.status();
    expect(status).toEqual({
      key: 'tenant',
      limitUsd: 1,
      spentMicros: 1000 * 3 + 2 * (500 + 250 + 333),
      reservedMicros: 0,
      spentUsd: 0.005166,
      reservedUsd: 0,
      remainingUsd: 0.994834,
      pendingSettlements: 0,
      pendingMicros: 0,
    });
    const turn = otel.spans().find((s) => s.name === 'chat m')!;
    const reserved = turn.events.find((e) => e.name === 'agentrace.budget.reserved');
    expect(reserved?.attributes).toMatchObject({
      'agentrace.budget.name': 'tenant',
      'agentrace.budget.outcome': 'reserved',
      'agentrace.budget.reserved_usd': 0.002,
      'agentrace.budget.usd': 1,
      'agentrace.budget.enforced': true,
    });
    const decisions = await otel.metric('agentrace.budget.decisions');
    expect(decisions?.points).toEqual([
      { attributes: { 'agentrace.budget.name': 'tenant', 'agentrace.budget.outcome': 'reserved' }, value: 3 },
    ]);
  });

  it('refuses a call whose reservation would cross the limit, before the model is called', async () => {
    const budget = new SharedBudget({ name: 'small', limitUsd: 0.005 });
    const work = vi.fn(() => 'ok');
    const err = await agent(budget)
      .run(async (s) => {
        for (;;) await s.runTurn(work, { expectedUsage: expected, usage: expected });
      })
      .catch((e: unknown) => e);
    expect(work).toHaveBeenCalledTimes(2); // 2000 + 2000 fit in 5000; a third reservation does not
    expect(SharedBudgetExceededError.isInstance(err)).toBe(true);
    expect(BudgetExceededError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({
      budgetName: 'small',
      budgetKey: 'small',
      budgetUsd: 0.005,
      currentCostUsd: 0.004,
      reservedUsd: 0,
      requestedUsd: 0.002,
    });
    expect((err as Error).message).toMatch(/shared budget "small" would be exceeded/);
    const refused = otel
      .spans()
      .flatMap((s) => s.events)
      .find((e) => e.name === 'agentrace.budget.refused');
    expect(refused?.attributes).toMatchObject({ 'agentrace.budget.spent_usd': 0.004 });
  });

  it('is one budget for every session and every instance on the store (two "processes")', async () => {
    const store = new InMemoryStateStore();
    const a = new SharedBudget({ name: 'shared', limitUsd: 0.01, store });
    const b = new SharedBudget({ name: 'shared', limitUsd: 0.01, store });
    const ok: string[] = [];
    const run = (budget: SharedBudget, who: string) =>
      agent(budget)
        .run(async (s) => {
          for (;;) {
            await s.runTurn(() => ok.push(who), { expectedUsage: expected, usage: expected });
          }
        })
        .catch((e: unknown) => e);
    const [ea, eb] = await Promise.all([run(a, 'a'), run(b, 'b')]);
    expect(ok).toHaveLength(5);
    expect(SharedBudgetExceededError.isInstance(ea)).toBe(true);
    expect(SharedBudgetExceededError.isInstance(eb)).toBe(true);
    expect((await a.status()).spentMicros).toBe(10_000);
  });

  it('overshoots by at most the under-estimates in flight, and totals stay exact', async () => {
    const store = new InMemoryStateStore();
    const budget = new SharedBudget({ name: 'race', limitUsd: 0.05, store });
    let inFlight = 0;
    let maxInFlight = 0;
    let spent = 0;
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const worker = agent(budget);
    await Promise.all(
      Array.from({ length: 8 }, () =>
        worker
          .run(async (s) => {
            for (;;) {
              await s.runTurn(
                async () => {
                  inFlight++;
                  maxInFlight = Math.max(maxInFlight, inFlight);
                  await new Promise((r) => setTimeout(r, random() * 3));
                  inFlight--;
                  return 'ok';
                },
                {
                  expectedUsage: expected,
                  // Up to 50% more output than expected: each call can under-estimate by up to 500 µUSD.
                  estimateUsage: () => {
                    const usage = { inputTokens: 1000, outputTokens: 500 + Math.floor(random() * 500) };
                    spent += toMicroUsd((usage.inputTokens + 2 * usage.outputTokens) / 1e6);
                    return usage;
                  },
                },
              );
            }
          })
          .catch(() => undefined),
      ),
    );
    const status = await budget.status();
    expect(status.spentMicros).toBe(spent);
    expect(status.reservedMicros).toBe(0);
    expect(status.spentMicros).toBeGreaterThan(50_000 - 2000); // it did run the budget down
    expect(status.spentMicros - 50_000).toBeLessThanOrEqual(maxInFlight * 1000);
  });

  it('reserves nothing without an expected cost; rolls over by scope; may only record', async () => {
    let day = '2026-11-27';
    const store = new InMemoryStateStore();
    const budget = new SharedBudget({ name: 'daily', limitUsd: 0.003, store, scope: () => day });
    const ticket = await budget.enter(ctx(undefined).c);
    await ticket.settle({ ok: true, usage: undefined, costUsd: 0.003 });
    expect(await budget.status()).toMatchObject({ key: 'daily:2026-11-27', spentMicros: 3000 });
    await expect(budget.enter(ctx(0.000001).c)).rejects.toThrow(SharedBudgetExceededError);
    day = '2026-11-28';
    await expect(budget.enter(ctx(0.002).c)).resolves.toBeDefined();
    expect((await budget.status('2026-11-27')).spentMicros).toBe(3000);

    const observer = new SharedBudget({ name: 'watch', limitUsd: 0, enforce: false, store });
    const t = await observer.enter(ctx(5).c);
    await t.settle({ ok: true, usage: undefined, costUsd: 4 });
    await t.settle({ ok: true, usage: undefined, costUsd: 4 }); // settling twice counts once
    expect((await observer.status()).spentUsd).toBe(4);
  });

  it('stops before reserving when the turn is already cancelled', async () => {
    const budget = new SharedBudget({ name: 'x', limitUsd: 1 });
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(budget.enter(ctx(0.1, controller.signal).c)).rejects.toThrow('stop');
  });
});

describe('SharedBudget when the store is unavailable', () => {
  it('fail open: decides on the last fleet total plus its own spend, then writes the spend back exactly once', async () => {
    const warn = vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    vi.spyOn(diag, 'info').mockImplementation(() => undefined);
    const store = new FlakyStore(new InMemoryStateStore());
    const budget = new SharedBudget({ name: 'b', limitUsd: 0.01, store, meterProvider: otel.meterProvider });
    const other = new SharedBudget({ name: 'b', limitUsd: 0.01, store: store.inner });
    // The fleet has spent 4000 µUSD; this process saw it.
    const t0 = await other.enter(ctx(0.004).c);
    await t0.settle({ ok: true, usage: undefined, costUsd: 0.004 });
    const seen = await budget.enter(ctx(0).c);
    await seen.settle({ ok: true, usage: undefined, costUsd: 0 });

    store.down = true;
    const { c, events } = ctx(0.002);
    const t1 = await budget.enter(c);
    expect(events.map((e) => e.name)).toEqual([
      'agentrace.state_store.unavailable',
      'agentrace.budget.reserved',
    ]);
    await t1.settle({ ok: true, usage: undefined, costUsd: 0.0025 });
    const t2 = await budget.enter(ctx(0.002).c);
    await t2.settle({ ok: true, usage: undefined, costUsd: 0.0015 });
    // 4000 seen + 2500 + 1500 spent locally: another 2000 would cross 10 000.
    await expect(budget.enter(ctx(0.0021).c)).rejects.toThrow(SharedBudgetExceededError);
    expect(budget.pendingSettlements).toBe(2);
    expect(warn).toHaveBeenCalledTimes(1);
    expect((await otel.metric('agentrace.state_store.unavailable'))?.points[0]?.value).toBe(3);

    store.down = false;
    await budget.flush();
    expect(budget.pendingSettlements).toBe(0);
    expect(await budget.status()).toMatchObject({ spentMicros: 8000, reservedMicros: 0 });
    const reconciled = await otel.metric('agentrace.budget.reconciled');
    expect(reconciled?.points).toEqual([{ attributes: { 'agentrace.budget.name': 'b' }, value: 0.004 }]);
  });

  it('a settlement whose answer was lost is retried and still counted once', async () => {
    vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    vi.spyOn(diag, 'info').mockImplementation(() => undefined);
    const store = new FlakyStore(new InMemoryStateStore());
    const budget = new SharedBudget({ name: 'lost', limitUsd: 1, store });
    const t = await budget.enter(ctx(0.01).c);
    store.lose = true; // the settle runs in the store, but the answer never arrives
    await t.settle({ ok: true, usage: undefined, costUsd: 0.009 });
    expect(budget.pendingSettlements).toBe(1);
    store.lose = false;
    await budget.flush();
    expect(await budget.status()).toMatchObject({
      spentMicros: 9000,
      reservedMicros: 0,
      pendingSettlements: 0,
    });
  });

  it('reconciles in the background once the store answers, and on its retry timer', async () => {
    vi.useFakeTimers();
    vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    vi.spyOn(diag, 'info').mockImplementation(() => undefined);
    const store = new FlakyStore(new InMemoryStateStore());
    const budget = new SharedBudget({ name: 'bg', limitUsd: 1, store, retryIntervalMs: 100 });
    store.down = true;
    const t = await budget.enter(ctx(0.01).c);
    await t.settle({ ok: true, usage: undefined, costUsd: 0.01 });
    await vi.advanceTimersByTimeAsync(100); // still down: retried, kept
    expect(budget.pendingSettlements).toBe(1);
    await budget.flush(); // still down: resolves, kept
    expect(budget.pendingSettlements).toBe(1);
    store.down = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(budget.pendingSettlements).toBe(0);
    expect((await store.inner.budgetTotals('bg')).spentMicros).toBe(10_000);

    // The next answer from the store also kicks off reconciliation.
    store.down = true;
    const t2 = await budget.enter(ctx(0.01).c);
    await t2.settle({ ok: true, usage: undefined, costUsd: 0.02 });
    budget.close();
    store.down = false;
    const t3 = await budget.enter(ctx(0.01).c);
    await vi.waitFor(() => expect(budget.pendingSettlements).toBe(0));
    await t3.settle({ ok: true, usage: undefined, costUsd: 0 });
    expect((await store.inner.budgetTotals('bg')).spentMicros).toBe(30_000);
  });

  // Found by the long Redis SIGKILL run: when the retry timer fired after the pending settlements had already been
  // written, reconciliation stopped for good, and spend recorded in a later outage was never written.
  it('keeps reconciling after the retry timer fires with nothing left to write', async () => {
    vi.useFakeTimers();
    vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    vi.spyOn(diag, 'info').mockImplementation(() => undefined);
    const store = new FlakyStore(new InMemoryStateStore());
    const budget = new SharedBudget({ name: 'stale', limitUsd: 1, store, retryIntervalMs: 100 });
    store.down = true;
    const t1 = await budget.enter(ctx(0.01).c);
    await t1.settle({ ok: true, usage: undefined, costUsd: 0.001 }); // pending; the retry timer is armed
    store.down = false;
    const t2 = await budget.enter(ctx(0.01).c); // the store answers: the pending one is written now
    await vi.waitFor(() => expect(budget.pendingSettlements).toBe(0));
    await vi.advanceTimersByTimeAsync(100); // the timer fires with nothing to write
    store.down = true;
    await t2.settle({ ok: true, usage: undefined, costUsd: 0.002 });
    store.down = false;
    await budget.flush();
    expect(budget.pendingSettlements).toBe(0);
    expect((await store.inner.budgetTotals('stale')).spentMicros).toBe(3000);
    budget.close();
  });

  it('fail closed: refuses with StateStoreUnavailableError; in-flight spend is still written later', async () => {
    vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    vi.spyOn(diag, 'info').mockImplementation(() => undefined);
    const store = new FlakyStore(new InMemoryStateStore(), 'fail_closed');
    const budget = new SharedBudget({ name: 'strict', limitUsd: 1, store });
    const t = await budget.enter(ctx(0.01).c);
    store.down = true;
    const err = await budget.enter(ctx(0.01).c).catch((e: unknown) => e);
    expect(StateStoreUnavailableError.isInstance(err)).toBe(true);
    await t.settle({ ok: true, usage: undefined, costUsd: 0.007 });
    store.down = false;
    await budget.flush();
    expect((await budget.status()).spentMicros).toBe(7000);
  });
});

describe('SharedBudget when a reservation timed out but reached the store', () => {
  // The store ran the reservation and only its answer was lost (Redis paused past the command timeout runs it when
  // it resumes): the refused call must not hold budget until the reservation expires.
  it('fail_closed: the refused call releases the reservation the store made', async () => {
    vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    vi.spyOn(diag, 'info').mockImplementation(() => undefined);
    const store = new FlakyStore(new InMemoryStateStore(), 'fail_closed');
    const budget = new SharedBudget({ name: 'orphan', limitUsd: 1, store, reservationTtlMs: 600_000 });
    store.lose = true;
    await expect(budget.enter(ctx(0.01).c)).rejects.toThrow(StateStoreUnavailableError);
    expect((await store.inner.budgetTotals('orphan')).reservedMicros).toBe(10_000);
    store.lose = false;
    await budget.flush();
    expect(budget.pendingSettlements).toBe(0);
    expect(await store.inner.budgetTotals('orphan')).toEqual({ spentMicros: 0, reservedMicros: 0 });
    budget.close();
  });

  it('fail_open: the call admitted locally settles once and releases the reservation the store made', async () => {
    vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    vi.spyOn(diag, 'info').mockImplementation(() => undefined);
    const store = new FlakyStore(new InMemoryStateStore(), 'fail_open');
    const budget = new SharedBudget({ name: 'orphan-open', limitUsd: 0.4, store, reservationTtlMs: 600_000 });
    store.lose = true;
    const admitted = await budget.enter(ctx(0.3).c);
    // A second call does not fit next to the first (the store refuses it too, so it reserved nothing there).
    await expect(budget.enter(ctx(0.3).c)).rejects.toThrow(SharedBudgetExceededError);
    expect((await store.inner.budgetTotals('orphan-open')).reservedMicros).toBe(300_000);
    await admitted.settle({ ok: true, usage: undefined, costUsd: 0.25 });
    store.lose = false;
    await budget.flush();
    expect(budget.pendingSettlements).toBe(0);
    expect(await store.inner.budgetTotals('orphan-open')).toEqual({
      spentMicros: 250_000,
      reservedMicros: 0,
    });
    budget.close();
  });

  it('a store that refused without trying (offline, no cause) leaves nothing to release', async () => {
    vi.spyOn(diag, 'warn').mockImplementation(() => undefined);
    const store = new FlakyStore(new InMemoryStateStore(), 'fail_closed');
    const budget = new SharedBudget({ name: 'nothing', limitUsd: 1, store });
    store.down = true;
    await expect(budget.enter(ctx(0.01).c)).rejects.toThrow(StateStoreUnavailableError);
    expect(budget.pendingSettlements).toBe(0);
    budget.close();
  });
});

describe('SharedBudget options', () => {
  const field = validationFieldOf;

  it.each([
    [{ limitUsd: 1 }, 'name'],
    [{ name: '', limitUsd: 1 }, 'name'],
    [{ name: 'x', limitUsd: -1 }, 'limitUsd'],
    [{ name: 'x', limitUsd: Number.NaN }, 'limitUsd'],
    [{ name: 'x', limitUsd: 1, store: {} }, 'store'],
    [{ name: 'x', limitUsd: 1, onStoreUnavailable: 'no' }, 'onStoreUnavailable'],
    [{ name: 'x', limitUsd: 1, scope: 'day' }, 'scope'],
    [{ name: 'x', limitUsd: 1, reservationTtlMs: 0 }, 'reservationTtlMs'],
    [{ name: 'x', limitUsd: 1, ttlMs: -1 }, 'ttlMs'],
    [{ name: 'x', limitUsd: 1, dedupeWindowMs: 0 }, 'dedupeWindowMs'],
    [{ name: 'x', limitUsd: 1, retryIntervalMs: Number.POSITIVE_INFINITY }, 'retryIntervalMs'],
  ])('%o is refused, naming %s', (options, name) => {
    expect(field(() => new SharedBudget(options as never))).toBe(name);
  });

  it('names a scope function that returns nothing usable', async () => {
    const budget = new SharedBudget({ name: 'x', limitUsd: 1, scope: () => '' });
    await expect(budget.enter(ctx(0.1).c)).rejects.toMatchObject({ field: 'scope()' });
  });
});

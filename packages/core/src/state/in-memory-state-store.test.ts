import { ValidationError } from '@agentrace/pricing';
import { describe, expect, it } from 'vitest';
import { describeStateStoreContract, manualClock } from '../../../../test/helpers/state-store-contract.js';
import { InMemoryStateStore } from './in-memory-state-store.js';

describeStateStoreContract('InMemoryStateStore', (clock) => new InMemoryStateStore({ clock }));

describe('InMemoryStateStore', () => {
  it('rejects a clock that is not a function, naming it', () => {
    expect(() => new InMemoryStateStore({ clock: 5 as never })).toThrow(ValidationError);
    try {
      new InMemoryStateStore({ clock: 5 as never });
    } catch (err) {
      expect((err as ValidationError).field).toBe('clock');
    }
  });

  // Found by the reliability fuzzer: `new InMemoryStateStore(null)` was a TypeError.
  it.each([null, 5])('rejects %o as options with a ValidationError naming options', (options) => {
    expect(() => new InMemoryStateStore(options as never)).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'options' }),
    );
  });

  it('defaults to the wall clock', async () => {
    const store = new InMemoryStateStore();
    const before = Date.now();
    const r = await store.breaker({
      name: 'x',
      command: { type: 'read' },
      since: -1,
      actor: 'a',
      config: {
        recoveryTimeoutMs: 1,
        halfOpenMaxProbes: 1,
        probeLeaseMs: 1,
        ttlMs: 1,
        strategy: { kind: 'consecutive', threshold: 1 },
      },
    });
    expect(r.now).toBeGreaterThanOrEqual(before);
  });

  it('forgets entries once their TTL has passed, so memory stays bounded by what is live', async () => {
    const time = manualClock();
    const store = new InMemoryStateStore({ clock: time.now });
    const config = {
      recoveryTimeoutMs: 10,
      halfOpenMaxProbes: 1,
      probeLeaseMs: 10,
      ttlMs: 1000,
      strategy: { kind: 'consecutive' as const, threshold: 2 },
    };
    for (let i = 0; i < 50; i++) {
      await store.breaker({
        name: `b${i}`,
        config,
        command: { type: 'record', outcome: 'failure' },
        since: 0,
        actor: 'a',
      });
      await store.reserveBudget({
        key: `k${i}`,
        id: 'r',
        amountMicros: 1,
        limitMicros: 10,
        enforce: true,
        reservationTtlMs: 100,
        ttlMs: 2000,
        dedupeWindowMs: 100,
      });
      await store.acquireRate({
        group: 'g',
        buckets: [{ key: `b${i}`, ratePerMs: 1, burst: 10, cost: 10 }],
        maxWaitMs: 0,
      });
    }
    expect(store.size()).toBe(150);
    time.advance(1011);
    expect(store.size()).toBe(50); // breakers and full buckets gone
    time.advance(1000);
    expect(store.size()).toBe(0);
    // A forgotten breaker starts over: closed, no count.
    const r = await store.breaker({
      name: 'b0',
      config,
      command: { type: 'record', outcome: 'failure' },
      since: 0,
      actor: 'a',
    });
    expect(r).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
  });

  it('sweeps expired entries as it is used, without being asked', async () => {
    const time = manualClock();
    const store = new InMemoryStateStore({ clock: time.now });
    await store.acquireRate({
      group: 'g',
      buckets: [{ key: 'old', ratePerMs: 1, burst: 1, cost: 1 }],
      maxWaitMs: 0,
    });
    time.advance(10_000);
    for (let i = 0; i < 300; i++) await store.budgetTotals('nothing');
    // size() sweeps too, so check through a fresh bucket read: the old one is gone and reads as full.
    expect(
      await store.acquireRate({
        group: 'g',
        buckets: [{ key: 'old', ratePerMs: 0, burst: 1, cost: 1 }],
        maxWaitMs: 0,
      }),
    ).toMatchObject({ admitted: true });
    expect(store.size()).toBe(1);
  });

  it('a bucket that never refills makes every call wait forever (refused)', async () => {
    const store = new InMemoryStateStore();
    const bucket = { key: 'dry', ratePerMs: 0, burst: 1, cost: 1 };
    await store.acquireRate({ group: 'g', buckets: [bucket], maxWaitMs: 0 });
    expect(await store.acquireRate({ group: 'g', buckets: [bucket], maxWaitMs: 1e9 })).toMatchObject({
      admitted: false,
      waitMs: Number.POSITIVE_INFINITY,
      bound: 0,
    });
  });

  it('keeps a budget forever with ttlMs 0', async () => {
    const time = manualClock();
    const store = new InMemoryStateStore({ clock: time.now });
    const retention = { ttlMs: 0, dedupeWindowMs: 1 };
    await store.settleBudget({
      key: 'k',
      settlements: [{ id: 'u', reserved: false, reservedMicros: 0, actualMicros: 5 }],
      ...retention,
    });
    time.advance(1e12);
    expect(await store.budgetTotals('k')).toEqual({ spentMicros: 5, reservedMicros: 0 });
  });
});

import type {
  BreakerCommand,
  BreakerRequest,
  BudgetRetention,
  CircuitState,
  CircuitStateChange,
  RateBucket,
  SharedBreakerConfig,
  StateStore,
} from '@agentrace/core';
import {
  CircuitBreaker,
  CircuitOpenError,
  ConsecutiveFailureStrategy,
  FailureRateStrategy,
} from '@agentrace/core';
import { afterEach, describe, expect, it } from 'vitest';
import { loadVector } from './vectors.js';

/** A store under test, on a clock the test drives (epoch ms). */
export type StoreFactory = (clock: () => number) => StateStore;

const T0 = 1_800_000_000_000;

/** A clock the test moves by hand. */
export function manualClock(start = T0) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

const retention: BudgetRetention = { ttlMs: 60_000, dedupeWindowMs: 10_000 };

const consecutive = (threshold: number, extra: Partial<SharedBreakerConfig> = {}): SharedBreakerConfig => ({
  recoveryTimeoutMs: 1000,
  halfOpenMaxProbes: 2,
  probeLeaseMs: 500,
  strategy: { kind: 'consecutive', threshold },
  ttlMs: 60_000,
  ...extra,
});

let unique = 0;

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

/**
 * The behaviour every {@link StateStore} must have, identically: run with `InMemoryStateStore` in core and with
 * `RedisStateStore` against a real redis-server in @agentrace/redis.
 */
export function describeStateStoreContract(label: string, factory: StoreFactory): void {
  describe(`StateStore contract: ${label}`, () => {
    const opened: CircuitBreaker[] = [];
    afterEach(() => {
      for (const b of opened.splice(0)) b.close();
    });

    function setup() {
      const time = manualClock();
      const store = factory(time.now);
      const name = `contract-${process.pid}-${++unique}`;
      const ask = (command: BreakerCommand, config = consecutive(3), since = 0, actor = 'a') => {
        const request: BreakerRequest = { name, config, command, since, actor };
        return store.breaker(request);
      };
      return { time, store, name, ask };
    }

    describe('reference vectors, replayed on two breakers sharing the store', () => {
      const cases = (loadVector('circuit_breaker') as { cases: VectorCase[] }).cases;
      it.each(cases.map((c, i) => [i, c] as const))(
        'case %i: both breakers follow the trace',
        async (i, c) => {
          const { time, store } = setup();
          const make = () => {
            const b = new CircuitBreaker({
              name: `vector-${process.pid}-${++unique}-${i}`,
              failureThreshold: c.failure_threshold,
              recoveryTimeoutMs: c.recovery_timeout_seconds * 1000,
              halfOpenMaxProbes: c.half_open_max_probes,
              clock: time.now,
              store,
              syncIntervalMs: 3_600_000,
            });
            opened.push(b);
            return b;
          };
          const a = make();
          // The second breaker shares the first's name: one circuit, two "processes".
          const b = new CircuitBreaker({
            name: a.name,
            failureThreshold: c.failure_threshold,
            recoveryTimeoutMs: c.recovery_timeout_seconds * 1000,
            halfOpenMaxProbes: c.half_open_max_probes,
            clock: time.now,
            store,
            syncIntervalMs: 3_600_000,
          });
          opened.push(b);
          const boom = new Error('boom');
          for (const [step, s] of c.trace.entries()) {
            const who = step % 2 === 0 ? a : b;
            let result: string | undefined;
            const [op, arg] = s.op;
            if (op === 'tick') time.advance((arg as number) * 1000);
            else if (op === 'reset') {
              who.reset();
              await who.sync();
            } else {
              try {
                await who.execute(() => {
                  if (op === 'fail') throw boom;
                  return 'value';
                });
                result = 'ok';
              } catch (err) {
                result = CircuitOpenError.isInstance(err) ? 'rejected' : err === boom ? 'error' : String(err);
              }
            }
            await a.sync();
            await b.sync();
            expect({ step, result, a: a.state(), b: b.state() }).toEqual({
              step,
              result: s.result,
              a: s.state,
              b: s.state,
            });
          }
        },
      );
    });

    describe('breaker commands', () => {
      it('reads an unknown breaker as closed without creating it', async () => {
        const { ask } = setup();
        const r = await ask({ type: 'read' }, consecutive(3), -1);
        expect(r).toMatchObject({ state: 'closed', generation: 0, admitted: false, transitions: [] });
      });

      it('opens at the threshold, records the transition once, and rejects with the time left', async () => {
        const { ask, time } = setup();
        const admit = await ask({ type: 'admit', leaseId: 'l1' });
        expect(admit.admitted).toBe(true);
        const g = admit.generation;
        for (let k = 0; k < 2; k++) {
          const r = await ask({ type: 'settle', generation: g, outcome: 'failure', leaseId: 'l1' });
          expect(r.state).toBe('closed');
          expect(r.consecutiveFailures).toBe(k + 1);
        }
        const third = await ask(
          { type: 'settle', generation: g, outcome: 'failure', leaseId: 'l1' },
          consecutive(3),
          g,
          'me',
        );
        expect(third.state).toBe('open');
        expect(third.generation).toBe(g + 1);
        expect(third.transitions).toEqual([
          {
            generation: g + 1,
            from: 'closed',
            to: 'open',
            reason: 'failure_threshold',
            at: time.now(),
            actor: 'me',
          },
        ]);
        // A late outcome of a call admitted before the circuit opened is not counted.
        const late = await ask({ type: 'settle', generation: g, outcome: 'failure', leaseId: 'l1' });
        expect(late.generation).toBe(g + 1);
        time.advance(400);
        const rejected = await ask({ type: 'admit', leaseId: 'l2' });
        expect(rejected).toMatchObject({ admitted: false, state: 'open', retryAfterMs: 600 });
      });

      it('a success resets the consecutive count', async () => {
        const { ask } = setup();
        const g = (await ask({ type: 'admit', leaseId: 'x' })).generation;
        await ask({ type: 'settle', generation: g, outcome: 'failure', leaseId: 'x' });
        await ask({ type: 'settle', generation: g, outcome: 'failure', leaseId: 'x' });
        const r = await ask({ type: 'settle', generation: g, outcome: 'success', leaseId: 'x' });
        expect(r.consecutiveFailures).toBe(0);
        const again = await ask({ type: 'settle', generation: g, outcome: 'failure', leaseId: 'x' });
        expect(again).toMatchObject({ state: 'closed', consecutiveFailures: 1 });
      });

      it('goes half-open after the recovery timeout and admits exactly halfOpenMaxProbes probes', async () => {
        const { ask, time } = setup();
        await ask({ type: 'record', outcome: 'failure' }, consecutive(1));
        time.advance(999);
        expect((await ask({ type: 'read' })).state).toBe('open');
        time.advance(1);
        const probes = [];
        for (let k = 0; k < 4; k++) probes.push(await ask({ type: 'admit', leaseId: `p${k}` }));
        expect(probes.map((p) => p.admitted)).toEqual([true, true, false, false]);
        expect(probes[3]).toMatchObject({ state: 'half_open', inFlight: 2, retryAfterMs: 0 });
        // A probe success closes the circuit for everyone.
        const closed = await ask({
          type: 'settle',
          generation: probes[0]!.generation,
          outcome: 'success',
          leaseId: 'p0',
        });
        expect(closed.state).toBe('closed');
        // The other probe's outcome belongs to the superseded half-open spell: ignored.
        const stale = await ask({
          type: 'settle',
          generation: probes[1]!.generation,
          outcome: 'failure',
          leaseId: 'p1',
        });
        expect(stale).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
      });

      it('frees the slot of a probe whose lease expired (a crashed prober cannot wedge the circuit)', async () => {
        const { ask, time } = setup();
        const config = consecutive(1, { halfOpenMaxProbes: 1 });
        await ask({ type: 'record', outcome: 'failure' }, config);
        time.advance(1000);
        expect((await ask({ type: 'admit', leaseId: 'dead' }, config)).admitted).toBe(true);
        time.advance(499);
        expect((await ask({ type: 'admit', leaseId: 'p' }, config)).admitted).toBe(false);
        time.advance(1);
        const next = await ask({ type: 'admit', leaseId: 'p' }, config);
        expect(next).toMatchObject({ admitted: true, state: 'half_open', inFlight: 1 });
        // A failed probe re-opens the circuit and restarts the recovery timer.
        const reopened = await ask(
          { type: 'settle', generation: next.generation, outcome: 'failure', leaseId: 'p' },
          config,
        );
        expect(reopened).toMatchObject({ state: 'open', retryAfterMs: 1000 });
      });

      it('a probe that renews its lease keeps its slot; a lapsed lease or an ended spell is not renewed', async () => {
        const { ask, time } = setup();
        const config = consecutive(1, { halfOpenMaxProbes: 1 });
        await ask({ type: 'record', outcome: 'failure' }, config);
        time.advance(1000);
        const probe = await ask({ type: 'admit', leaseId: 'slow' }, config);
        expect(probe).toMatchObject({ admitted: true, state: 'half_open' });
        const renew = (generation: number, leaseId = 'slow') =>
          ask({ type: 'renew', generation, leaseId }, config);
        for (let i = 0; i < 3; i++) {
          time.advance(400);
          expect(await renew(probe.generation)).toMatchObject({
            admitted: true,
            state: 'half_open',
            inFlight: 1,
          });
        }
        // 1,200 ms after it was admitted, well past its 500 ms lease, the slot is still the slow probe's.
        expect((await ask({ type: 'admit', leaseId: 'second' }, config)).admitted).toBe(false);
        expect((await renew(probe.generation - 1)).admitted).toBe(false);
        expect(await renew(probe.generation, 'ghost')).toMatchObject({ admitted: false, inFlight: 1 });
        // Left to lapse, a lease cannot be brought back, and its slot goes to the next probe.
        time.advance(500);
        expect((await renew(probe.generation)).admitted).toBe(false);
        const second = await ask({ type: 'admit', leaseId: 'second' }, config);
        expect(second).toMatchObject({ admitted: true, inFlight: 1 });
        // Once the spell ends, its leases are gone: nothing to renew.
        await ask(
          { type: 'settle', generation: second.generation, outcome: 'success', leaseId: 'second' },
          config,
        );
        expect(await renew(second.generation, 'second')).toMatchObject({ admitted: false, state: 'closed' });
      });

      it('an ignored probe outcome (cancelled, filtered) frees its slot without deciding', async () => {
        const { ask, time } = setup();
        const config = consecutive(1, { halfOpenMaxProbes: 1 });
        await ask({ type: 'record', outcome: 'failure' }, config);
        time.advance(1000);
        const probe = await ask({ type: 'admit', leaseId: 'p' }, config);
        const r = await ask(
          { type: 'settle', generation: probe.generation, outcome: 'ignored', leaseId: 'p' },
          config,
        );
        expect(r).toMatchObject({ state: 'half_open', inFlight: 0 });
        expect((await ask({ type: 'admit', leaseId: 'q' }, config)).admitted).toBe(true);
      });

      it('records outside execute: failure while open restarts the timer, success while half-open closes', async () => {
        const { ask, time } = setup();
        const config = consecutive(1);
        await ask({ type: 'record', outcome: 'failure' }, config);
        time.advance(800);
        await ask({ type: 'record', outcome: 'failure' }, config);
        expect((await ask({ type: 'read' }, config)).retryAfterMs).toBe(1000);
        await ask({ type: 'record', outcome: 'success' }, config);
        expect((await ask({ type: 'read' }, config)).state).toBe('open');
        time.advance(1000);
        expect((await ask({ type: 'record', outcome: 'success' }, config)).state).toBe('closed');
        await ask({ type: 'record', outcome: 'failure' }, config);
        time.advance(1000);
        expect((await ask({ type: 'record', outcome: 'failure' }, config)).state).toBe('open');
      });

      it('reset closes from any state and clears the counts', async () => {
        const { ask } = setup();
        await ask({ type: 'record', outcome: 'failure' });
        expect((await ask({ type: 'reset' })).consecutiveFailures).toBe(0);
        await ask({ type: 'record', outcome: 'failure' }, consecutive(1));
        const r = await ask({ type: 'reset' }, consecutive(1), 0);
        expect(r.state).toBe('closed');
        expect(r.transitions.map((t) => `${t.from}>${t.to}:${t.reason}`)).toEqual([
          'closed>open:failure_threshold',
          'open>closed:reset',
        ]);
      });

      it('shares the failure-rate window, bucket for bucket', async () => {
        const { ask, time } = setup();
        const config: SharedBreakerConfig = {
          ...consecutive(1),
          strategy: { kind: 'failure_rate', threshold: 0.5, windowMs: 1000, minimumCalls: 4, buckets: 4 },
        };
        const g = (await ask({ type: 'admit', leaseId: 'x' }, config)).generation;
        const settle = (outcome: 'success' | 'failure') =>
          ask({ type: 'settle', generation: g, outcome, leaseId: 'x' }, config);
        await settle('success');
        await settle('success');
        await settle('failure');
        time.advance(1000); // the first three fall out of the window
        await settle('success');
        await settle('failure');
        let r = await settle('success');
        expect(r).toMatchObject({ state: 'closed', windowCalls: 3, windowFailures: 1 });
        r = await settle('failure');
        expect(r).toMatchObject({ state: 'open', windowCalls: 4, windowFailures: 2 });
      });

      it('keeps only the newest transitions in its log', async () => {
        const { ask } = setup();
        const config = consecutive(1);
        for (let k = 0; k < 20; k++) {
          await ask({ type: 'record', outcome: 'failure' }, config);
          await ask({ type: 'reset' }, config);
        }
        const r = await ask({ type: 'read' }, config, 0);
        expect(r.transitions).toHaveLength(32);
        expect(r.transitions[31]!.generation).toBe(r.generation);
        expect(r.transitions[0]!.generation).toBe(r.generation - 31);
      });
    });

    describe('budgets', () => {
      const reserve = (
        store: StateStore,
        key: string,
        id: string,
        amount: number,
        limit = 1000,
        enforce = true,
      ) =>
        store.reserveBudget({
          key,
          id,
          amountMicros: amount,
          limitMicros: limit,
          enforce,
          reservationTtlMs: 1000,
          ...retention,
        });

      it('reserves while spent + reserved + amount fits, refuses beyond, and settles the actual cost', async () => {
        const { store, name } = setup();
        expect(await reserve(store, name, 'a', 600)).toEqual({
          admitted: true,
          spentMicros: 0,
          reservedMicros: 600,
        });
        expect(await reserve(store, name, 'b', 400)).toEqual({
          admitted: true,
          spentMicros: 0,
          reservedMicros: 1000,
        });
        expect(await reserve(store, name, 'c', 1)).toEqual({
          admitted: false,
          spentMicros: 0,
          reservedMicros: 1000,
        });
        const settled = await store.settleBudget({
          key: name,
          settlements: [{ id: 'a', reserved: true, reservedMicros: 600, actualMicros: 450 }],
          ...retention,
        });
        expect(settled).toEqual({ applied: 1, duplicates: 0, spentMicros: 450, reservedMicros: 400 });
        expect(await reserve(store, name, 'c', 150)).toMatchObject({ admitted: true });
        expect(await store.budgetTotals(name)).toEqual({ spentMicros: 450, reservedMicros: 550 });
      });

      it('a budget that is not enforced always reserves', async () => {
        const { store, name } = setup();
        expect((await reserve(store, name, 'a', 5000, 10, false)).admitted).toBe(true);
      });

      it('applies each settlement once, whether retried or delivered late after its reservation expired', async () => {
        const { store, name, time } = setup();
        await reserve(store, name, 'a', 100);
        await reserve(store, name, 'b', 100);
        const a = { id: 'a', reserved: true, reservedMicros: 100, actualMicros: 90 };
        const settle = (settlements: Parameters<StateStore['settleBudget']>[0]['settlements']) =>
          store.settleBudget({ key: name, settlements, ...retention });
        expect(await settle([a])).toMatchObject({ applied: 1, duplicates: 0, spentMicros: 90 });
        expect(await settle([a])).toMatchObject({ applied: 0, duplicates: 1, spentMicros: 90 });
        time.advance(1000); // b's reservation expires: its amount is freed ...
        expect(
          await store.reserveBudget({
            key: name,
            id: 'c',
            amountMicros: 0,
            limitMicros: 1000,
            enforce: true,
            reservationTtlMs: 1000,
            ...retention,
          }),
        ).toMatchObject({ reservedMicros: 0 });
        // ... and its late settlement still counts, once.
        const b = { id: 'b', reserved: true, reservedMicros: 100, actualMicros: 120 };
        expect(await settle([b, b])).toMatchObject({ applied: 1, duplicates: 1, spentMicros: 210 });
        // Spend recorded without a reservation (while the store was away) is applied once per id.
        const u = { id: 'u1', reserved: false, reservedMicros: 0, actualMicros: 7 };
        expect(await settle([u, u])).toMatchObject({ applied: 1, duplicates: 1, spentMicros: 217 });
        time.advance(10_001); // past the dedupe window the id is forgotten
        expect(await settle([u])).toMatchObject({ applied: 1, spentMicros: 224 });
      });

      it('an unreserved settlement releases the reservation the store made under its id, and a later one holds nothing', async () => {
        const { store, name } = setup();
        // The process asked to reserve 300 under r1, gave up waiting (the reply was lost) and went on without it.
        await reserve(store, name, 'r1', 300);
        const r1 = { id: 'r1', reserved: false, reservedMicros: 300, actualMicros: 250 };
        const settle = (settlements: Parameters<StateStore['settleBudget']>[0]['settlements']) =>
          store.settleBudget({ key: name, settlements, ...retention });
        expect(await settle([r1])).toEqual({
          applied: 1,
          duplicates: 0,
          spentMicros: 250,
          reservedMicros: 0,
        });
        expect(await settle([r1])).toMatchObject({ applied: 0, duplicates: 1, reservedMicros: 0 });
        // A reservation under r2 that arrives only after r2 was settled without it reserves nothing.
        expect(
          await settle([{ id: 'r2', reserved: false, reservedMicros: 300, actualMicros: 10 }]),
        ).toMatchObject({
          spentMicros: 260,
          reservedMicros: 0,
        });
        expect(await reserve(store, name, 'r2', 300)).toEqual({
          admitted: true,
          spentMicros: 260,
          reservedMicros: 0,
        });
      });

      it('keeps budgets apart by key and reads an unknown one as zero', async () => {
        const { store, name } = setup();
        await reserve(store, `${name}:a`, 'x', 10);
        expect(await store.budgetTotals(`${name}:b`)).toEqual({ spentMicros: 0, reservedMicros: 0 });
      });
    });

    describe('rate buckets', () => {
      // 10 per second, burst 2.
      const bucket = (key: string, cost = 1): RateBucket => ({ key, ratePerMs: 0.01, burst: 2, cost });

      it('admits the burst at once, then reserves the waits in order, and refuses past the maximum wait', async () => {
        const { store, name, time } = setup();
        const acquire = async (maxWaitMs = 250) => {
          const { at, ...rest } = await store.acquireRate({ group: name, buckets: [bucket('r')], maxWaitMs });
          expect(at).toBe(time.now());
          return rest;
        };
        expect(await acquire()).toEqual({ admitted: true, waitMs: 0, bound: -1 });
        expect(await acquire()).toEqual({ admitted: true, waitMs: 0, bound: -1 });
        expect(await acquire()).toEqual({ admitted: true, waitMs: 100, bound: 0 });
        expect(await acquire()).toEqual({ admitted: true, waitMs: 200, bound: 0 });
        expect(await acquire()).toEqual({ admitted: false, waitMs: 300, bound: 0 });
        time.advance(200);
        expect(await acquire()).toEqual({ admitted: true, waitMs: 100, bound: 0 });
        expect(await acquire(0)).toMatchObject({ admitted: false, waitMs: 200 });
      });

      it('takes from every bucket or none, and reports the one that bound', async () => {
        const { store, name } = setup();
        const tokens: RateBucket = { key: 't', ratePerMs: 1, burst: 100, cost: 80 };
        const both = [bucket('r'), tokens];
        expect(await store.acquireRate({ group: name, buckets: both, maxWaitMs: 1000 })).toMatchObject({
          admitted: true,
          waitMs: 0,
          bound: -1,
        });
        expect(await store.acquireRate({ group: name, buckets: both, maxWaitMs: 10 })).toMatchObject({
          admitted: false,
          waitMs: 60,
          bound: 1,
        });
        // Nothing was taken by the refusal: the request bucket still has one left.
        expect(await store.acquireRate({ group: name, buckets: [bucket('r')], maxWaitMs: 0 })).toMatchObject({
          admitted: true,
        });
      });

      it('adjusts after the fact: refunds up to the burst, debts delay the next caller', async () => {
        const { store, name } = setup();
        const t = (cost: number): RateBucket => ({ key: 't', ratePerMs: 0.1, burst: 100, cost });
        await store.acquireRate({ group: name, buckets: [t(100)], maxWaitMs: 0 });
        await store.adjustRate({ group: name, buckets: [t(-500)] });
        expect(await store.acquireRate({ group: name, buckets: [t(100)], maxWaitMs: 0 })).toMatchObject({
          admitted: true,
          waitMs: 0,
        });
        await store.adjustRate({ group: name, buckets: [t(50)] });
        expect(await store.acquireRate({ group: name, buckets: [t(10)], maxWaitMs: 1000 })).toMatchObject({
          admitted: true,
          waitMs: 600,
          bound: 0,
        });
      });

      it('keeps groups apart', async () => {
        const { store, name } = setup();
        await store.acquireRate({ group: `${name}:a`, buckets: [bucket('r', 2)], maxWaitMs: 0 });
        expect(
          await store.acquireRate({ group: `${name}:b`, buckets: [bucket('r', 2)], maxWaitMs: 0 }),
        ).toMatchObject({ admitted: true, waitMs: 0 });
      });
    });

    describe('shared breakers over the store', () => {
      it('report every transition on every breaker, marked shared, with the origin', async () => {
        const { store, time } = setup();
        const name = `fleet-${process.pid}-${++unique}`;
        const make = () => {
          const b = new CircuitBreaker({
            name,
            strategy: new ConsecutiveFailureStrategy({ threshold: 2 }),
            recoveryTimeoutMs: 1000,
            clock: time.now,
            store,
            syncIntervalMs: 3_600_000,
          });
          opened.push(b);
          const seen: CircuitStateChange[] = [];
          b.onStateChange((c) => seen.push(c));
          return { b, seen };
        };
        const one = make();
        const two = make();
        await one.b.sync();
        await two.b.sync();
        const fail = (b: CircuitBreaker) =>
          b
            .execute(() => {
              throw new Error('down');
            })
            .catch(() => undefined);
        await fail(one.b);
        await fail(two.b);
        await one.b.sync();
        expect(one.b.state()).toBe('open');
        expect(two.b.state()).toBe('open');
        expect(two.seen).toEqual([
          expect.objectContaining({
            from: 'closed',
            to: 'open',
            reason: 'failure_threshold',
            shared: true,
            origin: 'local',
          }),
        ]);
        expect(one.seen).toEqual([
          expect.objectContaining({ from: 'closed', to: 'open', shared: true, origin: 'remote' }),
        ]);
        expect(one.seen[0]!.generation).toBe(two.seen[0]!.generation);
        expect(two.seen[0]!.lastError).toBeInstanceOf(Error);
        expect(one.seen[0]!.lastError).toBeUndefined();
        time.advance(1000);
        await one.b.sync();
        await two.b.sync();
        expect([one.b.state(), two.b.state()]).toEqual(['half_open', 'half_open']);
        expect(one.seen.map((c) => c.origin)).toEqual(['remote', 'local']);
        expect(two.seen.map((c) => c.origin)).toEqual(['local', 'remote']);
      });

      it('share a failure-rate strategy', async () => {
        const { store, time } = setup();
        const name = `rate-${process.pid}-${++unique}`;
        const make = () => {
          const b = new CircuitBreaker({
            name,
            strategy: new FailureRateStrategy({ threshold: 0.5, windowMs: 10_000, minimumCalls: 4 }),
            clock: time.now,
            store,
            syncIntervalMs: 3_600_000,
          });
          opened.push(b);
          return b;
        };
        const [a, b] = [make(), make()];
        await a.execute(() => 'ok');
        await b.execute(() => 'ok');
        await a.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
        expect(a.toJSON()).toMatchObject({ state: 'closed', strategy: { calls: 3, failures: 1 } });
        await b.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
        await a.sync();
        expect([a.state(), b.state()]).toEqual(['open', 'open']);
      });
    });
  });
}

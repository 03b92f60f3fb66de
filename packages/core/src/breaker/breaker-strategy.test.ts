import { ValidationError } from '@agentrace/pricing';
import { describe, expect, it } from 'vitest';
import {
  ConsecutiveFailureStrategy,
  FailureRateStrategy,
  type FailureRateStrategyOptions,
  requirePositiveInteger,
} from './breaker-strategy.js';

function validationField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (ValidationError.isInstance(err)) return err.field;
    throw err;
  }
  return undefined;
}

describe('ConsecutiveFailureStrategy', () => {
  it('opens at the threshold of consecutive failures', () => {
    const s = new ConsecutiveFailureStrategy({ threshold: 3 });
    expect([s.onFailure(0), s.onFailure(0), s.onFailure(0)]).toEqual([false, false, true]);
    expect(s.consecutiveFailures).toBe(3);
  });

  it('resets the count on a success and on reset()', () => {
    const s = new ConsecutiveFailureStrategy({ threshold: 2 });
    s.onFailure(0);
    s.onSuccess(0);
    expect(s.onFailure(0)).toBe(false);
    s.reset();
    expect(s.consecutiveFailures).toBe(0);
    expect(s.onFailure(0)).toBe(false);
    expect(s.onFailure(0)).toBe(true);
  });

  it('ignores time: failures far apart still count consecutively', () => {
    const s = new ConsecutiveFailureStrategy({ threshold: 2 });
    s.onFailure(0);
    expect(s.onFailure(10 * 60_000)).toBe(true);
  });

  it('writes a snake_case snapshot', () => {
    const s = new ConsecutiveFailureStrategy({ threshold: 4 });
    s.onFailure(0);
    expect(s.toJSON()).toEqual({ kind: 'consecutive', threshold: 4, consecutive_failures: 1 });
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3', undefined])(
    'rejects threshold %s with a ValidationError naming it',
    (threshold) => {
      expect(validationField(() => new ConsecutiveFailureStrategy({ threshold: threshold as number }))).toBe(
        'threshold',
      );
    },
  );
});

describe('FailureRateStrategy', () => {
  const options = { threshold: 0.5, windowMs: 10_000, minimumCalls: 4 } satisfies FailureRateStrategyOptions;

  it('does not open before minimumCalls, however bad the ratio', () => {
    const s = new FailureRateStrategy(options);
    expect([s.onFailure(0), s.onFailure(1), s.onFailure(2)]).toEqual([false, false, false]);
    expect(s.onFailure(3)).toBe(true);
  });

  it('opens once failures / calls reaches the threshold', () => {
    const s = new FailureRateStrategy(options);
    s.onSuccess(0);
    s.onSuccess(1);
    s.onSuccess(2);
    expect(s.onFailure(3)).toBe(false); // 1/4
    expect(s.onFailure(4)).toBe(false); // 2/5
    expect(s.onFailure(5)).toBe(true); // 3/6
    expect(s.stats(5)).toEqual({ calls: 6, failures: 3 });
  });

  it('compares the ratio exactly (0.3 of 10 calls opens)', () => {
    const s = new FailureRateStrategy({ threshold: 0.3, windowMs: 1000, minimumCalls: 10 });
    for (let i = 0; i < 7; i++) s.onSuccess(0);
    expect(s.onFailure(0)).toBe(false);
    expect(s.onFailure(0)).toBe(false);
    expect(s.onFailure(0)).toBe(true); // 3 / 10
  });

  it('forgets calls once the window has moved past them', () => {
    const s = new FailureRateStrategy({ ...options, buckets: 10 }); // 1 s buckets
    s.onFailure(0);
    s.onFailure(500);
    s.onFailure(1500);
    expect(s.stats(9_999)).toEqual({ calls: 3, failures: 3 });
    // At 10 s the bucket [0, 1 s) has left the window; [1 s, 2 s) is still in it.
    expect(s.stats(10_000)).toEqual({ calls: 1, failures: 1 });
    expect(s.onFailure(10_000)).toBe(false); // 2 calls in the window, below minimumCalls
    expect(s.stats(30_000)).toEqual({ calls: 0, failures: 0 });
  });

  it('recycles ring slots for new buckets, keeping memory at O(buckets)', () => {
    const s = new FailureRateStrategy({ threshold: 0.5, windowMs: 1000, minimumCalls: 1, buckets: 2 });
    for (let t = 0; t < 100_000; t += 100) s.onSuccess(t);
    const samples = (s.toJSON() as { samples: unknown[] }).samples;
    expect(samples).toHaveLength(2);
    expect(samples).toEqual([
      { start_ms: 99_000, successes: 5, failures: 0 },
      { start_ms: 99_500, successes: 5, failures: 0 },
    ]);
    expect(s.stats(99_999)).toEqual({ calls: 10, failures: 0 });
  });

  it('forgets everything on reset()', () => {
    const s = new FailureRateStrategy(options);
    s.onFailure(0);
    s.onFailure(0);
    s.onFailure(0);
    s.reset();
    expect(s.stats(0)).toEqual({ calls: 0, failures: 0 });
    expect(s.onFailure(0)).toBe(false);
    expect((s.toJSON() as { samples: unknown[] }).samples).toHaveLength(1);
  });

  it('writes its configuration and samples as snake_case', () => {
    const s = new FailureRateStrategy({ threshold: 0.25, windowMs: 4000, minimumCalls: 2, buckets: 4 });
    s.onSuccess(1200);
    s.onFailure(100);
    expect(s.toJSON()).toEqual({
      kind: 'failure_rate',
      threshold: 0.25,
      window_ms: 4000,
      minimum_calls: 2,
      buckets: 4,
      samples: [
        { start_ms: 0, successes: 0, failures: 1 },
        { start_ms: 1000, successes: 1, failures: 0 },
      ],
    });
  });

  it('defaults to 10 buckets', () => {
    expect(new FailureRateStrategy(options).buckets).toBe(10);
  });

  it.each<[string, Partial<FailureRateStrategyOptions>]>([
    ['threshold', { threshold: 0 }],
    ['threshold', { threshold: 1.01 }],
    ['threshold', { threshold: Number.NaN }],
    ['windowMs', { windowMs: 0 }],
    ['windowMs', { windowMs: Number.POSITIVE_INFINITY }],
    ['minimumCalls', { minimumCalls: 0 }],
    ['minimumCalls', { minimumCalls: 2.5 }],
    ['buckets', { buckets: 0 }],
    ['buckets', { buckets: 1.5 }],
  ])('rejects a bad %s with a ValidationError naming it', (field, bad) => {
    expect(validationField(() => new FailureRateStrategy({ ...options, ...bad }))).toBe(field);
  });

  it('accepts a threshold of exactly 1 (open only when every call failed)', () => {
    const s = new FailureRateStrategy({ threshold: 1, windowMs: 1000, minimumCalls: 2 });
    s.onSuccess(0);
    expect(s.onFailure(0)).toBe(false);
    expect(s.onFailure(0)).toBe(false);
  });
});

describe('requirePositiveInteger', () => {
  it('returns the value or throws a ValidationError with the field in the message', () => {
    expect(requirePositiveInteger('x', 7)).toBe(7);
    expect(() => requirePositiveInteger('halfOpenMaxProbes', -2)).toThrow(
      'halfOpenMaxProbes must be a positive integer, got -2',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { loadVector } from '../../../../test/helpers/vectors.js';
import { backoffDelay, JitterMode, nextProvider, smallerContextBudget } from './backoff.js';

interface NoneCase {
  attempt: number;
  base: number;
  cap: number;
  delay: number;
}

const vector = loadVector('backoff') as { none: NoneCase[]; bounds: Record<string, string> };

/** mulberry32: a small seeded PRNG, so every run draws the same numbers. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DRAWS = 200;
const bases = [...new Set(vector.none.map((c) => c.base))];
const caps = [...new Set(vector.none.map((c) => c.cap))];
const attempts = [...new Set(vector.none.map((c) => c.attempt))];
const grid = bases.flatMap((base) =>
  caps.flatMap((cap) => attempts.map((attempt) => ({ base, cap, attempt }))),
);
const exp = ({ base, cap, attempt }: { base: number; cap: number; attempt: number }) =>
  Math.min(cap, base ** attempt) * 1000;

describe('backoffDelay: reference vectors', () => {
  it('the vector describes the three jitter modes it bounds', () => {
    expect(Object.keys(vector.bounds).sort()).toEqual(['decorrelated', 'equal', 'full']);
  });

  it.each(vector.none)('none: attempt $attempt, base $base s, cap $cap s → $delay s', (c) => {
    const opts = { baseMs: c.base * 1000, capMs: c.cap * 1000 };
    expect(backoffDelay(c.attempt, { ...opts, jitter: 'none' })).toBe(c.delay * 1000);
    expect(backoffDelay(c.attempt, { ...opts, jitter: false })).toBe(c.delay * 1000);
  });

  it('full: 0 <= d <= min(cap, base^attempt), spread over the range', () => {
    const random = seeded(1);
    for (const g of grid) {
      const hi = exp(g);
      const draws = Array.from({ length: DRAWS }, () =>
        backoffDelay(g.attempt, { baseMs: g.base * 1000, capMs: g.cap * 1000, jitter: 'full', random }),
      );
      const [lo, top] = [Math.min(...draws), Math.max(...draws)];
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(top).toBeLessThanOrEqual(hi);
      // Spread over the range, not stuck at one end.
      expect(lo).toBeLessThan(hi * 0.1);
      expect(top).toBeGreaterThan(hi * 0.9);
    }
  });

  it('jitter: true means full', () => {
    const a = backoffDelay(3, { jitter: true, random: seeded(7) });
    const b = backoffDelay(3, { jitter: 'full', random: seeded(7) });
    expect(a).toBe(b);
    expect(backoffDelay(3, { jitter: true, random: () => 0.5 })).toBe(4000);
  });

  it('equal: min(cap, base^attempt)/2 <= d <= min(cap, base^attempt)', () => {
    const random = seeded(2);
    for (const g of grid) {
      const hi = exp(g);
      const draws = Array.from({ length: DRAWS }, () =>
        backoffDelay(g.attempt, { baseMs: g.base * 1000, capMs: g.cap * 1000, jitter: 'equal', random }),
      );
      const [lo, top] = [Math.min(...draws), Math.max(...draws)];
      expect(lo).toBeGreaterThanOrEqual(hi / 2);
      expect(top).toBeLessThanOrEqual(hi);
      expect(lo).toBeLessThan(hi * 0.55);
      expect(top).toBeGreaterThan(hi * 0.95);
    }
  });

  it('decorrelated: base <= d <= min(cap, 3 × (prev or base))', () => {
    const random = seeded(3);
    for (const base of bases) {
      for (const cap of caps) {
        for (const prev of [0, base / 2, base, 2 * base, 7.5, cap, 5 * cap]) {
          const anchor = prev > 0 ? prev : base;
          const hi = Math.min(cap, 3 * anchor) * 1000;
          const draws = Array.from({ length: DRAWS }, () =>
            backoffDelay(0, { baseMs: base * 1000, capMs: cap * 1000, prevDelayMs: prev * 1000, random }),
          );
          expect(Math.min(...draws)).toBeGreaterThanOrEqual(base * 1000);
          expect(Math.max(...draws)).toBeLessThanOrEqual(hi);
        }
      }
    }
  });

  it('decorrelated is the default, and a chain of delays stays within bounds and grows', () => {
    const random = seeded(4);
    let prev = 0;
    const chain: number[] = [];
    for (let attempt = 0; attempt < 30; attempt++) {
      const d = backoffDelay(attempt, { prevDelayMs: prev, random });
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(Math.min(60_000, 3 * (prev > 0 ? prev : 2000)));
      chain.push(d);
      prev = d;
    }
    expect(Math.max(...chain)).toBeGreaterThan(20_000);
  });
});

describe('backoffDelay: exact values and edges', () => {
  it('uses the defaults base 2000 ms and cap 60 000 ms', () => {
    expect(backoffDelay(0, { jitter: 'none' })).toBe(1000);
    expect(backoffDelay(1, { jitter: 'none' })).toBe(2000);
    expect(backoffDelay(5, { jitter: 'none' })).toBe(32_000);
    expect(backoffDelay(6, { jitter: 'none' })).toBe(60_000);
  });

  it('computes each mode from the draw', () => {
    expect(backoffDelay(2, { jitter: 'full', random: () => 0.25 })).toBe(1000);
    expect(backoffDelay(2, { jitter: 'equal', random: () => 0.5 })).toBe(3000);
    expect(backoffDelay(2, { jitter: 'equal', random: () => 0 })).toBe(2000);
    // decorrelated, no prev: uniform(2000, 6000)
    expect(backoffDelay(2, { random: () => 0 })).toBe(2000);
    expect(backoffDelay(2, { random: () => 0.5 })).toBe(4000);
    expect(backoffDelay(2, { random: () => 1 })).toBe(6000);
    // decorrelated with prev 10 000: uniform(2000, 30 000)
    expect(backoffDelay(2, { prevDelayMs: 10_000, random: () => 0.5 })).toBe(16_000);
    // ... capped
    expect(backoffDelay(2, { prevDelayMs: 50_000, random: () => 0.9 })).toBe(60_000);
    // prev so small that 3 × prev < base: stays at the base
    expect(backoffDelay(2, { prevDelayMs: 100, random: () => 0.7 })).toBe(2000);
  });

  it('caps huge exponents instead of overflowing', () => {
    expect(backoffDelay(5000, { jitter: 'none' })).toBe(60_000);
    expect(backoffDelay(5000, { jitter: 'full', random: () => 0.5 })).toBe(30_000);
    expect(backoffDelay(5000, { jitter: 'none', baseMs: 500 })).toBe(0);
    expect(backoffDelay(3, { jitter: 'none', capMs: 0 })).toBe(0);
  });

  it('rejects bad input, naming the field', () => {
    const field = (f: string) => expect.objectContaining({ name: 'ValidationError', field: f });
    for (const attempt of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      expect(() => backoffDelay(attempt)).toThrow(field('attempt'));
    }
    for (const baseMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => backoffDelay(1, { baseMs })).toThrow(field('baseMs'));
    }
    for (const capMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => backoffDelay(1, { capMs })).toThrow(field('capMs'));
    }
    expect(() => backoffDelay(1, { prevDelayMs: -5 })).toThrow(field('prevDelayMs'));
    expect(() => backoffDelay(1, { jitter: 'exponential' as JitterMode })).toThrow(field('jitter'));
    expect(() => backoffDelay(1, { jitter: 'exponential' as JitterMode })).toThrow(
      /jitter must be 'none', 'full', 'equal', 'decorrelated' or a boolean, got "exponential"/,
    );
    expect(() => backoffDelay(1, { random: 0.5 as unknown as () => number })).toThrow(field('random'));
    expect(() => backoffDelay(1, { jitter: 'full', random: () => 2 })).toThrow(field('random'));
    expect(() => backoffDelay(1, { jitter: 'full', random: () => Number.NaN })).toThrow(field('random'));
    // 'none' needs no draw, so a broken random is not called.
    expect(backoffDelay(1, { jitter: 'none', random: () => -1 })).toBe(2000);
  });

  it('JitterMode lists the four modes', () => {
    expect(Object.values(JitterMode)).toEqual(['none', 'full', 'equal', 'decorrelated']);
  });
});

describe('nextProvider', () => {
  const providers = ['openai', 'anthropic', 'google'];

  it('rotates to the provider after the current one, wrapping around', () => {
    expect(nextProvider(providers, 'openai')).toBe('anthropic');
    expect(nextProvider(providers, 'anthropic')).toBe('google');
    expect(nextProvider(providers, 'google')).toBe('openai');
  });

  it('starts at the first provider when the current one is not listed', () => {
    expect(nextProvider(providers, 'mistral')).toBe('openai');
  });

  it('skips duplicates of the current provider and gives undefined when there is no other', () => {
    expect(nextProvider(['a', 'a', 'b'], 'a')).toBe('b');
    expect(nextProvider(['a', 'a'], 'a')).toBeUndefined();
    expect(nextProvider(['a'], 'a')).toBeUndefined();
    expect(nextProvider([], 'a')).toBeUndefined();
  });

  it('rejects bad input, naming the field', () => {
    const field = (f: string) => expect.objectContaining({ name: 'ValidationError', field: f });
    expect(() => nextProvider('openai' as unknown as string[], 'openai')).toThrow(field('available'));
    expect(() => nextProvider(['a', 1] as unknown as string[], 'a')).toThrow(field('available'));
    expect(() => nextProvider(['a'], undefined as unknown as string)).toThrow(field('current'));
  });
});

describe('smallerContextBudget', () => {
  it('keeps 75% by default, rounded down', () => {
    expect(smallerContextBudget(10_000)).toBe(7500);
    expect(smallerContextBudget(10)).toBe(7);
    expect(smallerContextBudget(0)).toBe(0);
    expect(smallerContextBudget(10_000, 0.5)).toBe(5000);
  });

  it('rejects bad input, naming the field', () => {
    const field = (f: string) => expect.objectContaining({ name: 'ValidationError', field: f });
    for (const chars of [-1, 1.5, Number.NaN])
      expect(() => smallerContextBudget(chars)).toThrow(field('currentChars'));
    for (const r of [0, 1, 1.5, -0.5, Number.NaN])
      expect(() => smallerContextBudget(100, r)).toThrow(field('reduction'));
  });
});

// Found by the reliability fuzzer: a null options object was a TypeError.
describe('backoffDelay with options that are not an object', () => {
  it.each([null, 5, 'x'])('%o is refused with a ValidationError naming options', (options) => {
    expect(() => backoffDelay(1, options as never)).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'options' }),
    );
  });
});

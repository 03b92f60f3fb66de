import { ValidationError } from '@agentrace/core';

/**
 * A seeded source of uniform numbers in [0, 1), with the few helpers the demo needs. Every random choice the demo
 * makes (latencies, token counts, tool results, recovery jitter) comes from one of these, so a seed fixes the run.
 */
export interface SeededRandom {
  /** The next uniform number in [0, 1); pass it as a `random` option (recovery jitter). */
  readonly next: () => number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /**
   * An independent stream for one concern, derived from this stream's seed and `label`: adding draws to one
   * concern (a new tool, another retry) leaves every other concern's numbers unchanged.
   */
  fork(label: string): SeededRandom;
}

/** FNV-1a over the label, mixed with the seed: a 32-bit seed per stream. */
function mix(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A {@link SeededRandom} on mulberry32: tiny, fast and good enough for simulation (not for cryptography).
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * const latency = random.fork('latency').int(20, 80);
 * ```
 * @throws {ValidationError} `seed` is not a non-negative safe integer.
 */
export function seededRandom(seed: number): SeededRandom {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ValidationError({ field: 'seed', value: seed, expected: 'a non-negative integer' });
  }
  return stream(seed >>> 0 === seed ? seed : mix(0, String(seed)));
}

function stream(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int(min, max) {
      return min + Math.floor(next() * (max - min + 1));
    },
    pick(items) {
      if (items.length === 0)
        throw new ValidationError({ field: 'items', value: items, expected: 'a non-empty list' });
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    fork(label) {
      return stream(mix(seed, label));
    },
  };
}

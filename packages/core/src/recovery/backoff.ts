import { ValidationError } from '@agentrace/pricing';
import { isOneOf, type ValueOf } from '../common/wire.js';

/**
 * How a backoff delay is spread (Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog).
 * Spreading keeps many clients that failed together from retrying together.
 */
export const JitterMode = {
  /** The plain exponential delay, capped. */
  NONE: 'none',
  /** Uniform between 0 and the exponential delay: the widest spread. */
  FULL: 'full',
  /** Half the exponential delay, plus uniform up to the other half. */
  EQUAL: 'equal',
  /** Uniform between the base and three times the previous delay, capped. */
  DECORRELATED: 'decorrelated',
} as const;
export type JitterMode = ValueOf<typeof JitterMode>;

/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** The base delay in ms (> 0). Default 2000. */
  baseMs?: number;
  /** The jitter mode; `true` means `'full'`, `false` means `'none'`. Default `'decorrelated'`. */
  jitter?: JitterMode | boolean;
  /** No delay is longer than this, in ms (≥ 0). Default 60 000. */
  capMs?: number;
  /** The previous delay in ms, for `'decorrelated'` (≥ 0). Absent or 0: start from `baseMs`. */
  prevDelayMs?: number;
  /** A source of uniform numbers in [0, 1). Default `Math.random`; inject a seeded one in tests. */
  random?: () => number;
}

function check(field: string, value: unknown, ok: boolean, expected: string): void {
  if (!ok) throw new ValidationError({ field, value, expected });
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function jitterMode(jitter: BackoffOptions['jitter']): JitterMode {
  if (jitter === undefined) return JitterMode.DECORRELATED;
  if (jitter === true) return JitterMode.FULL;
  if (jitter === false) return JitterMode.NONE;
  check(
    'jitter',
    jitter,
    isOneOf(JitterMode, jitter),
    "'none', 'full', 'equal', 'decorrelated' or a boolean",
  );
  return jitter;
}

/**
 * The delay before retry number `attempt`, in milliseconds.
 *
 * With `exp = min(capMs, 1000 × (baseMs / 1000) ^ attempt)` — the reference's `base ^ attempt` seconds,
 * in ms, so `attempt` 0 is always 1 s before the cap:
 * - `'none'`: `exp`;
 * - `'full'`: uniform in [0, exp];
 * - `'equal'`: exp/2 + uniform in [0, exp/2];
 * - `'decorrelated'` (default): `min(capMs, uniform(baseMs, 3 × prev))` where `prev` is `prevDelayMs`, or
 *   `baseMs` when it is absent or 0. Feed each delay back as the next `prevDelayMs`. Where `3 × prev` is
 *   below `baseMs` the draw stays at `baseMs` (the reference would go below it), so the delay is never
 *   shorter than the base unless the cap is.
 *
 * @throws {ValidationError} naming the field: `attempt` not a non-negative safe integer; `baseMs` not a
 *   finite number > 0; `capMs` or `prevDelayMs` not a finite number ≥ 0; `jitter` not a mode or boolean;
 *   `random` not a function or returning something outside [0, 1].
 * @example
 * ```ts
 * backoffDelay(3, { baseMs: 2000, jitter: 'none' }); // 8000
 * let prev = 0;
 * for (let attempt = 0; attempt < 5; attempt++) {
 *   prev = backoffDelay(attempt, { prevDelayMs: prev }); // decorrelated, 2 s .. 60 s
 * }
 * ```
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  if (typeof opts !== 'object' || opts === null) {
    throw new ValidationError({ field: 'options', value: opts, expected: 'an options object' });
  }
  const { baseMs = 2000, capMs = 60_000, prevDelayMs = 0, random = Math.random } = opts;
  check('attempt', attempt, Number.isSafeInteger(attempt) && attempt >= 0, 'a non-negative safe integer');
  check('baseMs', baseMs, isFiniteNumber(baseMs) && baseMs > 0, 'a finite number greater than 0');
  check('capMs', capMs, isFiniteNumber(capMs) && capMs >= 0, 'a finite number greater than or equal to 0');
  check(
    'prevDelayMs',
    prevDelayMs,
    isFiniteNumber(prevDelayMs) && prevDelayMs >= 0,
    'a finite number greater than or equal to 0',
  );
  check('random', random, typeof random === 'function', 'a function returning numbers in [0, 1)');
  const mode = jitterMode(opts.jitter);

  const draw = (): number => {
    const r = random();
    check('random', r, isFiniteNumber(r) && r >= 0 && r <= 1, 'a function returning numbers in [0, 1)');
    return r;
  };
  // Past the cap the power may overflow to Infinity; min() turns that back into the cap.
  const exp = Math.min(capMs, 1000 * (baseMs / 1000) ** attempt);
  switch (mode) {
    case JitterMode.NONE:
      return exp;
    case JitterMode.FULL:
      return draw() * exp;
    case JitterMode.EQUAL:
      return exp / 2 + draw() * (exp / 2);
    case JitterMode.DECORRELATED: {
      const anchor = prevDelayMs > 0 ? prevDelayMs : baseMs;
      const high = Math.max(baseMs, anchor * 3);
      return Math.min(capMs, baseMs + draw() * (high - baseMs));
    }
  }
}

/**
 * The provider to switch to after `current` failed: the one after it in `available`, wrapping around and
 * skipping entries equal to `current`; the first one when `current` is not in the list; `undefined` when
 * there is no other provider.
 *
 * Deliberately a rotation: the reference always takes the first provider that is not the current one, so
 * with three or more providers it bounces between the first two and never reaches the third.
 *
 * @throws {ValidationError} `available` is not an array of strings, or `current` is not a string.
 * @example
 * ```ts
 * nextProvider(['openai', 'anthropic', 'google'], 'anthropic'); // 'google'
 * nextProvider(['openai', 'anthropic', 'google'], 'google'); // 'openai'
 * nextProvider(['openai'], 'openai'); // undefined
 * ```
 */
export function nextProvider(available: readonly string[], current: string): string | undefined {
  check(
    'available',
    available,
    Array.isArray(available) && available.every((p) => typeof p === 'string'),
    'an array of provider names',
  );
  check('current', current, typeof current === 'string', 'a provider name');
  const index = available.indexOf(current);
  for (let i = 1; i <= available.length; i++) {
    const candidate = available[(index + i) % available.length];
    if (candidate !== undefined && candidate !== current) return candidate;
  }
  return undefined;
}

/**
 * A smaller context budget for a retry after a context overflow: `floor(currentChars × reduction)`.
 *
 * @throws {ValidationError} `currentChars` is not a non-negative safe integer, or `reduction` is not a
 *   number strictly between 0 and 1.
 * @example
 * ```ts
 * smallerContextBudget(10_000); // 7500
 * smallerContextBudget(10_000, 0.5); // 5000
 * ```
 */
export function smallerContextBudget(currentChars: number, reduction = 0.75): number {
  check(
    'currentChars',
    currentChars,
    Number.isSafeInteger(currentChars) && currentChars >= 0,
    'a non-negative safe integer',
  );
  check(
    'reduction',
    reduction,
    isFiniteNumber(reduction) && reduction > 0 && reduction < 1,
    'a number greater than 0 and less than 1',
  );
  return Math.floor(currentChars * reduction);
}
